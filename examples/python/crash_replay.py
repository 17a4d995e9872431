"""The crash of 2025-10-10 replayed minute by minute, against the price fan
of its Monte-Carlo twin (jump diffusion from the same start, same book):
`python examples/python/crash_replay.py [--paths N] [--accounts N] [--out fan.png]`.

Draws the p5–p95 band and the median of every path's price (metrics.json
`price_quantiles`) with the replayed price over it; without matplotlib it
prints the numbers instead. Run from the repository root.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import levamp

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

REPLAY = Path("scenarios/crash-2025-10-10.toml")
MONTE_CARLO = Path("scenarios/crash-2025-10-10-mc.toml")


def scenario(path: Path, accounts: int | None) -> dict:
    """The scenario as a dict, its book cut to ``accounts`` when given and
    its files named from the working directory (a dict's paths resolve
    from there)."""
    s = tomllib.loads(path.read_text(encoding="utf-8"))
    if accounts is not None:
        s["population"]["accounts"] = accounts
    if "csv" in s["price"]:
        s["price"]["csv"] = str(path.parent / s["price"]["csv"])
    return s


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=200, help="Monte-Carlo paths (default 200)")
    ap.add_argument("--accounts", type=int, help="accounts in the book (default: the scenario's 20,000)")
    ap.add_argument("--out", default="crash-fan.png", help="the plot (PNG)")
    args = ap.parse_args(argv)

    replay = levamp.sim(scenario(REPLAY, args.accounts), progress=False)
    fan = levamp.sim(scenario(MONTE_CARLO, args.accounts), paths=args.paths, seed=7, progress=False)
    quantiles = fan.metrics["price_quantiles"]
    price = replay.series[replay.series["path"] == 0]
    print(f"replay: {replay.metrics['summary']['liquidated_notional']['mean']:,.0f} USDT liquidated, "
          f"bad debt {replay.metrics['summary']['bad_debt']['mean']:,.0f}")
    print(f"Monte Carlo ({args.paths} paths): final price p5/p50/p95 = "
          f"{quantiles[-1]['p5']:,.0f} / {quantiles[-1]['p50']:,.0f} / {quantiles[-1]['p95']:,.0f}")

    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no plot")
        return {"replay": replay, "fan": fan, "plot": None}
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    steps = [q["step"] for q in quantiles]
    ax.fill_between(steps, [q["p5"] for q in quantiles], [q["p95"] for q in quantiles],
                    alpha=0.3, label=f"Monte Carlo p5–p95 ({args.paths} paths)")
    ax.plot(steps, [q["p50"] for q in quantiles], label="Monte Carlo median")
    ax.plot(price["step"], price["price"], color="black", lw=1, label="replay 2025-10-10")
    ax.set(xlabel="minute", ylabel="BTC price (USDT)", title="2025-10-10: replay against the price fan")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    plt.close(fig)
    print(f"wrote {args.out}")
    return {"replay": replay, "fan": fan, "plot": args.out}


if __name__ == "__main__":
    main()
