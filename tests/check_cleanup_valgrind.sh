#!/bin/sh
# The host's cleanup under valgrind: the fake-driver part of tests/test_cleanup
# (a whole guest session cut off after, and while sending, each message)
# runs under memcheck, which must find no invalid access and no leak of any
# kind that vkwire could own (definite, indirect, possible).  The sanitizer
# build checks the same with LeakSanitizer and skips this (ASan and valgrind
# do not mix); so does a machine without valgrind.
set -u
: "${top_builddir:?run through make check}"
echo "1..2"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "ok 1 # SKIP valgrind is not installed (apt-get install valgrind)"
    echo "ok 2 # SKIP valgrind is not installed"
    exit 0
fi
for bin in "$top_builddir/tests/.libs/test_cleanup" "$top_builddir/tests/.libs/lt-test_cleanup" \
           "$top_builddir/tests/test_cleanup"; do
    if [ -f "$bin" ] && grep -aq __asan_init "$bin"; then
        echo "ok 1 # SKIP a sanitizer build (LeakSanitizer checks it instead)"
        echo "ok 2 # SKIP a sanitizer build"
        exit 0
    fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vkw-valgrind.XXXXXX") || exit 1
"$top_builddir/libtool" --mode=execute valgrind --quiet --error-exitcode=99 \
    --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --track-fds=no \
    --log-file="$tmp/valgrind.log" \
    "$top_builddir/tests/test_cleanup" --fake-only >"$tmp/tap.out" 2>&1
rc=$?
passed=$(grep -c '^ok' "$tmp/tap.out")
if [ $rc -ne 99 ] && ! grep -q '^not ok' "$tmp/tap.out" && [ "$passed" -gt 30 ]; then
    echo "ok 1 - test_cleanup --fake-only passes under valgrind ($passed results)"
else
    echo "not ok 1 - test_cleanup --fake-only under valgrind (exit $rc)"
    sed 's/^/# /' "$tmp/tap.out"
fi
if [ $rc -ne 99 ] && [ ! -s "$tmp/valgrind.log" ]; then
    echo "ok 2 - valgrind: no invalid access, no leak"
else
    echo "not ok 2 - valgrind reports errors"
    sed 's/^/# /' "$tmp/valgrind.log" | head -200
fi
rm -rf "$tmp"
