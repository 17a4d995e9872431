#!/usr/bin/env bash
# The Python half of the README's test command
# (`cargo test --workspace && ./scripts/pytest.sh`): `pip install .` into
# .venv, then pytest python/tests, which compares the package's results with
# the CLI binary that `cargo test --workspace` built (target/debug/levamp).
#
# .venv is created when missing and reused after; it gets maturin, pytest,
# numpy, pandas, pyarrow, tqdm, ray (the sweep backend: a local
# two-CPU instance in the tests) and matplotlib (the examples' plots) from
# PyPI: about a minute the first time (ray is the largest, ~70 MB). Set LEVAMP_PYTHON to choose
# the interpreter (default python3, 3.9 or later).
set -euo pipefail
cd "$(dirname "$0")/.."


python="${LEVAMP_PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# maturin's build hook runs `maturin` by name: the venv's bin goes first.
export PATH="$PWD/.venv/bin:$PATH"
export PIP_DISABLE_PIP_VERSION_CHECK=1
start=$(date +%s)
pip install --quiet maturin pytest numpy pandas pyarrow tqdm ray matplotlib
# No build isolation: the build uses the maturin just installed instead of
# fetching another, and reuses target/wheel between runs.
pip install --quiet --no-build-isolation .
echo "python package built and installed in $(( $(date +%s) - start )) s"
LEVAMP_BIN="$PWD/target/debug/levamp" python -m pytest -q python/tests
