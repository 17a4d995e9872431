"""The Python package's figures in the README ("Python package"), with the
wheel installed (`pip install .`: the `wheel` profile) and a `levamp`
binary of the same profile (`cargo build --profile wheel -p levamp-cli`):

    python python/benches/bench.py overhead [SCENARIO PATHS RUNS BINARY]
    python python/benches/bench.py sweep [POINTS RUNS]
    python python/benches/bench.py ray [POINTS]

`overhead`: `levamp.sim` in this process against the CLI process on the
same scenario, interleaved, medians of wall-clock and CPU time. `sweep`:
a POINTS-point sweep of 100-path scenarios on the local backend with 1 and
2 threads, interleaved (best and median). `ray`: the same sweep on a local
two-CPU Ray, chunked (the backend's default) and one task per point.
Run from the repository root.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time

import levamp

SWEEP_SCENARIO = "scenarios/shock-linear.toml"


def overhead(scenario="scenarios/agents.toml", paths="12", runs="7", binary="target/wheel/levamp"):
    paths, runs = int(paths), int(runs)
    wall_py, wall_cli, cpu_py, cpu_cli = [], [], [], []
    levamp.sim(scenario, paths=2, seed=1, progress=False)  # import, page cache
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            args = [binary, "sim", scenario, "--paths", str(paths), "--seed", "1", "--out", out, "--quiet"]
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
            wall_cli.append(time.perf_counter() - t)
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_cli.append(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime)
        t, p = time.perf_counter(), time.process_time()
        levamp.sim(scenario, paths=paths, seed=1, progress=False).paths  # the DataFrame too
        wall_py.append(time.perf_counter() - t)
        cpu_py.append(time.process_time() - p)
    for name, py, cli in [("wall", wall_py, wall_cli), ("CPU", cpu_py, cpu_cli)]:
        a, b = statistics.median(cli), statistics.median(py)
        print(f"{name}: CLI process {a:.3f} s, levamp.sim {b:.3f} s ({100 * (b / a - 1):+.1f} %)")


def _grid(points):
    return {"impact.lambda": [round(0.00005 + i * 0.0000001, 10) for i in range(points)]}


def sweep(points="1000", runs="3"):
    points, runs = int(points), int(runs)
    times = {1: [], 2: []}
    for _ in range(runs):
        for threads in (1, 2):
            t = time.perf_counter()
            levamp.sweep(SWEEP_SCENARIO, _grid(points), paths=100, seed=1, threads=threads, progress=False)
            times[threads].append(time.perf_counter() - t)
    for threads, ts in times.items():
        print(f"{points} points x 100 paths, {threads} thread(s): best {min(ts):.2f} s, median {statistics.median(ts):.2f} s")
    print(f"speed-up: best {min(times[1]) / min(times[2]):.2f}x, median {statistics.median(times[1]) / statistics.median(times[2]):.2f}x")


def ray(points="1000"):
    import ray as ray_

    from levamp import _ray

    ray_.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    grid = _grid(int(points))
    levamp.sweep(SWEEP_SCENARIO, _grid(4), paths=100, seed=1, backend="ray", progress=False)  # workers up
    default = _ray.CHUNKS_PER_CPU
    for per_cpu, name in [(default, "chunked"), (10**9, "a task per point")] * 2:
        _ray.CHUNKS_PER_CPU = per_cpu
        t = time.perf_counter()
        levamp.sweep(SWEEP_SCENARIO, grid, paths=100, seed=1, backend="ray", progress=False)
        print(f"ray, {name}: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    levamp.sweep(SWEEP_SCENARIO, grid, paths=100, seed=1, threads=2, progress=False)
    print(f"local, 2 threads: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    {"overhead": overhead, "sweep": sweep, "ray": ray}[sys.argv[1]](*sys.argv[2:])
