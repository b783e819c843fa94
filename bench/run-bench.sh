#!/bin/sh
# make bench: vkwire against native in one run.  Starts vkwire-server on the
# host's default driver (or VK_DRIVER_FILES) at a private socket, runs
# vkw_bench natively and through vkwire in each memory mode, alternating
# (native, shared, copied, native, ...) for ROUNDS rounds, and prints one
# table: each figure's median per configuration, the ratio to native, and
# the spread ((max - min) / median) that says how much to trust it.
#
#   bench/run-bench.sh [ROUNDS]        (default 5; VKW_BENCH_MIB, default 64)
set -u
build=${top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
rounds=${1:-5}
mib=${VKW_BENCH_MIB:-64}
bench=$build/bench/vkw_bench
server=$build/vkwire-server
icd=$build/vkwire_icd.json
for f in "$bench" "$server" "$icd"; do
    [ -e "$f" ] || { echo "run-bench: $f is missing: build first (make)" >&2; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/vkwire-bench.XXXXXX") || exit 1
"$server" --listen "unix:$dir/socket" --quiet 2>"$dir/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
i=0
while [ ! -S "$dir/socket" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

run() { # CONFIG: append "CONFIG FIGURE VALUE UNIT" lines
    case $1 in
    native) "$bench" memory "$mib" ;;
    shared) VK_DRIVER_FILES=$icd VKWIRE_SERVER=unix:$dir/socket "$bench" memory "$mib" ;;
    copied) VK_DRIVER_FILES=$icd VKWIRE_SERVER=unix:$dir/socket VKWIRE_MEMORY=copy \
                "$bench" memory "$mib" ;;
    esac | sed "s/^/$1 /" >>"$dir/results"
}
r=0
while [ $r -lt "$rounds" ]; do
    for config in native shared copied; do run $config; done
    r=$((r + 1))
done

echo "vkwire benchmark: $rounds rounds, $mib MiB, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -n)"
sort -k2,2 -k1,1 -k3,3g "$dir/results" | awk '
    { key = $2 SUBSEP $1; v[key, ++n[key]] = $3; unit[$2] = $4; figs[$2] = 1; cfgs[$1] = 1 }
    function median(k,   c) { c = n[k]; return c % 2 ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2 }
    function spread(k,   m) { m = median(k); return m ? (v[k, n[k]] - v[k, 1]) / m * 100 : 0 }
    END {
        printf "%-10s %-5s %10s %10s %7s %10s %7s  %s\n", "figure", "unit", "native", "shared", "ratio", "copied", "ratio", "spread (native/shared/copied)"
        for (f in figs) {
            nat = median(f SUBSEP "native"); sh = median(f SUBSEP "shared"); cp = median(f SUBSEP "copied")
            printf "%-10s %-5s %10.3f %10.3f %7.2f %10.3f %7.2f  %.0f%% / %.0f%% / %.0f%%\n", f, unit[f], nat, sh, sh / nat, cp, cp / nat,
                spread(f SUBSEP "native"), spread(f SUBSEP "shared"), spread(f SUBSEP "copied")
        }
    }'
