#!/bin/sh
# TAP: the generator's Python unit tests (gen/tests), one TAP line per test.
# Environment (set by make check): PYTHON (empty: no generator python), top_srcdir.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

if [ -z "${PYTHON:-}" ]; then
    echo "1..0 # SKIP no Python 3 with lxml and Jinja2 (apt-get install python3-lxml python3-jinja2, rerun configure)"
    exit 0
fi

out=$(mktemp "${TMPDIR:-/tmp}/vkw-unittest.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
trap 'rm -f "$out"' EXIT
trap 'exit 1' HUP INT TERM

# From the source root, so that the tests import the generator the same way
# in-tree, out-of-tree and in make distcheck.
(cd "$top_srcdir" && PYTHONDONTWRITEBYTECODE=1 \
    "$PYTHON" -m unittest discover -s "$top_srcdir/gen/tests" -v) >"$out" 2>&1
rc=$?

# unittest -v prints "name (module.Class...) ... RESULT" per test; a docstring
# puts the description on the line of the result instead.
awk -v rc="$rc" '
/ \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$/ {
    i = index($0, " ... ")
    name = substr($0, 1, i - 1)
    res = substr($0, i + 5)
    if (name !~ / \(.*\)$/ && prev ~ /^[^ ]+ \(.*\)$/) name = prev " - " name
    n++
    # TAP TODO: "not ok # TODO" is an expected failure, "ok # TODO" an
    # unexpected success (which Automake counts as a failure).
    if (res == "ok")                      print "ok " n " - " name
    else if (res == "expected failure")   print "not ok " n " - " name " # TODO expected failure"
    else if (res == "unexpected success") print "ok " n " - " name " # TODO unexpected success"
    else if (res ~ /^skipped/)            print "ok " n " - " name " # SKIP " substr(res, 9)
    else                                  print "not ok " n " - " name " (" res ")"
    next
}
/^Ran [0-9]+ tests? in/ { ran = $2 }
{ prev = $0 }
END {
    n++
    if (rc == 0 && ran > 0) print "ok " n " - unittest exited 0 after " ran " tests"
    else if (rc == 0)       print "not ok " n " - unittest found no tests in gen/tests"
    else                    print "not ok " n " - unittest exited " rc
    print "1.." n
}' "$out"

if [ "$rc" -ne 0 ]; then
    sed 's/^/# /' "$out"
fi
exit 0
