#!/usr/bin/env python3
"""Writes a large `levamp run` script (JSON Lines) to standard output.

Deterministic (seeded): one perp market, a market maker and 2,000 traders
funded up front, then N commands: 50 % oracle updates (a small random walk,
one second apart), 40 % cross-margin trades against the maker at the last
price, 10 % deposits. Used for the `levamp run` throughput figures in
docs/performance.md ("Large inputs"):

    python3 benches/run_big/gen_script.py 200000 > big.jsonl
    time ./target/release/levamp run big.jsonl --format table > /dev/null
"""
import random
import sys


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: gen_script.py N  (N commands after the set-up)")
    n, r, traders = int(sys.argv[1]), random.Random(7), 2000
    out = sys.stdout
    out.write('{"type":"market","market":"ETHUSDT","base":"ETH","tiers":[{"max_notional":null,'
              '"maintenance_margin_rate":0.005,"maintenance_amount":0,"max_leverage":100}],'
              '"liquidation_fee_rate":0.01,"funding_interval_s":28800}\n')
    out.write('{"type":"price","asset":"ETH","price":2000,"ts":1700000000}\n')
    out.write('{"type":"deposit","account":"mm","asset":"USDT","amount":100000000000}\n')
    for i in range(traders):
        out.write('{"type":"deposit","account":"a%d","asset":"USDT","amount":%d}\n'
                  % (i, r.randint(1000, 100000)))
    ts, price = 1700000000, 2000.0
    for _ in range(n):
        x = r.random()
        if x < 0.5:
            ts += 1
            price = round(price * (1 + r.gauss(0, 0.0005)), 2)
            out.write('{"type":"price","asset":"ETH","price":%s,"ts":%d}\n' % (price, ts))
        elif x < 0.9:
            trader = r.randrange(traders)
            size = round(r.uniform(-0.5, 0.5), 3) or 0.001
            out.write('{"type":"trade","account":"a%d","market":"ETHUSDT","size":%s,"price":%s,'
                      '"fee_rate":0.0004,"margin_mode":"cross","counterparty":"mm"}\n'
                      % (trader, size, price))
        else:
            out.write('{"type":"deposit","account":"a%d","asset":"USDT","amount":%d}\n'
                      % (r.randrange(traders), r.randint(1, 1000)))


if __name__ == "__main__":
    main()
