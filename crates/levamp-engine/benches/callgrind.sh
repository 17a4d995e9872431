#!/bin/sh
# Instruction counts of the venue's hot paths under callgrind: stable on a
# noisy machine, so a regression shows even when wall-clock benches wander.
#
#   crates/levamp-engine/benches/callgrind.sh [ACCOUNTS] [COMMANDS]
#
# Runs the `venue` bench binary in `stream` mode (one fixed, seeded stream,
# run once) for 0, 50 and 100 % fills and prints instructions per command,
# counting only `run_stream` (the venue set-up is excluded).
set -eu
accounts=${1:-10000}
commands=${2:-20000}
cd "$(dirname "$0")/../../.."
cargo bench -p levamp-engine --bench venue --no-run 2>/dev/null
bin=$(ls -t target/release/deps/venue-* | grep -v '\.d$' | head -n 1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for fills in 0 50 100; do
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        --toggle-collect='*run_stream*' "$bin" stream "$accounts" "$fills" "$commands" \
        >/dev/null 2>"$out/log"
    ir=$(sed -n 's/^summary: //p' "$out/cg")
    echo "$accounts accounts, $fills % fills: $((ir / commands)) instructions per command"
done
