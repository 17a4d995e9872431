#!/usr/bin/env python3
"""Runs `levamp sim` and both peers on one scenario and prints a table.

Each tool runs as a whole process, timed from outside (best of --runs, wall
clock; its CPU seconds, user + system over all threads, are shown too: the
steadier figure on a shared machine). Compute seconds are what each reports
for the simulation alone (levamp: the run minus its set-up, from its summary
line, 0.1 s resolution; the peers: timed inside, Numba's compile excluded). Statistics per tool: mean final
price, mean minimum price and mean accounts liquidated over the paths, each
± its standard error. The check: every pair of tools agrees on every
statistic within 4 combined standard errors (the random streams differ, so
agreement is statistical). Exit status 0 when all agree, 1 when not, 2 on
bad input. compare.sh sets up the venv and the release build first.

Usage: compare.py [--scenario TOML] [--levamp BIN] [--paths N] [--seed S] [--runs N]
"""

import argparse
import csv
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATS = ("final_price", "min_price", "accounts_liquidated")
SUMMARY = re.compile(r"; ([0-9.]+) s \(([0-9.]+) s setup\)")


def fail(message):
    """Bad input or a tool that failed: one line, exit status 2."""
    print(f"compare: {message}", file=sys.stderr)
    sys.exit(2)


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd):
    """(wall seconds, CPU seconds, stdout) of one whole-process run; exits on failure."""
    t, cpu = time.perf_counter(), cpu_children()
    r = subprocess.run(cmd, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - t, cpu_children() - cpu
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return seconds, cpu, r.stdout


def best(cmd, runs):
    """Fastest of `runs` runs (wall clock): (seconds, CPU seconds, stdout of that run)."""
    return min((timed(cmd) for _ in range(runs)), key=lambda r: r[0])


def mean_se(values):
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return mean, math.sqrt(var / n)


def run_levamp(binary, scenario, extra, runs):
    """levamp's row: statistics from its paths.csv."""
    with tempfile.TemporaryDirectory(prefix="levamp-peers-") as out:
        cmd = [binary, "sim", scenario, "--quiet", "--out", out, *extra]
        seconds, cpu, stdout = best(cmd, runs)
        m = SUMMARY.search(stdout)
        compute = float(m.group(1)) - float(m.group(2)) if m else float("nan")
        (name,) = [d for d in os.listdir(out) if not d.startswith(".")]
        with open(os.path.join(out, name, "paths.csv")) as f:
            rows = list(csv.DictReader(f))
    row = {"tool": "levamp", "whole_s": seconds, "cpu_s": cpu, "compute_s": compute, "paths": len(rows)}
    for s in STATS:
        row[s], row[s + "_se"] = mean_se([float(r[s]) for r in rows])
    return row


def run_peer(python, script, scenario, extra, runs):
    """A peer's row: the JSON line it prints."""
    seconds, cpu, stdout = best([python, os.path.join(HERE, script), scenario, *extra], runs)
    row = json.loads(stdout.strip().splitlines()[-1])
    row["whole_s"], row["cpu_s"] = seconds, cpu
    return row


def table(rows):
    head = f"{'tool':<8} {'whole s':>8} {'cpu s':>7} {'compute s':>10} {'jit s':>6} {'mean final price':>20} {'mean min price':>20} {'accounts liquidated':>22}"
    lines = [head, "-" * len(head)]
    for r in rows:
        jit = f"{r['compile_s']:.2f}" if "compile_s" in r else "-"
        cells = [f"{r[s]:.3f} ± {r[s + '_se']:.3f}" for s in STATS[:2]]
        cells.append(f"{r[STATS[2]]:.1f} ± {r[STATS[2] + '_se']:.1f}")
        lines.append(
            f"{r['tool']:<8} {r['whole_s']:>8.2f} {r['cpu_s']:>7.2f} {r['compute_s']:>10.3f} {jit:>6} {cells[0]:>20} {cells[1]:>20} {cells[2]:>22}"
        )
    return "\n".join(lines)


def agreement(rows, k=4.0):
    """(all agree, one line per pair and statistic that does not)."""
    misses = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            for s in STATS:
                limit = k * math.hypot(a[s + "_se"], b[s + "_se"])
                if abs(a[s] - b[s]) > limit:
                    misses.append(
                        f"  {s}: {a['tool']} {a[s]:.4g} vs {b['tool']} {b[s]:.4g} (limit ±{limit:.3g})"
                    )
    return not misses, misses


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=os.path.join(HERE, "gbm-cascade.toml"))
    ap.add_argument("--levamp", default=os.path.join(ROOT, "target", "release", "levamp"))
    ap.add_argument("--python", default=sys.executable, help="the interpreter with numpy and numba")
    ap.add_argument("--paths", type=int, help="overrides [run] paths for every tool")
    ap.add_argument("--seed", type=int, help="overrides [run] seed for every tool")
    ap.add_argument("--runs", type=int, default=1, help="best of N runs of each tool")
    a = ap.parse_args()
    if a.runs < 1 or (a.paths is not None and a.paths < 2):
        ap.error("--runs must be at least 1 and --paths at least 2")
    if not os.path.isfile(a.levamp):
        fail(f"{a.levamp} not found (cargo build --release)")
    extra = []
    if a.paths is not None:
        extra += ["--paths", str(a.paths)]
    if a.seed is not None:
        extra += ["--seed", str(a.seed)]
    rows = [
        run_levamp(a.levamp, a.scenario, extra, a.runs),
        run_peer(a.python, "cascade_numpy.py", a.scenario, extra, a.runs),
        run_peer(a.python, "cascade_numba.py", a.scenario, extra, a.runs),
    ]
    print(f"{os.path.basename(a.scenario)}: {rows[0]['paths']} paths, best of {a.runs} run(s), {os.cpu_count()} CPUs")
    print(table(rows))
    levamp, numpy, numba = rows
    print(
        f"levamp speed-up (peer's seconds / levamp's), whole process: vs NumPy {numpy['whole_s'] / levamp['whole_s']:.3g} "
        f"(target >= 10), vs Numba {numba['whole_s'] / levamp['whole_s']:.3g} (target > 1); "
        f"compute vs Numba's compute {numba['compute_s'] / levamp['compute_s']:.3g} (moonshot >= 0.2)"
    )
    ok, misses = agreement(rows)
    print(f"agree within MC error (|diff| <= 4 combined s.e., every pair, every statistic): {'yes' if ok else 'no'}")
    for m in misses:
        print(m)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
