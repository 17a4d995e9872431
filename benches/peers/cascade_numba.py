#!/usr/bin/env python3
"""Numba peer of `levamp sim`: the algorithm of cascade_numpy.py, JIT-compiled.

One @njit loop over paths and steps (single-threaded, float64): GBM move,
then rounds of `searchsorted` on the sorted liquidation prices, each
liquidated account's size sold into linear permanent impact, until a round
liquidates no one or `max_rounds` rounds have. The function is compiled
first on a one-path, one-step input (reported as compile_s, no on-disk
cache), so compute_s is the run alone. Prints one JSON line (see
peer_common.report).

Usage: cascade_numba.py SCENARIO.toml [--paths N] [--seed S]
"""

import time

T0 = time.perf_counter()


import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

import peer_common  # noqa: E402

TICK = 1e-12  # levamp's price floor: one tick


@njit(cache=False)
def simulate(lp, size_above, start, drift, vol, lam, steps, max_rounds, paths, seed):
    """Final price, minimum price and accounts liquidated of each path."""
    np.random.seed(seed)
    n = lp.shape[0]
    final = np.empty(paths)
    low = np.empty(paths)
    liquidated = np.empty(paths, dtype=np.int64)
    for path in range(paths):
        price, min_price, cut = start, start, n
        for _ in range(steps):
            price *= np.exp(drift + vol * np.random.standard_normal())
            for _ in range(max_rounds):
                k = np.searchsorted(lp, price)  # side="left": lp[k:] >= price
                if k >= cut:
                    break
                price = max(price - lam * (size_above[k] - size_above[cut]), TICK)
                cut = k
            min_price = min(min_price, price)
        final[path], low[path], liquidated[path] = price, min_price, n - cut
    return final, low, liquidated


def main():
    t_setup = time.perf_counter()
    p, paths, seed = peer_common.cli("cascade_numba", __doc__.splitlines()[0])
    drift = (p["mu"] - 0.5 * p["sigma"] ** 2) * p["dt_years"]
    vol = p["sigma"] * np.sqrt(p["dt_years"])
    args = (p["liquidation_price"], p["size_above"], p["start"], drift, vol, p["lam"])
    t_compile = time.perf_counter()
    simulate(*args, 1, p["max_rounds"], 1, seed)
    t_compute = time.perf_counter()
    final, low, liquidated = simulate(*args, p["steps"], p["max_rounds"], paths, seed)
    t_end = time.perf_counter()
    peer_common.report(
        "numba",
        final,
        low,
        liquidated,
        {
            "import_s": t_setup - T0,
            "setup_s": t_compile - t_setup,
            "compile_s": t_compute - t_compile,
            "compute_s": t_end - t_compute,
            "total_s": t_end - T0,
        },
    )


if __name__ == "__main__":
    main()
