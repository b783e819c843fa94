#!/bin/sh
# Command buffers, queues and synchronisation through vkwire, compared with
# native: tests/vkw_cmdtest runs every scenario natively on lavapipe, then
# through vkwire (vkwire-server on lavapipe at a private socket) in the
# default (shared) memory mode and in copied mode, always with the Khronos
# validation layer on.  One TAP line per scenario per configuration, then one
# per scenario saying that both vkwire digests (FNV-1a of every byte the
# scenario read back) equal the native one.  TAP on stdout.
#
# Each scenario runs in a process of its own, so that one that crashes or
# loses the connection cannot take the others with it; a failure shows the
# scenario's stderr and the server's log lines written while it ran.
set -u

: "${top_builddir:?}" "${top_srcdir:?}"
server=$top_builddir/vkwire-server
icd=$top_builddir/vkwire_icd.json
cmdtest=$top_builddir/tests/vkw_cmdtest
lvp=
for f in /usr/share/vulkan/icd.d/lvp_icd*.json; do
    [ -f "$f" ] && lvp=$f && break
done
if [ -z "$lvp" ]; then
    echo "1..0 # SKIP needs lavapipe (mesa-vulkan-drivers)"
    exit 0
fi
if [ ! -f /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json ] &&
   [ -z "${VK_LAYER_PATH:-}" ] && [ -z "${VK_ADD_LAYER_PATH:-}" ]; then
    echo "1..0 # SKIP needs the Khronos validation layer (vulkan-validationlayers)"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vkwire-cmd.XXXXXX") || exit 1
chmod 700 "$tmp"
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
started=$(date +%s)
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    shift
    for f in "$@"; do
        [ -s "$f" ] && sed -n '1,40s/^/# /p' "$f"
    done
}
check() {
    status=$1 what=$2
    shift 2
    if [ "$status" -eq 0 ]; then ok "$what"; else not_ok "$what" "$@"; fi
}

# Sanitizer builds (as in check_demo.sh): vkw_cmdtest is ours and
# instrumented.  Natively its only leak is lavapipe's, lost when the loader
# unloads the driver; through vkwire it loads no driver and the leak checker
# stays on.
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
# The validation layer watches every scenario but those Debian 12's layer
# (1.3.239) cannot follow (vkw_cmdtest --without-layer: Vulkan 1.4 entry
# points it does not wrap, structs it does not know).
with_layer=VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation
without_layer=$("$cmdtest" --without-layer)
layer=$with_layer
native() { env $native_env $layer VK_DRIVER_FILES="$lvp" "$@"; }
shared() { env $ours_env $layer VK_DRIVER_FILES="$icd" VKWIRE_SERVER="unix:$tmp/s/socket" "$@"; }
copied() { shared env VKWIRE_MEMORY=copy "$@"; }

scenarios=$("$cmdtest" --list | awk '{ print $1 }')
[ "$(echo "$scenarios" | wc -w)" -ge 19 ]
check $? "vkw_cmdtest --list names $(echo "$scenarios" | wc -w) scenarios"

# run CONFIG WHERE: every scenario alone, in configuration CONFIG (the
# function above of that name).  Leaves $tmp/CONFIG-NAME.digest for each
# that passed.
run_config() {
    config=$1 where=$2
    for s in $scenarios; do
        out=$tmp/$config-$s
        layer=$with_layer
        case " $(echo $without_layer) " in *" $s "*) layer=VKW_NO_LAYER=1 ;; esac
        log_before=0
        [ -f "$tmp/server.log" ] && log_before=$(wc -l <"$tmp/server.log")
        $config timeout 120 "$cmdtest" "$s" >"$out.out" 2>"$out.err"
        rc=$?
        line=$(grep -E "^(not )?ok $s( |:|\$)" "$out.out")
        if [ $rc -eq 0 ] && echo "$line" | grep -qE "^ok $s [0-9a-f]{16}\$"; then
            echo "$line" | awk '{ print $3 }' >"$out.digest"
            ok "$where: $s"
            continue
        fi
        if [ $rc -eq 0 ] && echo "$line" | grep -qE "^ok $s skip: "; then
            echo skip >"$out.digest"
            ok "$where: $s # SKIP $(echo "$line" | sed "s/^ok $s skip: //")"
            continue
        fi
        why=$(echo "$line" | sed -n "s/^not ok $s: //p")
        if [ $rc -eq 124 ]; then
            why="timed out after 120 s"
        elif [ -z "$why" ] && [ -n "$line" ]; then
            why="printed \"$line\" but exited with status $rc (a sanitizer report?)"
        elif [ -z "$why" ]; then
            why="exit status $rc and no result line (it crashed, or lost the connection)"
        fi
        : >"$out.server"
        [ -f "$tmp/server.log" ] && [ "$config" != native ] &&
            tail -n +"$((log_before + 1))" "$tmp/server.log" >"$out.server"
        not_ok "$where: $s: $why" "$out.err" "$out.server"
    done
}

# The validation layer must be watching: a deliberate mistake is reported.
mistake() {
    config=$1 where=$2
    layer=$with_layer # whatever the last scenario of run_config needed
    $config timeout 60 "$cmdtest" mistake >"$tmp/$config-mistake.out" 2>&1
    rc=$?
    [ $rc -eq 1 ] &&
        grep -q "^not ok mistake: 1 validation message, .*VUID-VkBufferCreateInfo-size-00912" \
            "$tmp/$config-mistake.out"
    check $? "$where: a deliberate mistake is reported by the validation layer" \
        "$tmp/$config-mistake.out"
}

# 1. Natively: the test's own sanity, and the reference digests.
run_config native natively
mistake native natively

# 2. The server, on lavapipe.
env $server_env VK_DRIVER_FILES="$lvp" "$server" --listen "unix:$tmp/s/socket" >"$tmp/server.log" 2>&1 &
server_pid=$!
i=0
while [ ! -S "$tmp/s/socket" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$tmp/s/socket" ]
check $? "vkwire-server listens" "$tmp/server.log"

# 3. Through vkwire, in both memory modes.
run_config shared "through vkwire"
mistake shared "through vkwire"
run_config copied "through vkwire, copied memory"
mistake copied "through vkwire, copied memory"

# 4. The same bytes as native, scenario by scenario.
for s in $scenarios; do
    want=$(cat "$tmp/native-$s.digest" 2>/dev/null)
    have_shared=$(cat "$tmp/shared-$s.digest" 2>/dev/null)
    have_copied=$(cat "$tmp/copied-$s.digest" 2>/dev/null)
    if [ -z "$want" ]; then
        not_ok "$s: the same bytes through vkwire as natively (no native digest to compare)"
    elif [ "$want" = skip ] && [ "$have_shared" = skip ] && [ "$have_copied" = skip ]; then
        ok "$s: skipped natively and through vkwire alike # SKIP the device lacks what it needs"
    elif [ "$have_shared" = "$want" ] && [ "$have_copied" = "$want" ]; then
        ok "$s: the same bytes through vkwire as natively ($want, shared and copied memory)"
    else
        differ="native $want, shared ${have_shared:-none}, copied ${have_copied:-none}"
        not_ok "$s: the same bytes through vkwire as natively: $differ"
    fi
done

# 5. The server saw every client come and go cleanly, and shuts down cleanly.
! grep -qE "crashed|protocol error|runtime error|AddressSanitizer|LeakSanitizer" "$tmp/server.log"
check $? "server log: no crash, no protocol error" "$tmp/server.log"
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ $rc -eq 0 ]
check $? "SIGTERM: the server exits 0" "$tmp/server.log"

echo "# $(($(date +%s) - started)) s"
echo "1..$n"
[ "$failed" -eq 0 ]
