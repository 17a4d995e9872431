"""The Ray backend of :func:`levamp.sweep` (``backend="ray"``).

The grid points go to the Ray cluster that ``ray.init(address=...)``
connected to (or a local one, started here when none is), as Ray tasks of
a chunk of points each. A task needs only ``pip install levamp`` on its
machine: the scenario's text and the files it reads (``accounts.snapshot``,
``price.csv``, in the scenario or in the grid) are read here and shipped
once to the object store; the worker's run reads them from memory under the
paths the scenario names, so results — and error messages — are the local
backend's. Rows come back in grid order.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from ._levamp import scenario_files as _scenario_files
from ._levamp import sweep_points as _sweep_points

Overrides = List[Tuple[str, str]]

#: Chunks per CPU of the cluster: enough to balance points of unequal cost,
#: few enough that a task's overhead (about a millisecond) stays small
#: beside its points.
CHUNKS_PER_CPU = 4


class _Shipped:
    """A sweep's scenario with copies of the files it reads: what every task
    needs, put once in the object store."""

    def __init__(self, run: Any, points: List[Overrides]) -> None:
        text = run.text
        if text is None:
            with open(run.path, encoding="utf-8") as f:
                text = f.read()
        self.path: Optional[str] = run.path
        self.text: str = text
        self.seed, self.paths = run.seed, run.paths
        values = [kv for point in points for kv in point]
        self.files: List[Tuple[str, str]] = []
        for p in _scenario_files(run.path, text, values):
            try:
                with open(p, encoding="utf-8") as f:
                    self.files.append((os.fspath(p), f.read()))
            except (OSError, UnicodeDecodeError):
                pass  # not shipped: the worker's run names it, as the CLI would


def _chunk(shipped: _Shipped, threads: int, chunk: List[Overrides]) -> List[Dict[str, Any]]:
    """Runs a chunk of points on a worker (the body of a Ray task)."""
    import json

    summaries = _sweep_points(shipped.path, shipped.text, chunk, shipped.seed, shipped.paths, threads, shipped.files)
    return [json.loads(s) for s in summaries]


def _chunks(points: List[Overrides], n: int) -> List[List[Overrides]]:
    """``points`` in ``n`` contiguous chunks of nearly equal size, in order."""
    n = max(1, min(n, len(points)))
    size, extra = divmod(len(points), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        out.append(points[start:end])
        start = end
    return out


def ray_backend(run: Any, points: List[Overrides], progress: Optional[bool]) -> List[Dict[str, Any]]:
    """Runs the points as Ray tasks, one per chunk (see the module doc).

    Each task takes ``run.threads`` CPUs (default 1) and runs its points on
    that many threads, so a node runs as many tasks at once as it has CPUs.
    """
    import ray

    # The scenario read and checked here first (no point run): a missing
    # file or a bad key is the local backend's error, raised here.
    run.run([])
    if not ray.is_initialized():
        ray.init()
    threads = run.threads or 1
    cpus = int(ray.cluster_resources().get("CPU", 1))
    chunks = _chunks(points, CHUNKS_PER_CPU * max(1, cpus // threads))
    shipped = ray.put(_Shipped(run, points))
    task = ray.remote(num_cpus=threads)(_chunk)
    refs = [task.remote(shipped, threads, c) for c in chunks]
    bar = _bar(progress, len(points))
    try:
        if bar is not None:
            pending, sizes = list(refs), {r: len(c) for r, c in zip(refs, chunks)}
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                bar.update(sizes[ready[0]])
        results = ray.get(refs)
    except ray.exceptions.RayTaskError as e:
        # The worker's exception itself (levamp.InputError with the CLI's line).
        if isinstance(getattr(e, "cause", None), BaseException):
            raise e.cause from None
        raise
    except KeyboardInterrupt:
        for r in refs:
            ray.cancel(r, force=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    return [row for chunk in results for row in chunk]


def _bar(progress: Optional[bool], total: int) -> Any:
    """A tqdm bar of ``total`` points (None: off, or tqdm missing)."""
    if progress is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise
        return None
    return tqdm(total=total, unit="point", desc="levamp sweep (ray)", leave=False)
