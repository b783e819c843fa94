#!/bin/sh
# End to end through the guest ICD: vkwire-server on lavapipe at a private
# socket, third-party programs (vulkaninfo, the Khronos validation layer, and
# tests/vkw_probe) through VK_DRIVER_FILES=vkwire_icd.json, compared with the
# same programs run natively.  TAP on stdout.
set -u

: "${top_builddir:?}" "${top_srcdir:?}"
server=$top_builddir/vkwire-server
icd=$top_builddir/vkwire_icd.json
probe=$top_builddir/tests/vkw_probe
memtest=$top_builddir/tests/vkw_memtest
devinfo=$top_builddir/tests/vkw_devinfo
lvp=
for f in /usr/share/vulkan/icd.d/lvp_icd*.json; do
    [ -f "$f" ] && lvp=$f && break
done
if [ -z "$lvp" ] || ! command -v vulkaninfo >/dev/null 2>&1; then
    echo "1..0 # SKIP needs lavapipe (mesa-vulkan-drivers) and vulkaninfo (vulkan-tools)"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vkwire-icd.XXXXXX") || exit 1
chmod 700 "$tmp"
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    [ -f "${2:-}" ] && sed -n '1,60s/^/# /p' "$2"
}
check() { if [ "$1" -eq 0 ]; then ok "$2"; else not_ok "$2" "${3:-}"; fi; }

# Sanitizer builds: our ICD needs the sanitizer runtimes loaded first in the
# programs that are not ours, and the leak checker is for our processes only.
guest_env=
server_env=
native_env=
ours_env=
runtimes=$(ldd "$top_builddir/.libs/libvulkan_vkwire.so" 2>/dev/null |
           awk '/lib(a|ub)san/ { printf "%s%s", sep, $3; sep = ":" }')
if [ -n "$runtimes" ]; then
    guest_env="LD_PRELOAD=$runtimes ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0"
    driver=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$lvp")
    server_env="LD_PRELOAD=$driver ASAN_OPTIONS=verify_asan_link_order=0"
    # The probe is instrumented too: natively its only leak is lavapipe's,
    # lost when the loader unloads the driver (see tests/test_server.c).
    native_env="ASAN_OPTIONS=detect_leaks=0"
    # Our own programs through vkwire are instrumented and load no driver:
    # the leak checker stays on, so every guest leak fails the test.
    ours_env="ASAN_OPTIONS=verify_asan_link_order=0"
fi
forwarded() { env $guest_env VK_DRIVER_FILES="$icd" VKWIRE_SERVER="unix:$tmp/s/socket" "$@"; }
native() { env $native_env VK_DRIVER_FILES="$lvp" "$@"; }
ours() { env $ours_env VK_DRIVER_FILES="$icd" VKWIRE_SERVER="unix:$tmp/s/socket" "$@"; }

# 1. No server: the ICD fails fast and names the address it tried.
start=$(date +%s)
forwarded timeout 30 vulkaninfo --summary >"$tmp/none.out" 2>"$tmp/none.err"
rc=$?
elapsed=$(($(date +%s) - start))
grep -q "vkwire: cannot connect to unix:$tmp/s/socket" "$tmp/none.err" && [ "$rc" -ne 0 ] &&
    [ "$rc" -ne 124 ] && [ "$elapsed" -lt 10 ]
check $? "no server: vulkaninfo fails in ${elapsed}s with one line naming the address" "$tmp/none.err"

# 2. The server, on lavapipe.
env $server_env VK_DRIVER_FILES="$lvp" "$server" --listen "unix:$tmp/s/socket" >"$tmp/server.log" 2>&1 &
server_pid=$!
i=0
while [ ! -S "$tmp/s/socket" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$tmp/s/socket" ]
check $? "vkwire-server listens" "$tmp/server.log"

# 3. vulkaninfo: every property, feature, limit and format equal to native,
#    once the documented differences are taken out (tests/vulkaninfo_normalize.py).
native vulkaninfo >"$tmp/native.txt" 2>/dev/null
forwarded timeout 120 vulkaninfo >"$tmp/forwarded.txt" 2>"$tmp/forwarded.err"
rc=$?
check $rc "vulkaninfo through vkwire exits 0" "$tmp/forwarded.err"
grep -q "deviceName *= llvmpipe.* (vkwire)" "$tmp/forwarded.txt"
check $? "the forwarded GPU says it is forwarded" "$tmp/forwarded.txt"
if [ -n "${PYTHON:-}" ] && [ -f "${VK_XML:-}" ]; then
    for run in native forwarded; do
        "$PYTHON" "$top_srcdir/tests/vulkaninfo_normalize.py" "$VK_XML" \
            "$top_srcdir/gen/annotations.conf" <"$tmp/$run.txt" >"$tmp/$run.norm"
    done
    diff -u "$tmp/native.norm" "$tmp/forwarded.norm" >"$tmp/vulkaninfo.diff" &&
        [ "$(wc -l <"$tmp/native.norm")" -gt 1000 ]
    check $? "vulkaninfo: $(wc -l <"$tmp/native.norm") lines equal to native" "$tmp/vulkaninfo.diff"
else
    n=$((n + 1)); echo "ok $n # SKIP comparing vulkaninfo needs the generator's Python and vk.xml"
fi

# 3a. Every extension lavapipe offers is forwarded, or gen/annotations.conf
#     says why not (not-forwarded): a new driver's extension cannot go
#     missing without a word.
if [ -n "${PYTHON:-}" ]; then
    "$PYTHON" "$top_srcdir/tests/extension_coverage.py" "$top_srcdir/gen/annotations.conf" \
        <"$tmp/native.txt" >"$tmp/coverage.txt"
    check $? "every extension lavapipe offers is forwarded or explained in gen/annotations.conf" \
        "$tmp/coverage.txt"
else
    n=$((n + 1)); echo "ok $n # SKIP the extension check needs the generator's Python"
fi

# 3b. Every feature and property struct vkwire forwards (tests/vkw_devinfo,
#     generated from the registry), Vulkan 1.4's and those vulkaninfo does
#     not know among them, byte for byte equal to native.
native "$devinfo" >"$tmp/devinfo-native.txt" 2>&1
forwarded timeout 120 "$devinfo" >"$tmp/devinfo.txt" 2>&1
diff -u "$tmp/devinfo-native.txt" "$tmp/devinfo.txt" >"$tmp/devinfo.diff" &&
    [ "$(wc -l <"$tmp/devinfo.txt")" -gt 100 ] &&
    grep -q "^VkPhysicalDeviceVulkan14Features: " "$tmp/devinfo.txt"
check $? "every forwarded feature and property struct ($(wc -l <"$tmp/devinfo.txt") lines, Vulkan 1.4's included) equal to native" \
    "$tmp/devinfo.diff" "$tmp/devinfo.txt"

# 4. The validation layer watches vulkaninfo and a program doing real work.
forwarded env VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation timeout 120 vulkaninfo \
    >"$tmp/validated.txt" 2>&1
! grep -qE "Validation (Error|Warning)|VUID-" "$tmp/validated.txt"
check $? "vulkaninfo through vkwire: the validation layer reports nothing" "$tmp/validated.txt"
ours timeout 60 "$probe" >"$tmp/probe.txt" 2>&1
check $? "vkw_probe through vkwire (device, memory, submit, fence): no validation message" "$tmp/probe.txt"
ours timeout 60 "$probe" --mistake >"$tmp/mistake.txt" 2>&1 &&
    grep -q "VUID-VkBufferCreateInfo-size-00912" "$tmp/mistake.txt"
check $? "a deliberate mistake through vkwire is reported by the layer" "$tmp/mistake.txt"
native "$probe" >"$tmp/probe-native.txt" 2>&1
check $? "vkw_probe natively: no validation message" "$tmp/probe-native.txt"
# Without the layer, whose handle wrapping would hide stale handles.
native "$probe" --bare >"$tmp/bare-native.txt" 2>&1 &&
    grep -q "ignored members with garbage: accepted" "$tmp/bare-native.txt"
check $? "natively, no layer: members Vulkan ignores may hold garbage and stale handles" \
    "$tmp/bare-native.txt"
ours timeout 60 "$probe" --bare >"$tmp/bare.txt" 2>&1 &&
    grep -q "ignored members with garbage: accepted" "$tmp/bare.txt"
check $? "through vkwire, no layer: those members are neither read nor sent (descriptors, pipelines, inheritance)" \
    "$tmp/bare.txt"
grep "memory requirements" "$tmp/bare-native.txt" >"$tmp/req-native.txt" &&
    grep "memory requirements" "$tmp/bare.txt" >"$tmp/req.txt" &&
    ! grep -q DISAGREE "$tmp/req.txt" && cmp -s "$tmp/req-native.txt" "$tmp/req.txt"
check $? "buffer memory requirements through vkwire (cached after the first buffer made alike) equal the native ones, in all three queries" \
    "$tmp/req.txt"
grep -q "a failing creation: by vkCreateBuffer (-2), then the device goes on (0)" "$tmp/bare-native.txt" &&
    grep -q "a failing creation: by the next wait (-2), then the device goes on (0)" "$tmp/bare.txt"
check $? "a creation the driver fails (a 16 GiB buffer): natively vkCreateBuffer says so, through vkwire (asynchronous) the next wait does, once; the handle can be destroyed and the device goes on" \
    "$tmp/bare.txt"
ours timeout 120 "$probe" --threads 4 >"$tmp/threads.txt" 2>&1 &&
    grep -q "4 threads, 0 failures; a 4 s wait did not block them; vkQueueWaitIdle did not block them" "$tmp/threads.txt"
check $? "4 threads on one device through vkwire while a 5th waits 4 s on a fence and a 6th in vkQueueWaitIdle: none blocked, no failure" "$tmp/threads.txt"

# 5. Mapped memory as applications use it, natively and in every mode;
#    --copied: expect copied mode's rule where both sides write one page.
native "$memtest" >"$tmp/mem-native.txt" 2>&1
check $? "vkw_memtest natively (the test's own sanity)" "$tmp/mem-native.txt"
ours timeout 300 "$memtest" >"$tmp/mem-shared.txt" 2>&1
check $? "vkw_memtest through vkwire, shared memory (the default)" "$tmp/mem-shared.txt"
ours env VKWIRE_MEMORY=copy timeout 300 "$memtest" --copied >"$tmp/mem-copied.txt" 2>&1
check $? "vkw_memtest through vkwire, copied memory through shared shadows (VKWIRE_MEMORY=copy; watched where the kernel can tell written pages)" \
    "$tmp/mem-copied.txt"
ours env VKWIRE_MEMORY=copy VKWIRE_WRITE_WATCH=0 timeout 300 "$memtest" --copied --small \
    >"$tmp/mem-compared.txt" 2>&1
check $? "vkw_memtest through vkwire, copied memory through shared shadows, pages compared (VKWIRE_WRITE_WATCH=0)" \
    "$tmp/mem-compared.txt"
ours env VKWIRE_MEMORY=copy-socket timeout 300 "$memtest" --copied >"$tmp/mem-socket.txt" 2>&1
check $? "vkw_memtest through vkwire, copied memory over the socket (VKWIRE_MEMORY=copy-socket)" \
    "$tmp/mem-socket.txt"
ours env VKWIRE_RING=0 timeout 300 "$memtest" >"$tmp/mem-noring.txt" 2>&1
check $? "vkw_memtest through vkwire, shared memory, every message on the socket (VKWIRE_RING=0)" \
    "$tmp/mem-noring.txt"

# 6. A server whose loader also sees vkwire's own manifest must not forward
#    to itself: the ICD declines inside a renderer process.
env $server_env VK_DRIVER_FILES="$icd:$lvp" "$server" --listen "unix:$tmp/t/socket" \
    >"$tmp/server2.log" 2>&1 &
second=$!
i=0
while [ ! -S "$tmp/t/socket" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
env $guest_env VK_DRIVER_FILES="$icd" VKWIRE_SERVER="unix:$tmp/t/socket" timeout 60 \
    vulkaninfo --summary >"$tmp/second.txt" 2>&1 &&
    [ "$(grep -c '^GPU[0-9]*:' "$tmp/second.txt")" -eq 1 ]
check $? "a server that also sees vkwire's manifest serves its one real GPU" "$tmp/second.txt"
kill -TERM "$second"
wait "$second"

# 7. The server saw every client come and go cleanly, and shuts down cleanly.
! grep -qE "crashed|protocol error|runtime error|AddressSanitizer|LeakSanitizer" "$tmp/server.log"
check $? "server log: no crash, no protocol error" "$tmp/server.log"
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ $rc -eq 0 ] && [ ! -e "$tmp/s/socket" ]
check $? "SIGTERM: the server exits 0 and removes its socket" "$tmp/server.log"

echo "1..$n"
[ "$failed" -eq 0 ]
