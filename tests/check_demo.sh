#!/bin/sh
# vkwire-demo natively on lavapipe and through vkwire (vkwire-server on
# lavapipe at a private socket): SAXPY verified, the rendered image written,
# and the image through vkwire byte for byte the native one; then both demos
# again with the Khronos validation layer watching.  TAP on stdout.
set -u

: "${top_builddir:?}" "${top_srcdir:?}"
server=$top_builddir/vkwire-server
icd=$top_builddir/vkwire_icd.json
demo=$top_builddir/vkwire-demo
lvp=
for f in /usr/share/vulkan/icd.d/lvp_icd*.json; do
    [ -f "$f" ] && lvp=$f && break
done
if [ -z "$lvp" ]; then
    echo "1..0 # SKIP needs lavapipe (mesa-vulkan-drivers)"
    exit 0
fi
# Small enough for 2 CPU cores: 1M floats, a 256x256 image.
elements=1048576

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vkwire-demo.XXXXXX") || exit 1
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
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# Sanitizer builds (as in check_icd.sh): the demo is ours and instrumented.
# Natively its only leak is lavapipe's, lost when the loader unloads the
# driver; through vkwire it loads no driver and the leak checker stays on.
server_env=
native_env=
ours_env=
runtimes=$(ldd "$top_builddir/.libs/libvulkan_vkwire.so" 2>/dev/null |
           awk '/lib(a|ub)san/ { printf "%s%s", sep, $3; sep = ":" }')
if [ -n "$runtimes" ]; then
    driver=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$lvp")
    server_env="LD_PRELOAD=$driver ASAN_OPTIONS=verify_asan_link_order=0"
    native_env="ASAN_OPTIONS=detect_leaks=0"
    ours_env="ASAN_OPTIONS=verify_asan_link_order=0"
fi
native() { env $native_env VK_DRIVER_FILES="$lvp" "$@"; }
ours() { env $ours_env VK_DRIVER_FILES="$icd" VKWIRE_SERVER="unix:$tmp/s/socket" "$@"; }
# The checksum the render demo printed ("render: wrote PATH, fnv1a64 HEX").
checksum() { sed -n 's/^render: wrote .*, fnv1a64 \([0-9a-f]*\)$/\1/p' "$1"; }
has_messages() { grep -qE "Validation (Error|Warning)|VUID-" "$1"; }

# 1. Natively: the test's own sanity, and the reference image.
native timeout 120 "$demo" compute $elements >"$tmp/compute-native.txt" 2>&1 &&
    grep -q "^device: " "$tmp/compute-native.txt" &&
    grep -q "^saxpy: $elements elements, .* verified$" "$tmp/compute-native.txt"
check $? "natively: saxpy over $elements floats verified" "$tmp/compute-native.txt"
native timeout 120 "$demo" render "$tmp/native.ppm" >"$tmp/render-native.txt" 2>&1 &&
    [ -n "$(checksum "$tmp/render-native.txt")" ] &&
    [ "$(head -c 15 "$tmp/native.ppm")" = "$(printf 'P6\n256 256\n255\n')" ] &&
    [ "$(wc -c <"$tmp/native.ppm")" -eq $((15 + 256 * 256 * 3)) ] &&
    grep -q "^render: verified: " "$tmp/render-native.txt"
check $? "natively: render writes a 256x256 binary PPM, its checksum, and matches the CPU rendering" "$tmp/render-native.txt"
# Not one colour: the torus is there, shaded (more than a handful of colours).
colours=$(tail -c +16 "$tmp/native.ppm" | od -An -v -tu1 -w3 | sort -u | wc -l)
[ "$colours" -gt 50 ]
check $? "natively: the image shows a shaded mesh ($colours colours)" "$tmp/render-native.txt"

# 2. The server, on lavapipe.
env $server_env VK_DRIVER_FILES="$lvp" "$server" --listen "unix:$tmp/s/socket" >"$tmp/server.log" 2>&1 &
server_pid=$!
i=0
while [ ! -S "$tmp/s/socket" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$tmp/s/socket" ]
check $? "vkwire-server listens" "$tmp/server.log"

# 3. Through vkwire: the same answers, the same image.
ours timeout 300 "$demo" compute $elements >"$tmp/compute.txt" 2>&1 &&
    grep -q "^device: .*(vkwire)" "$tmp/compute.txt" &&
    grep -q "^saxpy: $elements elements, .* verified$" "$tmp/compute.txt"
check $? "through vkwire: saxpy over $elements floats verified" "$tmp/compute.txt"
ours env VKWIRE_MEMORY=copy timeout 300 "$demo" compute $elements >"$tmp/compute-copy.txt" 2>&1 &&
    grep -q "^saxpy: $elements elements, .* verified$" "$tmp/compute-copy.txt"
check $? "through vkwire, copied memory: saxpy verified" "$tmp/compute-copy.txt"
ours timeout 300 "$demo" render "$tmp/vkwire.ppm" >"$tmp/render.txt" 2>&1 &&
    [ -n "$(checksum "$tmp/render.txt")" ] && grep -q "^render: verified: " "$tmp/render.txt"
check $? "through vkwire: render writes its image, which matches the CPU rendering" "$tmp/render.txt"
[ -n "$(checksum "$tmp/render.txt")" ] &&
    [ "$(checksum "$tmp/render.txt")" = "$(checksum "$tmp/render-native.txt")" ] &&
    cmp "$tmp/native.ppm" "$tmp/vkwire.ppm" >"$tmp/cmp.txt" 2>&1
check $? "through vkwire: the image is the native one, byte for byte ($(checksum "$tmp/render.txt"))" \
    "$tmp/cmp.txt"
(cd "$tmp" && ours timeout 300 "$demo" >"$tmp/both.txt" 2>&1) &&
    [ "$(grep -c '^device: ' "$tmp/both.txt")" -eq 1 ] &&
    grep -q "^saxpy: 16777216 elements, .* verified$" "$tmp/both.txt" &&
    grep -q "^render: wrote vkwire-demo.ppm, fnv1a64 $(checksum "$tmp/render-native.txt")$" "$tmp/both.txt" &&
    grep -q "^render: verified: " "$tmp/both.txt"
check $? "through vkwire, no argument: both demos with the defaults (16M floats)" "$tmp/both.txt"

# 4. The validation layer, natively and through vkwire.
if [ -f /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json ] ||
   [ -n "${VK_LAYER_PATH:-}" ] || [ -n "${VK_ADD_LAYER_PATH:-}" ]; then
    for how in native ours; do
        [ $how = native ] && where=natively || where="through vkwire"
        $how env VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation timeout 300 \
            "$demo" compute 65536 >"$tmp/validated-$how.txt" 2>&1 &&
            $how env VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation timeout 300 \
                "$demo" render "$tmp/validated-$how.ppm" 64 48 >>"$tmp/validated-$how.txt" 2>&1 &&
            grep -q "verified$" "$tmp/validated-$how.txt" &&
            grep -q "^render: wrote " "$tmp/validated-$how.txt" &&
            ! has_messages "$tmp/validated-$how.txt"
        check $? "$where with the validation layer: both demos, no message" "$tmp/validated-$how.txt"
    done
else
    skip "the Khronos validation layer is not installed (vulkan-validationlayers)"
    skip "the Khronos validation layer is not installed (vulkan-validationlayers)"
fi

# 5. Bad arguments are refused before any Vulkan work.
"$demo" compute 0 >/dev/null 2>"$tmp/usage.txt"
[ $? -eq 2 ] && grep -q "^usage: " "$tmp/usage.txt"
check $? "a bad count is a usage error (exit 2)" "$tmp/usage.txt"

# 6. The server saw every client come and go cleanly, and shuts down cleanly.
! grep -qE "crashed|protocol error|runtime error|AddressSanitizer|LeakSanitizer" "$tmp/server.log"
check $? "server log: no crash, no protocol error" "$tmp/server.log"
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ $rc -eq 0 ]
check $? "SIGTERM: the server exits 0" "$tmp/server.log"

echo "1..$n"
[ "$failed" -eq 0 ]
