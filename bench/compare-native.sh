#!/bin/sh
# vkwire against native on whatever driver VK_DRIVER_FILES names (an
# NVIDIA GPU, say): what check_icd.sh and check_cmd.sh compare on lavapipe,
# for a machine where make check does not run.  Starts vkwire-server on
# that driver at a private socket and writes into OUTDIR:
#   vulkaninfo-native.txt, vulkaninfo-vkwire.txt   (tests/vulkaninfo_normalize.py
#                                                  compares them where lxml is)
#   devinfo-native.txt, devinfo-vkwire.txt         every forwarded feature and
#                                                  property struct (tests/vkw_devinfo)
#   cmdtest-native.txt, cmdtest-shared.txt, cmdtest-copied.txt
#                                                  every vkw_cmdtest scenario,
#                                                  one process each
#   summary.txt                                    what differs
#
#   VK_DRIVER_FILES=/path/to/icd.json bench/compare-native.sh OUTDIR
#
# top_builddir names the build tree (default: the source tree).
set -u
build=${top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
out=${1:?usage: VK_DRIVER_FILES=ICD.json compare-native.sh OUTDIR}
driver=${VK_DRIVER_FILES:?VK_DRIVER_FILES must name the manifest of the host driver}
server=$build/vkwire-server
icd=$build/vkwire_icd.json
cmdtest=$build/tests/vkw_cmdtest
devinfo=$build/tests/vkw_devinfo
mkdir -p "$out" || exit 1
dir=$(mktemp -d "${TMPDIR:-/tmp}/vkwire-compare.XXXXXX") || exit 1
chmod 700 "$dir"
VK_DRIVER_FILES=$driver "$server" --listen "unix:$dir/socket" 2>"$out/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
i=0
while [ ! -S "$dir/socket" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

native() { VK_DRIVER_FILES=$driver "$@"; }
vkwire() { VK_DRIVER_FILES=$icd VKWIRE_SERVER=unix:$dir/socket "$@"; }

native vulkaninfo >"$out/vulkaninfo-native.txt" 2>&1
vkwire vulkaninfo >"$out/vulkaninfo-vkwire.txt" 2>&1
native "$devinfo" >"$out/devinfo-native.txt" 2>&1
vkwire "$devinfo" >"$out/devinfo-vkwire.txt" 2>&1
: >"$out/cmdtest-native.txt"
: >"$out/cmdtest-shared.txt"
: >"$out/cmdtest-copied.txt"
for s in $("$cmdtest" --list | awk '{ print $1 }'); do
    native timeout 120 "$cmdtest" "$s" 2>/dev/null | grep "^ok\|^not ok" >>"$out/cmdtest-native.txt"
    vkwire timeout 120 "$cmdtest" "$s" 2>/dev/null | grep "^ok\|^not ok" >>"$out/cmdtest-shared.txt"
    vkwire env VKWIRE_MEMORY=copy timeout 120 "$cmdtest" "$s" 2>/dev/null |
        grep "^ok\|^not ok" >>"$out/cmdtest-copied.txt"
done
{
    structs=$(wc -l <"$out/devinfo-native.txt")
    differ=$(diff "$out/devinfo-native.txt" "$out/devinfo-vkwire.txt" | grep -c '^<')
    echo "devinfo: $structs structs natively; $differ differ"
    diff "$out/devinfo-native.txt" "$out/devinfo-vkwire.txt" | sed -n 's/^< \([A-Za-z0-9_.]*\):.*/  differs: \1/p'
    for m in shared copied; do
        passed=$(grep -c '^ok' "$out/cmdtest-$m.txt")
        failed=$(grep -c '^not ok' "$out/cmdtest-$m.txt")
        differ=$(diff "$out/cmdtest-native.txt" "$out/cmdtest-$m.txt" | grep -c '^>')
        echo "cmdtest $m: $passed ok, $failed not ok; $differ lines differ from native"
        diff "$out/cmdtest-native.txt" "$out/cmdtest-$m.txt" | sed -n 's/^> /  /p'
    done
} >"$out/summary.txt"
cat "$out/summary.txt"
