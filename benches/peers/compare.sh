#!/usr/bin/env bash
# Issue #10 target 1: levamp sim vs its NumPy and Numba peers on the GBM
# cascade (gbm-cascade.toml), side by side. Sets up what it needs:
#   - benches/peers/.venv with numpy and numba from PyPI (when missing),
#   - benches/peers/accounts.json (gen_accounts.py, when missing),
#   - target/release/levamp (cargo build --release -p levamp-cli),
# then runs compare.py, which times the three whole processes and prints the
# table and the agreement check. Arguments go to compare.py:
#   --paths N  --seed S  --runs N (best of N)  --scenario TOML
# Exit status: 0 when the statistics agree within Monte-Carlo error, 1 when
# not, 2 on bad input.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"

if ! "$venv/bin/python" -c 'import numpy, numba' 2>/dev/null; then
    echo "compare: setting up $venv (numpy, numba)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numpy numba
fi
if [[ ! -f "$here/accounts.json" ]]; then
    "$venv/bin/python" "$here/gen_accounts.py"
fi
(cd "$root" && cargo build --release --quiet -p levamp-cli)
exec "$venv/bin/python" "$here/compare.py" --python "$venv/bin/python" "$@"
