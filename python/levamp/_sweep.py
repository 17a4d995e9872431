"""levamp.sweep: a scenario over the product of a grid of dotted keys, on
common random numbers, by a backend (``local``: this process; ``ray``:
``_ray``)."""

from __future__ import annotations

import itertools
import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _toml_input
from ._levamp import InputError
from ._levamp import sweep_points as _sweep_points
from ._ray import ray_backend as _ray_backend


def _value_text(v: Any, key: str) -> str:
    """A grid value as the JSON text of the scenario value it sets (decimal
    numbers without an exponent: the scenario's numbers are exact text)."""
    if isinstance(v, bool) or isinstance(v, str) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        from decimal import Decimal

        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(f"grid {key}: {v!r} is not a finite number")
        return format(Decimal(float.__repr__(v)), "f")
    text = str(v)  # Decimal and other exact numbers
    float(text)
    return text


Overrides = List[Tuple[str, str]]


class _Point:
    """A sweep's work: the scenario (a path, or text), ``seed``, ``paths``
    and ``threads``; :meth:`run` gives the summaries of a list of points
    (their overrides) as JSON text, in order; calling it parses them.
    Picklable: the Ray backend ships the scenario's text and files instead
    (``_ray._Shipped``)."""

    def __init__(self, path: Optional[str], text: Optional[str], seed: Optional[int], paths: Optional[int], threads: Optional[int]) -> None:
        self.path, self.text, self.seed, self.paths, self.threads = path, text, seed, paths, threads

    def run(self, points: List[Overrides]) -> List[str]:
        """The points' flattened summaries as JSON text (the GIL released)."""
        return _sweep_points(self.path, self.text, points, self.seed, self.paths, self.threads)

    def __call__(self, points: List[Overrides]) -> List[Dict[str, Any]]:
        return [json.loads(s) for s in self.run(points)]


#: Points per core in one native call of the local backend: the progress
#: bar moves, and Ctrl-C is seen, between calls.
LOCAL_POINTS_PER_CORE = 8


def _local(run: _Point, points: List[Overrides], progress: Optional[bool]) -> List[Dict[str, Any]]:
    """Runs the points in this process, in parallel on ``run.threads``
    threads (default: one per core), a chunk of points per native call.
    The calls run on a helper thread, so this one parses a chunk's results
    while the next chunk runs (no serial Python between chunks)."""
    from concurrent.futures import ThreadPoolExecutor

    bar = None
    if progress is not False:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(points), unit="point", desc="levamp sweep", leave=False)
        except ImportError:
            if progress:
                raise
    size = LOCAL_POINTS_PER_CORE * (run.threads or os.cpu_count() or 1)
    chunks = [points[i : i + size] for i in range(0, len(points), size)]
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="levamp-sweep")
    try:
        futures = [pool.submit(run.run, c) for c in chunks]
        out: List[Dict[str, Any]] = []
        for f in futures:
            summaries = f.result()
            out += [json.loads(s) for s in summaries]
            if bar is not None:
                bar.update(len(summaries))
        return out
    finally:
        # Ctrl-C or an error: the chunks not started are dropped, the one
        # running ends on its own.
        pool.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()


# Backends: name -> function(run, points, progress) -> one summary per point,
# in order.
_BACKENDS: Dict[str, Callable[..., List[Dict[str, Any]]]] = {"local": _local, "ray": _ray_backend}


def sweep(
    scenario: Any,
    grid: Mapping[str, Sequence[Any]],
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    backend: str = "local",
    *,
    threads: Optional[int] = None,
    progress: Optional[bool] = None,
) -> "pandas.DataFrame":  # noqa: F821
    """Runs a scenario over the product of a grid of dotted scenario keys.

    ``grid`` maps keys (``impact.lambda``, ``population.leverage.max``,
    ``markets.ETHUSDT.tiers[0].maintenance_margin_rate``; docs/studies.md) to
    lists of values; every combination is run on ``paths`` paths from
    ``seed`` (default: the scenario's ``[run]``), all on the same random
    paths (common random numbers). Returns one row per grid point: a column
    per key, then the ``summary`` of its metrics.json flattened
    (``bad_debt.p99``, ``risk.bad_debt_var_99``, …).

    ``backend="local"`` runs the points one after another in this process,
    each on ``threads`` threads (default: one per core); ``backend="ray"``
    runs them as Ray tasks on the cluster ``ray.init(address=...)``
    connected to (a local one when none is), each task ``threads`` CPUs
    (default 1), shipping the scenario and the files it reads. The result
    is the same DataFrame, bit for bit, whatever the backend and threads.
    """
    import pandas as pd

    if backend not in _BACKENDS:
        raise ValueError(f"backend {backend!r}: one of {', '.join(sorted(_BACKENDS))}")
    keys = list(grid)
    values = [list(grid[k]) for k in keys]
    for k, v in zip(keys, values):
        if not v:
            raise InputError(f"grid {k}: no values")
    path, text = _toml_input(scenario, "scenario")
    combos = list(itertools.product(*values))
    points = [[(k, _value_text(v, k)) for k, v in zip(keys, combo)] for combo in combos]
    summaries = _BACKENDS[backend](_Point(path, text, seed, paths, threads), points, progress)
    rows = [{**dict(zip(keys, combo)), **summary} for combo, summary in zip(combos, summaries)]
    return pd.DataFrame(rows)
