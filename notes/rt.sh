#!/bin/bash
# usage: rt.sh BUILD "cfgs" args...
b=$1; shift; cfgs=$1; shift
cd $b
d=$(mktemp -d /tmp/rt.XXXX)
./vkwire-server --listen unix:$d/s --verbose 2>$d/log &
spid=$!
sleep 0.5
for cfg in $cfgs; do echo "== ring=$cfg"; VKWIRE_RING=$cfg VK_DRIVER_FILES=$PWD/vkwire_icd.json VKWIRE_SERVER=unix:$d/s timeout 120 ./bench/vkw_bench "$@" 2>&1 | tail -12; done
tail -6 $d/log
kill $spid
