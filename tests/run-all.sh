#!/usr/bin/env bash
# The project's test command: bootstrap, build and `make check` (out of tree),
# again with ASan/UBSan, then `make distcheck`, then a bounded run of the
# host fuzzer (`make fuzz`, $FUZZ_SECONDS, default 180; tests/fuzz/README.md).
# Ends with "N passed, N failed": the TAP results of both check runs, plus
# one failure for each stage that broke without a failing test (autogen,
# configure, build, distcheck, fuzz).
# Exits non-zero if anything failed.
# Build trees go to $VKW_BUILD_DIR (default: _build in the source tree).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${VKW_BUILD_DIR:-$top/_build}
jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
skipped=0
last_failed=0
broken=()

log() { printf '\n>>> %s\n' "$*"; }

# Print the log of every test whose .trs says it failed, under directory $1.
show_failed_logs() {
    local trs
    while IFS= read -r trs; do
        if grep -qE '^:global-test-result: (FAIL|ERROR|XPASS)' "$trs"; then
            log "${trs%.trs}.log"
            cat "${trs%.trs}.log"
        fi
    done < <(find "$1" -name '*.trs' | sort)
}

# Add the TAP totals of $1/test-suite.log; set last_failed to its failures.
count_results() {
    local f=$1/test-suite.log
    last_failed=0
    [ -f "$f" ] || return 0
    passed=$((passed + $(awk '/^# (PASS|XFAIL):/ { n += $3 } END { print n + 0 }' "$f")))
    last_failed=$(awk '/^# (FAIL|XPASS|ERROR):/ { n += $3 } END { print n + 0 }' "$f")
    failed=$((failed + last_failed))
    skipped=$((skipped + $(awk '/^# SKIP:/ { n += $3 } END { print n + 0 }' "$f")))
}

# check NAME DIR CONFIGURE-ARGS...: configure in DIR and run make check.
check() {
    local name=$1 dir=$2
    shift 2
    if ! rm -rf "$dir" || ! mkdir -p "$dir"; then
        broken+=("$name: cannot make $dir")
        return 1
    fi
    log "$name: configure $*"
    if ! (cd "$dir" && "$top/configure" "$@"); then
        broken+=("$name: configure (see $dir/config.log)")
        return 1
    fi
    log "$name: make -j$jobs check"
    if (cd "$dir" && make -j"$jobs" check); then
        count_results "$dir"
        return 0
    fi
    show_failed_logs "$dir"
    count_results "$dir"
    [ "$last_failed" -gt 0 ] || broken+=("$name: make check failed without a failing test (a build error?)")
    return 1
}

log "autogen"
if ! ./autogen.sh; then
    broken+=("autogen.sh")
else
    # An in-tree configure blocks out-of-tree builds; the build trees below
    # start from scratch anyway.
    if [ -f config.status ]; then
        log "the source tree was configured in place: make distclean"
        make distclean >/dev/null || rm -f config.status
    fi
    check default "$build/default" --with-vulkan
    default_ok=$?
    check sanitizers "$build/sanitizers" --with-vulkan --enable-sanitizers
    if [ "$default_ok" -ne 0 ]; then
        log "make distcheck skipped: the default build failed"
    else
        log "default: make -j$jobs distcheck"
        if ! (cd "$build/default" && make -j"$jobs" distcheck); then
            # A failed distcheck leaves its tree behind: show its failed tests.
            for d in "$build"/default/vkwire-*/_build/sub; do
                [ -d "$d" ] && show_failed_logs "$d"
            done
            broken+=("make distcheck")
        fi
        log "default: make fuzz (FUZZ_SECONDS=${FUZZ_SECONDS:-180})"
        if ! (cd "$build/default" && make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-180}"); then
            broken+=("make fuzz (the input is in $build/default/tests/fuzz/work/)")
        fi
    fi
fi

echo
for b in "${broken[@]}"; do
    echo "FAILED: $b"
done
[ "$skipped" -eq 0 ] || echo "$skipped skipped"
failed=$((failed + ${#broken[@]}))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
