#!/bin/bash
# SPDX-License-Identifier: MIT
#
# in_full_tmpfs.sh - run under `unshare -m` by run_case.sh --full-tmpfs:
# mounts a SIZE_KB tmpfs on DIR, fills it until FREE_KB are left, runs the
# command, copies what it wrote there into COPY_DIR (the mount dies with the
# namespace) and exits with the command's status.
#
#   unshare -m in_full_tmpfs.sh DIR SIZE_KB FREE_KB COPY_DIR COMMAND [ARG...]
set -u
dir=$1 size_kb=$2 free_kb=$3 copy_dir=$4
shift 4
# keep the mount private to this namespace even where / is shared
mount --make-rprivate / 2>/dev/null
if ! mount -t tmpfs -o "size=${size_kb}k" heaptrace-integ "$dir"; then
    echo "in_full_tmpfs: cannot mount a tmpfs on $dir" >&2
    exit 125
fi
if [ "$free_kb" -lt "$size_kb" ]; then
    dd if=/dev/zero of="$dir/filler" bs=1024 count=$((size_kb - free_kb)) 2>/dev/null
fi
"$@"
status=$?
for f in "$dir"/*; do
    [ "$f" = "$dir/filler" ] || cp -p "$f" "$copy_dir/" 2>/dev/null
done
exit "$status"
