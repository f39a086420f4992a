# shellcheck shell=bash disable=SC2034 # the arrays are used by the scripts that source this
# SPDX-License-Identifier: MIT
#
# scripts/lib/deps.sh - the Debian packages heaptrace needs, in one place.
# Sourced by scripts/check, scripts/demo and bench/lib.sh (compare.sh, report_bench.sh):
#
#     . "$root/scripts/lib/deps.sh"
#     ht_need_packages "${HT_PKGS_BUILD[@]}" "${HT_PKGS_CHECK[@]}"
#
# Installs only what is missing, running `apt-get update` once and only then.

# To build the shim, the analyzer and the examples.
# (zlib: heaptrace-report --pprof writes gzipped profiles)
HT_PKGS_BUILD=(build-essential cmake pkg-config libunwind-dev libzstd-dev libelf-dev libdw-dev
    zlib1g-dev)
# To run scripts/check: the fuzz target (clang + libFuzzer), shellcheck, valgrind,
# xmllint (JUnit XML against tests/junit.xsd), the real servers the integration tests
# trace (redis, nginx with curl as client, dnsmasq as a daemon that double-forks and
# closes every descriptor), the tests/gc programs (libgc, and Guile as a real Boehm-GC
# client), and python3, which reads the reports' JSON in the tests.
HT_PKGS_CHECK=(clang libclang-rt-14-dev shellcheck valgrind libxml2-utils redis-server nginx curl
    dnsmasq-base libgc-dev guile-3.0 python3 strace)
# To open the HTML report in a real browser (tests/html: headless Chromium driven by
# a node script over --remote-debugging-pipe). Installed apart: where they cannot be
# installed, the browser tests skip with a message instead of failing the check.
HT_PKGS_BROWSER=(chromium nodejs)
# To read the --pprof profiles of tests/pprof with Go's own reader (`go tool pprof`;
# about 335 MB). Installed apart: where it cannot be, those tests skip with a message.
HT_PKGS_GO=(golang-go)
# To run the benchmarks: the tracer we compare against, and /usr/bin/time -v
# (peak RSS, snapshot_bench.sh).
HT_PKGS_BENCH=(heaptrack time)

ht_apt_updated=0

# ht_need_packages PKG...: install the PKGs that are not installed yet.
ht_need_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    if [ "$(id -u)" != 0 ]; then
        echo "error: missing Debian packages: ${missing[*]}" >&2
        echo "install them with: sudo apt-get install ${missing[*]}" >&2
        return 1
    fi
    echo "installing: ${missing[*]}" >&2
    if [ "$ht_apt_updated" = 0 ]; then
        apt-get update -q >&2
        ht_apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}
