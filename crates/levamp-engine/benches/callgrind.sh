#!/bin/sh
# Instruction counts of the venue's hot paths under callgrind: stable on a
# noisy machine, so a regression shows even when wall-clock benches wander.
#
#   crates/levamp-engine/benches/callgrind.sh [ACCOUNTS] [COMMANDS]
#   crates/levamp-engine/benches/callgrind.sh liquidation [ACCOUNTS] [LIQUIDATIONS]
#
# Default: runs the `venue` bench binary in `stream` mode (one fixed, seeded
# stream, run once) for 0, 50 and 100 % fills and prints instructions per
# command, counting only `run_stream` (the venue set-up is excluded).
# `liquidation`: runs the `liquidation` bench once (one oracle update that
# liquidates about LIQUIDATIONS of ACCOUNTS isolated longs) and prints
# instructions per liquidation, counting only `crash`.
set -eu
cd "$(dirname "$0")/../../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ "${1:-}" = liquidation ]; then
    accounts=${2:-10000}
    k=${3:-1000}
    cargo bench -p levamp-engine --bench liquidation --no-run 2>/dev/null
    bin=$(ls -t target/release/deps/liquidation-* | grep -v '\.d$' | head -n 1)
    done_=$(valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        --toggle-collect='*crash*' "$bin" once "$accounts" "$k" 2>"$out/log")
    liquidated=$(echo "$done_" | sed -n 's/.*: \([0-9]*\) liquidated/\1/p')
    ir=$(sed -n 's/^summary: //p' "$out/cg")
    echo "$accounts accounts, $liquidated liquidated: $((ir / liquidated)) instructions per liquidation"
    exit 0
fi
accounts=${1:-10000}
commands=${2:-20000}
cargo bench -p levamp-engine --bench venue --no-run 2>/dev/null
bin=$(ls -t target/release/deps/venue-* | grep -v '\.d$' | head -n 1)
for fills in 0 50 100; do
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        --toggle-collect='*run_stream*' "$bin" stream "$accounts" "$fills" "$commands" \
        >/dev/null 2>"$out/log"
    ir=$(sed -n 's/^summary: //p' "$out/cg")
    echo "$accounts accounts, $fills % fills: $((ir / commands)) instructions per command"
done
