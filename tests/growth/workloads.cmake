# The bench workloads (../shared/bench/workloads beside the project, README
# there): built here from their sources with their own flags, traced without
# marks (they have none). A clone without that directory skips these tests.
set(HT_WORKLOADS ${PROJECT_SOURCE_DIR}/../shared/bench/workloads)
# NAME|PROGRAM|EXPECT|ARGS (comma-separated); sizes keep each run < 1 s
set(workload_cases
  "weak_table_server|weak_table_server|grow:port_open|5000"
  "weak_table_server_burst|weak_table_server|steady|5000,64,700"
  "retained_set|retained_set|grow:task_spawn,set_add|5000"
  "retained_set_fixed|retained_set|none:task_spawn|5000,8,1"
  "linked_queue|linked_queue|grow:node_new|100000,0"
  "linked_queue_fixed|linked_queue|steady|100000,1")

set(have_workloads FALSE)
if(EXISTS ${HT_WORKLOADS}/common.h)
  set(have_workloads TRUE)
  foreach(prog weak_table_server retained_set linked_queue)
    add_executable(wl_${prog} ${HT_WORKLOADS}/${prog}.c)
    # theirs, not ours: their flags (Makefile there), not HT_WARNINGS/-Werror
    target_compile_options(wl_${prog} PRIVATE -O2 -g -fno-omit-frame-pointer)
    target_compile_definitions(wl_${prog} PRIVATE _GNU_SOURCE)
    set_target_properties(wl_${prog} PROPERTIES
      OUTPUT_NAME ${prog} RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/workloads)
  endforeach()
  find_package(Threads REQUIRED)
  target_link_libraries(wl_linked_queue PRIVATE Threads::Threads)
endif()

foreach(c ${workload_cases})
  string(REPLACE "|" ";" f "${c}")
  list(GET f 0 name)
  list(GET f 1 prog)
  list(GET f 2 expect)
  list(GET f 3 args)
  string(REPLACE "," ";" args "${args}")
  if(have_workloads)
    ht_growth_test(${name} time ${expect} 3 $<TARGET_FILE:wl_${prog}> ${args})
  else()
    add_test(NAME growth_${name}_time
      COMMAND sh -c "echo 'skipped: no workloads at ${HT_WORKLOADS} (the shared bench directory beside the project)'; exit 77")
    set_tests_properties(growth_${name}_time PROPERTIES
      LABELS "${HT_GROWTH_LABELS}" SKIP_RETURN_CODE 77)
  endif()
endforeach()
