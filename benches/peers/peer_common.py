"""What both peers share: the scenario's parameters read from the same TOML
levamp runs, the account book read from the same snapshot, the liquidation
prices computed by the generic venue's formula, and the statistics they print.

Liquidation price of an isolated long (levamp-engine margin.rs): the scope is
liquidatable when equity <= maintenance margin,
    isolated_margin + size * p - cost <= mmr * size * p,   cost = size * entry,
so at and below p* = (cost - isolated_margin) / (size * (1 - mmr)).
"""

import argparse
import json
import math
import os
import sys
import tomllib

import numpy as np

# Seconds in the 365-day year levamp annualises volatilities with (price.rs YEAR_S).
YEAR_S = 365.0 * 24.0 * 3600.0


class ScenarioError(Exception):
    """A scenario or snapshot this peer does not model (one line, names the key)."""


def load(scenario_path):
    """Scenario parameters and the book, liquidation prices ascending.

    Returns a dict: start, mu, sigma, dt_years, lam, steps, paths, seed,
    max_rounds, accounts, and arrays liquidation_price (ascending) and
    size_above (size_above[k] = total size of accounts k.. in that order).
    """
    with open(scenario_path, "rb") as f:
        s = tomllib.load(f)
    at = os.path.basename(scenario_path)

    def need(cond, key, what):
        if not cond:
            raise ScenarioError(f"{at}: {key}: {what}")

    run, price, impact = s.get("run", {}), s.get("price", {}), s.get("impact", {})
    need(s.get("venue", {}).get("preset") == "generic", "venue.preset", 'the peers model "generic" only')
    need(price.get("model") == "gbm", "price.model", 'the peers model "gbm" only')
    need(impact.get("model") == "linear", "impact.model", 'the peers model "linear" only')
    need(s.get("oracle", {}).get("latency_steps", 0) == 0, "oracle.latency_steps", "the peers model an instant oracle only")
    for table in ("agents", "funding", "population", "lending"):
        need(table not in s, table, "not modelled by the peers")
    snapshot = s.get("accounts", {}).get("snapshot")
    need(snapshot is not None, "accounts.snapshot", "required (the peers read the same book)")
    p = {
        "start": float(price.get("start", 0.0)),
        "mu": float(price.get("mu", 0.0)),
        "sigma": float(price.get("sigma", 0.0)),
        "dt_years": float(run.get("dt_s", 60)) / YEAR_S,
        "lam": float(impact.get("lambda", 0.0)),
        "steps": int(run.get("steps", 1440)),
        "paths": int(run.get("paths", 1)),
        "seed": int(run.get("seed", 0)),
        "max_rounds": int(run.get("max_rounds", 100)),
    }
    need(p["start"] > 0, "price.start", "must be positive")
    book = os.path.join(os.path.dirname(os.path.abspath(scenario_path)), snapshot)
    need(os.path.exists(book), "accounts.snapshot", f"{book} not found (run gen_accounts.py)")
    lp, size = liquidation_prices(book)
    order = np.argsort(lp, kind="stable")
    p["liquidation_price"] = np.ascontiguousarray(lp[order])
    size = size[order]
    # size_above[k]: what selling every account from k upwards puts on the market.
    p["size_above"] = np.concatenate((np.cumsum(size[::-1])[::-1], [0.0]))
    p["accounts"] = len(lp)
    return p


def liquidation_prices(book_path):
    """(liquidation price, size) of every isolated long of a snapshot."""
    with open(book_path) as f:
        snap = json.load(f)
    markets = snap.get("markets", {})
    lp, sizes = [], []
    for i, acc in enumerate(snap.get("accounts", [])):
        at = f"{os.path.basename(book_path)}: accounts[{i}]"
        if acc.get("collateral") or acc.get("borrows") or len(acc.get("positions", [])) != 1:
            raise ScenarioError(f"{at}: the peers model one isolated position per account")
        pos = acc["positions"][0]
        tiers = markets[pos["market"]]["tiers"]
        if len(tiers) != 1 or tiers[0].get("maintenance_amount", 0):
            raise ScenarioError(f"{at}: the peers model one tier without maintenance_amount")
        mmr = float(tiers[0]["maintenance_margin_rate"])
        size, entry = float(pos["size"]), float(pos["entry_price"])
        if pos.get("margin_mode") != "isolated" or size <= 0:
            raise ScenarioError(f"{at}: the peers model isolated longs only")
        margin = float(pos["isolated_margin"])
        lp.append((size * entry - margin) / (size * (1.0 - mmr)))
        sizes.append(size)
    return np.array(lp), np.array(sizes)


def stat(values):
    """Mean and its standard error."""
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else 0.0


def report(tool, final_price, min_price, liquidated, times):
    """Prints the JSON line compare.sh reads."""
    out = {"tool": tool, "paths": len(final_price)}
    for name, v in (
        ("final_price", final_price),
        ("min_price", min_price),
        ("accounts_liquidated", liquidated),
    ):
        out[name], out[name + "_se"] = stat(v)
    out.update(times)
    print(json.dumps(out))


def cli(tool, description):
    """The peers' shared command line: SCENARIO [--paths N] [--seed S].
    Returns (scenario parameters, paths, seed); bad input exits 2 with one line."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("scenario")
    ap.add_argument("--paths", type=int)
    ap.add_argument("--seed", type=int)
    a = ap.parse_args()
    try:
        p = load(a.scenario)
    except (ScenarioError, OSError, ValueError) as e:
        print(f"{tool}: {e}", file=sys.stderr)
        sys.exit(2)
    paths = a.paths or p["paths"]
    seed = p["seed"] if a.seed is None else a.seed
    return p, paths, seed
