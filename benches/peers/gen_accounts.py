#!/usr/bin/env python3
"""Writes the account snapshot of gbm-cascade.toml (accounts.json beside it).

Deterministic and free of random numbers, so levamp and both peers read the
very same book: account i of N has
  leverage  2 + 38 * (i + 0.5) / N                (evenly over 2-40x, 2 decimals)
  entry     100 * (1 + 0.01 * (2 * frac(0.5 + i * phi) - 1))    (+-1 %, 4 decimals)
  size      0.5 + 4 * frac(0.5 + i * sqrt(2))       (ETH, 8 decimals)
  margin    size * entry / leverage, rounded up to the cent (isolated)
with phi the golden ratio's fractional part (Weyl sequences: the three
draws are spread evenly and do not line up). Market ETHUSDT: one tier,
maintenance margin rate 0.5 %, no liquidation fee.

Usage: gen_accounts.py [--accounts N] [--out PATH]
"""

import argparse
import json
import math
import os
from decimal import ROUND_CEILING, Decimal

PHI = (math.sqrt(5.0) - 1.0) / 2.0
SQRT2 = math.sqrt(2.0) - 1.0
MAINTENANCE_MARGIN_RATE = "0.005"


def frac(x):
    return x - math.floor(x)


def accounts(n):
    """The n accounts as (size, entry_price, isolated_margin) decimals, exact."""
    out = []
    for i in range(n):
        leverage = Decimal(f"{2.0 + 38.0 * (i + 0.5) / n:.2f}")
        entry = Decimal(f"{100.0 * (1.0 + 0.01 * (2.0 * frac(0.5 + i * PHI) - 1.0)):.4f}")
        size = Decimal(f"{0.5 + 4.0 * frac(0.5 + i * SQRT2):.8f}")
        margin = (size * entry / leverage).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        out.append((size, entry, margin))
    return out


def write(path, n):
    """Writes the snapshot (one account a line) atomically."""
    market = (
        '"ETHUSDT": {"base": "ETH", "tiers": [{"max_notional": null, '
        f'"maintenance_margin_rate": {MAINTENANCE_MARGIN_RATE}, "max_leverage": 100}}]}}'
    )
    rows = [
        f'  {{"id": "long{i}", "positions": [{{"market": "ETHUSDT", "size": {size}, '
        f'"entry_price": {entry}, "margin_mode": "isolated", "isolated_margin": {margin}}}]}}'
        for i, (size, entry, margin) in enumerate(accounts(n))
    ]
    text = (
        '{"quote": "USDT",\n "prices": {"ETH": 100},\n'
        f' "markets": {{{market}}},\n "accounts": [\n'
        + ",\n".join(rows)
        + "]}\n"
    )
    json.loads(text)  # well-formed
    tmp = path + ".partial"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--out", default=os.path.join(here, "accounts.json"))
    a = ap.parse_args()
    if a.accounts < 1:
        ap.error("--accounts must be at least 1")
    write(a.out, a.accounts)


if __name__ == "__main__":
    main()
