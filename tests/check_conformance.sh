#!/bin/sh
# scripts/conformance.py, the dEQP-VK comparison: first on tests/fake_deqp.py
# (a deqp-vk whose cases pass, differ, crash and hang through vkwire on
# purpose), which checks the harness itself; then, when DEQP_VK names a real
# deqp-vk, the smoke list (conformance/smoke.txt) natively and through
# vkwire, which must give equal results.  TAP on stdout.
set -u

: "${top_builddir:?}" "${top_srcdir:?}"
py=${PYTHON:-/usr/bin/python3}
lvp=
for f in /usr/share/vulkan/icd.d/lvp_icd*.json; do
    [ -f "$f" ] && lvp=$f && break
done
if [ -z "$lvp" ]; then
    echo "1..0 # SKIP needs lavapipe (mesa-vulkan-drivers)"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vkwire-conformance.XXXXXX") || exit 1
chmod 700 "$tmp"
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0
check() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# The fake: a deqp-vk of nine cases, eight selected.
mkdir "$tmp/fake"
cp "$top_srcdir/tests/fake_deqp.py" "$tmp/fake/deqp-vk"
chmod +x "$tmp/fake/deqp-vk"
printf 'dEQP-VK.fake.a.* memory\ndEQP-VK.fake.b.*\n' >"$tmp/groups.txt"
DEQP_VK=$tmp/fake/deqp-vk VKWIRE_BUILD=$top_builddir VKW_HOST_DRIVER=$lvp \
    FAKE_DEQP_RUNS=$tmp/runs VKW_CASE_SECONDS=3 \
    "$py" "$top_srcdir/scripts/conformance.py" --groups "$tmp/groups.txt" --out "$tmp/out" \
    >"$tmp/log" 2>&1
status=$?
check $((status != 1)) "the harness fails a run whose results differ (exit $status)"
grep -q 'other.not_selected' "$tmp/out/cases-native.txt"
check $((! $?)) "only the listed groups run"
[ "$(grep -c ' Pass ' "$tmp/out/cases-native.txt")" -eq 7 ] &&
    grep -q '^dEQP-VK.fake.b.unsupported NotSupported' "$tmp/out/cases-native.txt"
check $? "natively: 7 cases pass, the unsupported one is NotSupported"
grep -qx 'dEQP-VK.fake.b.crashes shared crashed: native Pass, vkwire Crashed' "$tmp/out/compare.txt"
check $? "a case that kills deqp-vk is recorded as crashed"
grep -q '^dEQP-VK.fake.b.after_crash Pass' "$tmp/out/cases-shared.txt"
check $? "the run goes on from the case after the crash"
grep -qx 'dEQP-VK.fake.b.hangs shared hung: native Pass, vkwire Hung' "$tmp/out/compare.txt"
check $? "a case past its time limit is recorded as hung, and killed"
grep -q '^dEQP-VK.fake.b.after_hang Pass' "$tmp/out/cases-shared.txt"
check $? "the run goes on from the case after the hang"
grep -qx 'dEQP-VK.fake.a.differs shared differs: native Pass, vkwire Fail' "$tmp/out/compare.txt" &&
    grep -qx 'dEQP-VK.fake.a.differs copied differs: native Pass, vkwire Fail' "$tmp/out/compare.txt"
check $? "a different result is reported, in shared and (a memory group) copied mode"
[ "$(wc -l <"$tmp/out/compare.txt")" -eq 4 ] && ! grep -q 'fake.b.* copied' "$tmp/out/compare.txt"
check $? "nothing else differs; a group without 'memory' does not run copied"
grep -q '^dEQP-VK.fake.a.\* 3 2 1 0 0 2 1 0 0 ' "$tmp/out/summary.txt" &&
    grep -q '^dEQP-VK.fake.b.\* 5 3 0 1 1 - - - - ' "$tmp/out/summary.txt"
check $? "the summary counts each group: equal, differing, crashed, hung, per mode"
[ -s "$tmp/out/server-shared.log" ]
check $? "vkwire-server ran for the vkwire runs and its log is kept"

if [ -z "${DEQP_VK:-}" ]; then
    echo "ok $((n + 1)) # SKIP the dEQP-VK smoke list: set DEQP_VK to a deqp-vk binary"
    n=$((n + 1))
else
    DEQP_VK=$DEQP_VK VKWIRE_BUILD=$top_builddir VKW_HOST_DRIVER=$lvp \
        "$py" "$top_srcdir/scripts/conformance.py" --groups "$top_srcdir/conformance/smoke.txt" \
        --out "$tmp/smoke" >"$tmp/smoke.log" 2>&1
    status=$?
    [ $status -ne 0 ] && sed 's/^/# /' "$tmp/smoke/compare.txt" 2>/dev/null | head -40
    check $status "dEQP-VK smoke list ($(cat "$tmp"/smoke/cases-native.txt 2>/dev/null | wc -l) cases): equal natively and through vkwire, no crash, hang or protocol error"
fi
echo "1..$n"
[ $failed -eq 0 ]
