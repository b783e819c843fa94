#!/bin/sh
# make fuzz: build the host fuzzer with clang's libFuzzer (ASan and UBSan
# on), then fuzz for a bounded time, starting from tests/fuzz/corpus.
#
#   FUZZ_SECONDS  how long to fuzz (default 180)
#   FUZZ_DRIVER   fake (default) or lavapipe: the driver behind the host
#   FUZZ_CC       the compiler (default: clang, else clang-14)
#   FUZZ_ARGS     more libFuzzer options, e.g. "-jobs=2 -workers=2"
#   FUZZ_MERGE    a folder: merge the new inputs worth keeping into it
#                 (how tests/fuzz/corpus is refreshed) instead of fuzzing
#
# The corpus is copied to the build tree first: fuzzing never writes the
# source tree.  A crash leaves its input as tests/fuzz/work/crash-* in the
# build tree; fix the host, then add the input to tests/fuzz/regressions
# (make check replays it from then on).  Exits 0 when the run found
# nothing, 1 when it found something, 77 when it cannot build.
set -u
: "${top_srcdir:?run through make fuzz}" "${top_builddir:?run through make fuzz}"
seconds=${FUZZ_SECONDS:-180}
driver=${FUZZ_DRIVER:-fake}
out=$top_builddir/tests/fuzz
bin=$out/vkw_fuzz_host
objdir=$out/obj
work=$out/work

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
    for c in clang clang-14; do
        if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
    done
fi
probe=$out/probe
mkdir -p "$out" "$objdir" "$work" || exit 1
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if [ -z "$cc" ] || ! "$cc" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" 2>"$probe.log"; then
    echo "make fuzz needs clang with libFuzzer and the sanitizer runtimes" \
         "(Debian: apt-get install clang libclang-rt-dev)" >&2
    [ -f "$probe.log" ] && cat "$probe.log" >&2
    exit 77
fi

# The host runtime, the generated decoders, the renderer, the fake driver
# and the harness: compiled for fuzzing, whenever any of them changed.
src=$top_srcdir
sources="$src/generated/vkw_handles.c $src/generated/vkw_formats.c $src/generated/vkw_host_decode.c
 $src/generated/vkw_host_dispatch.c $src/runtime/common/*.c $src/runtime/host/*.c
 $src/tests/fake_driver.c $src/tests/fuzz/fuzz_host.c $src/tests/fuzz/fuzz_libfuzzer.c"
cflags="-g -O1 -std=c11 -Wall -Wextra -Werror -fsanitize=fuzzer-no-link,address,undefined
 -fno-sanitize-recover=undefined -fno-omit-frame-pointer
 -I$src/include -I$src/runtime/common -I$src/runtime/host -I$src/generated -I$src/tests
 -I$src/tests/fuzz ${VULKAN_CFLAGS:-}"
stale=no
[ -x "$bin" ] || stale=yes
if [ $stale = no ] && [ -n "$(find "$src/runtime" "$src/generated" "$src/include" "$src/tests/fuzz" \
        "$src/tests/fake_driver.c" "$src/tests/fake_driver.h" -newer "$bin" -name '*.[ch]' | head -1)" ]; then
    stale=yes
fi
if [ $stale = yes ]; then
    echo "fuzz: building $bin with $cc"
    rm -f "$objdir"/*.o
    # Two at a time: the decoders are big.
    # shellcheck disable=SC2086
    printf '%s\n' $sources | xargs -P 2 -I{} sh -c \
        'f={}; o='"$objdir"'/$(basename "$f" .c).o; '"$cc"' '"$(echo $cflags)"' -c "$f" -o "$o" || exit 255' \
        || exit 1
    # shellcheck disable=SC2086
    "$cc" -fsanitize=fuzzer,address,undefined -o "$bin" "$objdir"/*.o ${VULKAN_LIBS:--lvulkan} -ldl || exit 1
fi

corpus=$work/corpus
mkdir -p "$corpus"
cp "$src"/tests/fuzz/corpus/* "$src"/tests/fuzz/regressions/* "$corpus"/ 2>/dev/null

export VKW_FUZZ_DRIVER=$driver
# Leaks of the driver itself are not ours (tests/lsan.supp); a leak of
# vkwire's own is still a finding.
export LSAN_OPTIONS="${LSAN_OPTIONS-suppressions=$src/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS-halt_on_error=1:print_stacktrace=1}"
# The Vulkan loader (1.3.239) formats a NULL string with %s when an
# application asks for an API version with major 0 (e.g. 0.851.0): glibc
# prints "(null)", ASan's printf check dies in strlen.  Not the host's, and
# not a crash in a real build: on lavapipe, let printf be printf.
if [ "$driver" = lavapipe ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}check_printf=0"
fi
if [ -n "${FUZZ_MERGE:-}" ]; then
    mkdir -p "$FUZZ_MERGE"
    exec "$bin" -merge=1 "$FUZZ_MERGE" "$corpus"
fi
echo "fuzz: $seconds s on the $driver driver, corpus $(ls "$corpus" | wc -l) inputs"
# The whole log stays in the build tree; the terminal gets its progress
# lines (not one per new input) and, on a finding, its end.
log=$work/fuzz.log
# shellcheck disable=SC2086
"$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
rc=$?
grep -E '^(INFO:|#[0-9]+[[:space:]]+(INITED|pulse|DONE)|stat::)' "$log"
if [ $rc -ne 0 ]; then
    tail -n 60 "$log"
    echo "fuzz: the fuzzer found a problem (exit $rc); the input is in $work/ (log: $log)" >&2
    exit 1
fi
echo "fuzz: nothing found in $seconds s (log: $log)"
exit 0
