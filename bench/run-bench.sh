#!/bin/sh
# make bench: vkwire against native in one run.  Starts vkwire-server on the
# host's default driver (or VK_DRIVER_FILES) at a private socket, runs
# vkw_bench and the two vkwire-demo jobs (SAXPY, rendered frames)
# natively and through vkwire in each memory mode, alternating
# (native, shared, copied, socket, native, ...) for ROUNDS rounds, and
# prints one table: each figure's median per configuration, its speed as a
# fraction of native (native time / vkwire time, or vkwire rate / native
# rate: 1.00 is native speed, 0.50 half of it), and the spread ((max - min)
# / median) that says how much to trust it.  "copied" is VKWIRE_MEMORY=copy
# (shared shadows: the host copies, no bulk bytes on the socket); "socket"
# is VKWIRE_MEMORY=copy-socket (every byte over the socket, as on a
# transport without shared memory).
#
#   bench/run-bench.sh [ROUNDS]        (default 5)
set -u
build=${top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
rounds=${1:-5}
bench=$build/bench/vkw_bench
demo=$build/vkwire-demo
server=$build/vkwire-server
icd=$build/vkwire_icd.json
for f in "$bench" "$demo" "$server" "$icd"; do
    [ -e "$f" ] || { echo "run-bench: $f is missing: build first (make)" >&2; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/vkwire-bench.XXXXXX") || exit 1
"$server" --listen "unix:$dir/socket" --quiet 2>"$dir/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
i=0
while [ ! -S "$dir/socket" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

# The real jobs come from vkwire-demo (the same binary both ways): SAXPY
# over 16M floats, verified ("saxpy MS ms"), and 200 offscreen frames of the
# torus, each read back ("render FPS frames/s").
figures() {
    "$bench" all
    (cd "$dir" && "$demo" compute) |
        sed -n 's/^saxpy: .*, \([0-9.]*\) ms end to end.*verified$/saxpy \1 ms/p'
    (cd "$dir" && "$demo" frames 200) |
        sed -n 's/^render: [0-9]* frames, \([0-9.]*\) frames\/s.*/render \1 frames\/s/p'
}
run() { # CONFIG: append "CONFIG FIGURE VALUE UNIT" lines
    case $1 in
    native) figures ;;
    shared) VK_DRIVER_FILES=$icd VKWIRE_SERVER=unix:$dir/socket figures ;;
    copied) VK_DRIVER_FILES=$icd VKWIRE_SERVER=unix:$dir/socket VKWIRE_MEMORY=copy figures ;;
    socket) VK_DRIVER_FILES=$icd VKWIRE_SERVER=unix:$dir/socket VKWIRE_MEMORY=copy-socket \
                figures ;;
    esac | sed "s/^/$1 /" >>"$dir/results"
}
r=0
while [ $r -lt "$rounds" ]; do
    for config in native shared copied socket; do
        run $config
        sleep 0.5 # the last client's worker tears down before the next run starts
    done
    r=$((r + 1))
done

echo "vkwire benchmark: $rounds rounds, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -n)"
sort -k2,2 -k1,1 -k3,3g "$dir/results" | awk '
    { key = $2 SUBSEP $1; v[key, ++n[key]] = $3; unit[$2] = $4; figs[$2] = 1; cfgs[$1] = 1 }
    function median(k,   c) { c = n[k]; return c % 2 ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2 }
    function spread(k,   m) { m = median(k); return m ? (v[k, n[k]] - v[k, 1]) / m * 100 : 0 }
    function speed(f, x, nat) { return unit[f] ~ /^(ns\/call|us|ms)$/ ? nat / x : x / nat }
    END {
        printf "%-10s %-12s %12s %12s %6s %12s %6s %12s %6s  %s\n", "figure", "unit", "native", "shared", "speed", "copied", "speed", "socket", "speed", "spread (native/shared/copied/socket)"
        split("startup roundtrip query memreq churn submit dispatch saxpy render upload readback", order, " ")
        for (o = 1; o in order; o++) {
            f = order[o]
            if (!(f in figs)) continue
            nat = median(f SUBSEP "native"); sh = median(f SUBSEP "shared"); cp = median(f SUBSEP "copied"); so = median(f SUBSEP "socket")
            printf "%-10s %-12s %12.3f %12.3f %6.2f %12.3f %6.2f %12.3f %6.2f  %.0f%% / %.0f%% / %.0f%% / %.0f%%\n", f, unit[f], nat, sh, speed(f, sh, nat), cp, speed(f, cp, nat), so, speed(f, so, nat),
                spread(f SUBSEP "native"), spread(f SUBSEP "shared"), spread(f SUBSEP "copied"), spread(f SUBSEP "socket")
        }
    }'
