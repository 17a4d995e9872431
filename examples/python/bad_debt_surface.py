"""Bad debt over a grid of market impact λ × account leverage, swept on Ray:
`python examples/python/bad_debt_surface.py [--paths N] [--points N] [--out surface.png]`.

Every grid point runs the same random paths (common random numbers), so the
surface's differences are the parameters', not noise. The sweep goes to the
Ray cluster that `RAY_ADDRESS` names (`ray start --head` on one machine,
`ray start --address=HEAD:6379` on the others; or KubeRay), or to a local
Ray started here; docs/python.md. Without matplotlib it prints the table.
Run from the repository root.
"""

from __future__ import annotations

import argparse

import numpy as np

import levamp

# A generated book of ETH perps through a jumpy day (docs/scenarios.md);
# the sweep sets impact.lambda and population.leverage.median.
SCENARIO = """
name = "surface"
[run]
seed = 1
paths = 200
steps = 240
dt_s = 60
[venue]
preset = "generic"
insurance_fund = 0
[markets.ETHUSDT]
base = "ETH"
liquidation_fee_rate = 0.01
tiers = [{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }]
[population]
accounts = ACCOUNTS
market = "ETHUSDT"
long_share = 0.7
leverage = { median = 10, sigma = 0.5, min = 1, max = 50 }
notional = { min = 1000, alpha = 1.4, max = 1000000 }
entry_dispersion = 0.02
[price]
model = "jump"
start = 2000
sigma = 1.0
intensity = 2000
jump_mean = -0.02
jump_sigma = 0.02
[impact]
model = "linear"
lambda = 0.0001
"""


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=200, help="paths per grid point (default 200)")
    ap.add_argument("--points", type=int, default=8, help="values per axis (default 8: 64 points)")
    ap.add_argument("--accounts", type=int, default=2000, help="accounts in the book (default 2,000)")
    ap.add_argument("--cpus", type=int, help="CPUs of a local Ray (default: all)")
    ap.add_argument("--backend", default="ray", choices=["ray", "local"])
    ap.add_argument("--out", default="bad-debt-surface.png", help="the plot (PNG)")
    args = ap.parse_args(argv)

    if args.backend == "ray":
        import ray

        if not ray.is_initialized():
            # RAY_ADDRESS set: that cluster; else a local one.
            ray.init(num_cpus=args.cpus)
    grid = {
        "impact.lambda": [round(float(x), 6) for x in np.geomspace(0.01, 1.0, args.points)],
        "population.leverage.median": [round(float(x), 2) for x in np.linspace(3, 25, args.points)],
    }
    scenario = SCENARIO.replace("ACCOUNTS", str(args.accounts))
    df = levamp.sweep(scenario, grid, paths=args.paths, seed=1, backend=args.backend)
    surface = df.pivot(index="population.leverage.median", columns="impact.lambda", values="bad_debt.mean")
    print(surface.round(0).to_string())

    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no plot")
        return {"sweep": df, "plot": None}
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    x, y = np.meshgrid(surface.columns.to_numpy(), surface.index.to_numpy())
    filled = ax.contourf(x, y, surface.to_numpy(), levels=12, cmap="magma_r")
    fig.colorbar(filled, ax=ax, label="mean bad debt (USDT)")
    ax.set_xscale("log")
    ax.set(xlabel="impact λ (USDT of price per ETH sold)", ylabel="median leverage",
           title=f"Bad debt, {len(df)} points × {args.paths} paths")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    plt.close(fig)
    print(f"wrote {args.out}")
    return {"sweep": df, "plot": args.out}


if __name__ == "__main__":
    main()
