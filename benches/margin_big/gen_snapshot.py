#!/usr/bin/env python3
"""Writes a large `levamp margin` snapshot (docs/snapshot.md), deterministically.

The population mirrors crates/levamp-engine/benches/health_scan.rs: N accounts
(default 1,000,000) x 3 positions (BTCUSDT, ETHUSDT, SOLUSDT perps with
Binance-style brackets), a quarter of the positions isolated, longs and
shorts, USDT + ETH collateral (ETH with a 5 % haircut). Draws come from the
same xorshift64 generator and seed, so every run writes the same bytes
(about 200 MB for 1 M accounts). One account a line, no spaces
inside an account.

Usage: gen_snapshot.py [--accounts N] [--out PATH]   (default: stdout)
"""

import argparse
import sys

MASK = (1 << 64) - 1
MARKS = [("BTCUSDT", 60000), ("ETHUSDT", 3000), ("SOLUSDT", 150)]
TIERS = (
    '[{"max_notional": 50000, "maintenance_margin_rate": 0.004, "maintenance_amount": 0, "max_leverage": 125},'
    ' {"max_notional": 600000, "maintenance_margin_rate": 0.005, "maintenance_amount": 50, "max_leverage": 100},'
    ' {"max_notional": 3000000, "maintenance_margin_rate": 0.0065, "maintenance_amount": 950, "max_leverage": 75},'
    ' {"max_notional": 12000000, "maintenance_margin_rate": 0.01, "maintenance_amount": 11450, "max_leverage": 50},'
    ' {"max_notional": 70000000, "maintenance_margin_rate": 0.02, "maintenance_amount": 131450, "max_leverage": 25},'
    ' {"max_notional": null, "maintenance_margin_rate": 0.025, "maintenance_amount": 481450, "max_leverage": 20}]'
)


class Rng:
    """xorshift64, as in the engine's health_scan bench."""

    def __init__(self, seed):
        self.state = seed

    def range(self, lo, hi):
        x = self.state
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        self.state = x
        return lo + x % (hi - lo)


def decimal(units, scale):
    """`units / 10**scale` as a canonical decimal string (exact)."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    whole, frac = divmod(units, 10**scale)
    frac = str(frac).rjust(scale, "0").rstrip("0")
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def header():
    markets = ",\n  ".join(f'"{name}": {{"base": "{name[:-4]}", "tiers": {TIERS}}}' for name, _ in MARKS)
    return (
        '{"quote": "USDT",\n'
        ' "prices": {"BTC": 60000, "ETH": 3000, "SOL": 150, "USDT": 1},\n'
        f' "markets": {{{markets}}},\n'
        ' "assets": {"USDT": {"ltv": 0.8, "liquidation_threshold": 0.825, "liquidation_bonus": 0.05},\n'
        '            "ETH": {"haircut": 0.05, "ltv": 0.8, "liquidation_threshold": 0.825, "liquidation_bonus": 0.05}},\n'
        ' "accounts": [\n'
    )


def account(i, rng):
    positions = []
    for name, mark in MARKS:
        notional = rng.range(100, 200_000)
        size = max(1, notional * 10**4 // mark)  # 4 decimals
        isolated = rng.range(0, 4) == 0
        if rng.range(0, 2) != 0:
            size = -size
        entry = decimal(mark * rng.range(80, 120), 2)
        fields = f'"market":"{name}","size":{decimal(size, 4)},"entry_price":{entry}'
        leverage = rng.range(1, 50)
        if isolated:
            # Half give their margin, half derive it from leverage (Binance's rule).
            if leverage % 2:
                fields += f',"margin_mode":"isolated","isolated_margin":{notional // leverage}'
            else:
                fields += f',"margin_mode":"isolated","leverage":{leverage}'
        positions.append("{" + fields + "}")
    usdt, eth = rng.range(1_000, 100_000), rng.range(0, 10)
    return (
        f'{{"id":"a{i}","collateral":{{"USDT":{usdt},"ETH":{eth}}},'
        f'"positions":[{",".join(positions)}]}}'
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    rng = Rng(0x9E3779B97F4A7C15)
    out.write(header())
    for i in range(args.accounts):
        out.write(("" if i == 0 else ",\n") + account(i, rng))
    out.write("\n]}\n")
    out.close()


if __name__ == "__main__":
    main()
