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
# transport without shared memory).  All three move their messages through
# the shared-memory ring; "noring" is "shared" with VKWIRE_RING=0 (every
# message over the socket), to compare.  VKW_BENCH_CONFIGS picks and
# orders the configurations (native first), e.g. "native shared noring".
# VKW_BENCH_BASELINE=DIR, another vkwire build tree (an older commit, say),
# adds "old-CONFIG" for each vkwire configuration: the same jobs through
# that build's server and ICD, in the same run, so a change is measured
# against what it replaces on the same machine at the same time.
#
#   bench/run-bench.sh [ROUNDS]        (default 5)
set -u
build=${top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
rounds=${1:-5}
configs=${VKW_BENCH_CONFIGS:-native shared noring copied socket}
bench=$build/bench/vkw_bench
demo=$build/vkwire-demo
server=$build/vkwire-server
icd=$build/vkwire_icd.json
for f in "$bench" "$demo" "$server" "$icd"; do
    [ -e "$f" ] || { echo "run-bench: $f is missing: build first (make)" >&2; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/vkwire-bench.XXXXXX") || exit 1
chmod 700 "$dir"
"$server" --listen "unix:$dir/socket" --quiet 2>"$dir/server.log" &
pid=$!
old_pid=
trap 'kill $pid $old_pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
base=${VKW_BENCH_BASELINE:-}
if [ -n "$base" ]; then
    for f in "$base/vkwire-server" "$base/vkwire_icd.json"; do
        [ -e "$f" ] || { echo "run-bench: $f is missing: build the baseline first" >&2; exit 1; }
    done
    "$base/vkwire-server" --listen "unix:$dir/old-socket" --quiet 2>"$dir/old-server.log" &
    old_pid=$!
    olds=
    for config in $configs; do
        [ "$config" = native ] || olds="$olds old-$config"
    done
    configs="$configs$olds"
fi
i=0
while { [ ! -S "$dir/socket" ] || { [ -n "$base" ] && [ ! -S "$dir/old-socket" ]; }; } &&
      [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done

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
# through ICD SOCKET CONFIG: the jobs through that build in a vkwire mode.
through() {
    case $3 in
    shared) VK_DRIVER_FILES=$1 VKWIRE_SERVER=unix:$2 figures ;;
    copied) VK_DRIVER_FILES=$1 VKWIRE_SERVER=unix:$2 VKWIRE_MEMORY=copy figures ;;
    socket) VK_DRIVER_FILES=$1 VKWIRE_SERVER=unix:$2 VKWIRE_MEMORY=copy-socket figures ;;
    noring) VK_DRIVER_FILES=$1 VKWIRE_SERVER=unix:$2 VKWIRE_RING=0 figures ;;
    esac
}
run() { # CONFIG: append "CONFIG FIGURE VALUE UNIT" lines
    case $1 in
    native) figures ;;
    old-*) through "$base/vkwire_icd.json" "$dir/old-socket" "${1#old-}" ;;
    *) through "$icd" "$dir/socket" "$1" ;;
    esac | sed "s/^/$1 /" >>"$dir/results"
}
r=0
while [ $r -lt "$rounds" ]; do
    for config in $configs; do
        run $config
        # The last client's worker tears down, and the spare workers that
        # replace the ones it took start their driver (a second after),
        # before the next run starts: neither is the next run's cost.
        sleep 2
    done
    r=$((r + 1))
done

echo "vkwire benchmark: $rounds rounds, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -n)"
sort -k2,2 -k1,1 -k3,3g "$dir/results" | awk -v configs="$configs" '
    { key = $2 SUBSEP $1; v[key, ++n[key]] = $3; unit[$2] = $4; figs[$2] = 1 }
    function median(k,   c) { c = n[k]; return c % 2 ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2 }
    function spread(k,   m) { m = median(k); return m ? (v[k, n[k]] - v[k, 1]) / m * 100 : 0 }
    function speed(f, x, nat) { return x && nat ? (unit[f] ~ /^(ns\/call|us|ms)$/ ? nat / x : x / nat) : 0 }
    END {
        nc = split(configs, cfg, " ")
        line = sprintf("%-10s %-12s %12s", "figure", "unit", cfg[1]); spr = cfg[1]
        for (c = 2; c <= nc; c++) { line = line sprintf(" %12s %6s", cfg[c], "speed"); spr = spr "/" cfg[c] }
        print line "  spread (" spr ")"
        split("startup roundtrip query memreq churn submit dispatch saxpy render upload readback firstuse", order, " ")
        for (o = 1; o in order; o++) {
            f = order[o]
            if (!(f in figs)) continue
            nat = median(f SUBSEP cfg[1])
            line = sprintf("%-10s %-12s %12.3f", f, unit[f], nat); spr = sprintf("%.0f%%", spread(f SUBSEP cfg[1]))
            for (c = 2; c <= nc; c++) {
                x = median(f SUBSEP cfg[c])
                line = line sprintf(" %12.3f %6.2f", x, speed(f, x, nat))
                spr = spr sprintf(" / %.0f%%", spread(f SUBSEP cfg[c]))
            }
            print line "  " spr
        }
    }'
