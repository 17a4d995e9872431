#!/usr/bin/env python3
"""NumPy peer of `levamp sim` on a GBM cascade with linear impact (float64).

The algorithm of issue #10: liquidation prices sorted once; a Python loop
over steps, vectorised across paths. Each step the price moves by a GBM
return exp((mu - sigma^2/2) dt + sigma sqrt(dt) Z); then, round after round
(an instant oracle), the accounts the price has reached are found with
`searchsorted` (those with liquidation price >= price, a suffix of the sorted
book, since a liquidated account stays liquidated), their whole size is sold,
the price falls by lambda per unit sold, until a round liquidates no one or
`max_rounds` rounds have. Prints one JSON line (see peer_common.report).

Usage: cascade_numpy.py SCENARIO.toml [--paths N] [--seed S]
"""

import time

T0 = time.perf_counter()


import numpy as np  # noqa: E402

import peer_common  # noqa: E402

TICK = 1e-12  # levamp's price floor: one tick


def simulate(p, paths, seed):
    """Final price, minimum price and accounts liquidated of each path."""
    lp, size_above = p["liquidation_price"], p["size_above"]
    lam, max_rounds = p["lam"], p["max_rounds"]
    drift = (p["mu"] - 0.5 * p["sigma"] ** 2) * p["dt_years"]
    vol = p["sigma"] * np.sqrt(p["dt_years"])
    rng = np.random.default_rng(seed)
    price = np.full(paths, p["start"])
    min_price = price.copy()
    cut = np.full(paths, len(lp))  # accounts cut.. (sorted order) are liquidated
    for _ in range(p["steps"]):
        price *= np.exp(drift + vol * rng.standard_normal(paths))
        active = np.arange(paths)
        for _ in range(max_rounds):
            k = np.searchsorted(lp, price[active], side="left")
            new = k < cut[active]
            if not new.any():
                break
            active, k = active[new], k[new]
            sold = size_above[k] - size_above[cut[active]]
            price[active] = np.maximum(price[active] - lam * sold, TICK)
            cut[active] = k
        np.minimum(min_price, price, out=min_price)
    return price, min_price, len(lp) - cut


def main():
    t_setup = time.perf_counter()
    p, paths, seed = peer_common.cli("cascade_numpy", __doc__.splitlines()[0])
    t_compute = time.perf_counter()
    final, low, liquidated = simulate(p, paths, seed)
    t_end = time.perf_counter()
    peer_common.report(
        "numpy",
        final,
        low,
        liquidated,
        {
            "import_s": t_setup - T0,
            "setup_s": t_compute - t_setup,
            "compute_s": t_end - t_compute,
            "total_s": t_end - T0,
        },
    )


if __name__ == "__main__":
    main()
