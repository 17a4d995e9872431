"""levamp — leverage amplification, from Python.

Exact fixed-point margin, health and liquidation prices, the event-sourced
venue engine and the seeded Monte-Carlo liquidation-cascade simulator of the
``levamp`` command-line tool, with the speed of its Rust core. Every function
runs the CLI's own code in-process: the results are the CLI's results (the
same JSON, byte for byte) and errors carry the CLI's message.

Inputs are a path (``str`` or ``os.PathLike``), the text of the file (a JSON
or TOML string), or a dict/list, which is serialised to the text the CLI
would read and parsed by the same code. Errors raise :class:`InputError` for
bad input (the message names the file or JSON path and what is wrong) and
:class:`LevampError` otherwise. The GIL is released while Rust runs; Ctrl-C
stops :func:`sim` between paths.

See docs/python.md.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _toml
from ._levamp import InputError, LevampError, __version__
from ._levamp import absolute_paths as _absolute_paths
from ._levamp import invoke as _invoke
from ._levamp import sim as _sim

__all__ = [
    "InputError",
    "LevampError",
    "SimResult",
    "backtest",
    "contagion",
    "margin",
    "recommend",
    "run",
    "sim",
    "study",
    "StudyResult",
    "sweep",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]


# --- inputs -----------------------------------------------------------------


def _is_path(x: Any, markers: Tuple[str, ...]) -> bool:
    """Whether ``x`` names a file rather than holding its text: an
    ``os.PathLike``, or a ``str`` that names an existing file or, naming
    none, looks like a path (one line, no ``=``, not starting as the text
    does) so that a missing file is reported as one."""
    if isinstance(x, os.PathLike):
        return True
    if not isinstance(x, str):
        return False
    if "\n" not in x and "\0" not in x and os.path.isfile(x):
        return True
    s = x.lstrip()
    if not s or s.startswith(markers):
        return False
    # Text has a line break or an `=`/`{`; a path does not.
    return "\n" not in x and "=" not in x


def _json_input(x: Any, what: str) -> Tuple[Optional[str], Optional[str]]:
    """(path, text) of a JSON input: a path, JSON text, or a dict/list."""
    if isinstance(x, (Mapping, list, tuple)):
        return None, json.dumps(x, ensure_ascii=False)
    if _is_path(x, ("{", "[")):
        return os.fspath(x), None
    if isinstance(x, str):
        return None, x
    raise TypeError(f"{what}: a path, a JSON string or a dict, not {type(x).__name__}")


def _toml_input(x: Any, what: str) -> Tuple[Optional[str], Optional[str]]:
    """(path, text) of a TOML input: a path, TOML text, or a dict."""
    if isinstance(x, Mapping):
        return None, _toml.dumps(x)
    if _is_path(x, ("[", "#")):
        return os.fspath(x), None
    if isinstance(x, str):
        return None, x
    raise TypeError(f"{what}: a path, a TOML string or a dict, not {type(x).__name__}")


#: The keys of a scenario that name files (relative to the file's folder,
#: or to the working directory for text or a dict).
SCENARIO_FILE_KEYS = ("accounts.snapshot", "price.csv")
#: The keys of a backtest strategy that name files.
STRATEGY_FILE_KEYS = ("data.perp", "data.spot", "data.mark", "data.funding")
#: The keys of a study that name files.
STUDY_FILE_KEYS = ("base",)


class _AsFile:
    """A TOML input as a file for the commands that read only files: the
    path itself, or the text in a temporary file named ``<stem>.toml``
    (errors show it as ``<stem>``), its relative paths at ``file_keys``
    made absolute from the working directory first, so that they resolve
    as they do for :func:`sim` given text."""

    def __init__(self, x: Any, stem: str, what: str, file_keys: Sequence[str] = ()) -> None:
        self.path, self.text = _toml_input(x, what)
        if self.text is not None and file_keys:
            self.text = _absolute_paths(self.text, list(file_keys))
        self.stem = stem
        self._tmp: Optional[tempfile.TemporaryDirectory] = None

    def __enter__(self) -> str:
        if self.path is not None:
            return self.path
        self._tmp = tempfile.TemporaryDirectory(prefix="levamp-")
        p = Path(self._tmp.name) / f"{self.stem}.toml"
        p.write_text(self.text or "", encoding="utf-8")
        return str(p)

    def __exit__(self, *exc: Any) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def rename(self, e: LevampError) -> LevampError:
        """``e`` with the temporary file's path shown as ``<stem>``."""
        if self._tmp is None:
            return e
        p = str(Path(self._tmp.name) / f"{self.stem}.toml")
        return type(e)(str(e).replace(p, f"<{self.stem}>"))


def _command(args: List[str], stdin: Optional[str] = None, threads: Optional[int] = None) -> Tuple[int, str]:
    """Runs ``levamp ARGS`` in-process: (exit code, standard output)."""
    code, out = _invoke(args, stdin, threads)
    return code, out.decode("utf-8")


def _venue_args(venue: Optional[str]) -> List[str]:
    return ["--venue", venue] if venue is not None else []


# --- margin and run -----------------------------------------------------------


def margin(snapshot: Any, venue: Optional[str] = None, *, raw: bool = False) -> Any:
    """Margin, health and liquidation prices of every account of a snapshot.

    The result of ``levamp margin --format json`` as a dict (``raw=True``:
    the CLI's exact output text). ``snapshot`` is a path, JSON text or a dict
    (docs/snapshot.md); ``venue`` a preset name (default ``generic``).
    Numbers parse as Python floats; for exact values use
    ``json.loads(margin(..., raw=True), parse_float=decimal.Decimal)``.
    """
    path, text = _json_input(snapshot, "snapshot")
    _, out = _command(["margin", path or "-", *_venue_args(venue), "--format", "json"], text)
    return out if raw else json.loads(out)


def _script_text(script: Any) -> Tuple[Optional[str], Optional[str]]:
    if isinstance(script, (list, tuple)):
        lines = [c if isinstance(c, str) else json.dumps(c, ensure_ascii=False) for c in script]
        return None, "".join(line + "\n" for line in lines)
    if isinstance(script, Mapping):
        return None, json.dumps(script, ensure_ascii=False) + "\n"
    return _json_input(script, "script")


def run(script: Any, venue: Optional[str] = None, *, on_error: str = "stop", raw: bool = False) -> Any:
    """Drives a venue with a script of commands (docs/scripts.md).

    The result of ``levamp run --format json`` as a dict: ``events``,
    ``state``, ``conservation``, ``skipped`` (``raw=True``: the exact text).
    ``script`` is a path, JSON Lines text, or a list of command dicts;
    ``on_error`` is ``"stop"`` or ``"skip"``.
    """
    path, text = _script_text(script)
    args = ["run", path or "-", *_venue_args(venue), "--format", "json", "--on-error", on_error]
    _, out = _command(args, text)
    return out if raw else json.loads(out)


# --- sim ------------------------------------------------------------------------


class SimResult:
    """The results of :func:`sim`, as ``levamp sim`` writes them.

    ``metrics``: the ``metrics.json`` dict; ``paths``: ``paths.csv`` as a
    pandas DataFrame (one row per path); ``series``: ``series.csv`` as a
    DataFrame (the per-step records of the paths that keep one; empty when
    none does); :meth:`report_html`: ``report.html``; :meth:`paths_arrow`:
    the paths as a ``pyarrow.Table``.
    """

    def __init__(self, raw: Dict[str, Any]) -> None:
        self.name: str = Path(raw["dir"]).name
        self.metrics: Dict[str, Any] = json.loads(raw["metrics"])
        self._series_csv: str = raw["series"]
        self._report: str = raw["report"]
        self._columns: List[Tuple[str, bytes, str]] = raw["columns"]
        self._paths = None
        self._series = None

    def _arrays(self) -> List[Tuple[str, Any]]:
        import numpy as np

        # Views of the buffers Rust filled: no per-number Python objects.
        return [(name, np.frombuffer(buf, dtype=dtype)) for name, buf, dtype in self._columns]

    @property
    def paths(self) -> "pandas.DataFrame":  # noqa: F821
        """One row per path: the columns and values of ``paths.csv``."""
        if self._paths is None:
            import pandas as pd

            self._paths = pd.DataFrame(dict(self._arrays()))
        return self._paths

    @property
    def series(self) -> "pandas.DataFrame":  # noqa: F821
        """The per-step series (``series.csv``) where kept."""
        if self._series is None:
            import pandas as pd

            self._series = pd.read_csv(io.StringIO(self._series_csv))
        return self._series

    def paths_arrow(self) -> "pyarrow.Table":  # noqa: F821
        """The paths as a ``pyarrow.Table`` built on the NumPy buffers
        (``time_to_first_liquidation`` is null where no liquidation happened)."""
        import pyarrow as pa

        names, arrays = [], []
        for name, values in self._arrays():
            names.append(name)
            arrays.append(pa.array(values, from_pandas=name == "time_to_first_liquidation"))
        return pa.Table.from_arrays(arrays, names=names)

    def report_html(self) -> str:
        """The HTML report (``report.html``), one self-contained page."""
        return self._report

    def __repr__(self) -> str:
        s = self.metrics.get("scenario", {})
        return f"<SimResult {self.name}: {s.get('paths')} path(s) x {s.get('steps')} steps>"


def _progress_bar(enabled: Optional[bool]) -> Tuple[Optional[Callable[[int, int], None]], Any]:
    """A progress callback on a tqdm bar, when ``enabled`` (None: when tqdm is installed)."""
    if enabled is False:
        return None, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if enabled:
            raise
        return None, None
    bar = tqdm(unit="path", desc="levamp sim", leave=False)

    def update(done: int, total: int) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    return update, bar


def sim(
    scenario: Any,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    *,
    progress: Optional[bool] = None,
) -> SimResult:
    """Simulates liquidation cascades as ``levamp sim`` does (docs/scenarios.md).

    ``scenario`` is a path, TOML text or a dict; ``paths`` and ``seed``
    override ``[run]``; ``threads`` sets the worker threads (default one per
    core; results are identical whatever the number). ``progress``: a tqdm
    bar (default: when tqdm is installed). Ctrl-C stops the run (no path
    starts after it) and raises ``KeyboardInterrupt``.
    """
    path, text = _toml_input(scenario, "scenario")
    callback, bar = _progress_bar(progress)
    try:
        with tempfile.TemporaryDirectory(prefix="levamp-sim-") as out:
            raw = _sim(out, path, text, paths, seed, threads, callback)
            return SimResult(raw)
    finally:
        if bar is not None:
            bar.close()


# --- contagion, recommend, backtest ---------------------------------------------


def contagion(network: Any, *, raw: bool = False) -> Any:
    """Clears a network of obligations (docs/contagion.md): the result of
    ``levamp contagion --format json`` as a dict (``raw=True``: the text).
    ``network`` is a path, TOML text or a dict."""
    f = _AsFile(network, "network", "network")
    with f as file:
        try:
            _, out = _command(["contagion", file, "--format", "json"])
        except LevampError as e:
            raise f.rename(e) from None
    return out if raw else json.loads(out)


def _listed(x: Union[str, Sequence[str], None]) -> List[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def recommend(
    scenario: Any = None,
    param: Union[str, Sequence[str], None] = None,
    range: Union[str, Sequence[str], None] = None,  # noqa: A002 - the CLI's name
    target: Optional[str] = None,
    *,
    grid: Optional[int] = None,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    tolerance: Optional[str] = None,
    method: Optional[str] = None,
    sigma: Optional[float] = None,
    liquidity: Optional[float] = None,
    debt: Optional[float] = None,
    slippage: Optional[float] = None,
    confidence: Optional[float] = None,
    raw: bool = False,
) -> Any:
    """The extreme value of a scenario key whose risk metric meets a target
    (docs/recommend.md): the JSON of ``levamp recommend --format json`` as a
    dict, also when the range holds no recommendation (``value`` is None and
    ``refusal`` says why). ``param``/``range`` are one key and ``"LO..HI"``
    or lists of them (a frontier); ``target`` e.g. ``"bad_debt.p99<=0"``.
    ``method="smart-ltv"`` with ``sigma``, ``liquidity``, ``debt``,
    ``slippage``, ``confidence`` is the closed form (no scenario)."""
    args: List[str] = ["recommend"]
    for p in _listed(param):
        args += ["--param", p]
    for r in _listed(range):
        args += ["--range", r]
    for flag, v in [
        ("--target", target),
        ("--grid", grid),
        ("--paths", paths),
        ("--seed", seed),
        ("--tolerance", tolerance),
        ("--method", method),
        ("--sigma", sigma),
        ("--liquidity", liquidity),
        ("--debt", debt),
        ("--slippage", slippage),
        ("--confidence", confidence),
    ]:
        if v is not None:
            args += [flag, str(v)]
    args += ["--format", "json", "--quiet"]
    if scenario is None:
        _, out = _command(args, threads=threads)
    else:
        f = _AsFile(scenario, "scenario", "scenario", SCENARIO_FILE_KEYS)
        with f as file:
            try:
                _, out = _command([args[0], file, *args[1:]], threads=threads)
            except LevampError as e:
                raise f.rename(e) from None
    return out if raw else json.loads(out)


def backtest(strategy: Any) -> Dict[str, Any]:
    """Backtests a strategy on the shipped history (docs/backtest.md): the
    ``metrics.json`` that ``levamp backtest`` writes, as a dict. A file with
    ``[[variant]]``s gives ``{"compare": [row, …]}`` from ``compare.csv``.
    ``strategy`` is a path, TOML text or a dict."""
    f = _AsFile(strategy, "strategy", "strategy", STRATEGY_FILE_KEYS)
    with f as file, tempfile.TemporaryDirectory(prefix="levamp-backtest-") as out:
        try:
            _command(["backtest", file, "--out", out, "--quiet"])
        except LevampError as e:
            raise f.rename(e) from None
        (result,) = [p for p in Path(out).iterdir() if p.is_dir() and not p.name.startswith(".")]
        metrics = result / "metrics.json"
        if metrics.exists():
            return json.loads(metrics.read_text(encoding="utf-8"))
        import csv

        with open(result / "compare.csv", newline="", encoding="utf-8") as c:
            return {"compare": list(csv.DictReader(c))}


# --- study ------------------------------------------------------------------------


class StudyResult(dict):
    """The ``study.json`` of :func:`study` as a dict (equal to the file's
    parsed JSON), with :meth:`report_html` (``report.html``) and ``dir``:
    the folder written (``OUT/<study>``), or None when ``out`` was None."""

    def __init__(self, doc: Dict[str, Any], report: str, dir: Optional[Path]) -> None:  # noqa: A002
        super().__init__(doc)
        self._report = report
        self.dir: Optional[Path] = dir

    def report_html(self) -> str:
        """The HTML report (``report.html``): the frontier chart and every
        metric by variant with its interval, one self-contained page."""
        return self._report

    def __repr__(self) -> str:
        return f"<StudyResult {self.get('study')}: {len(self.get('variants', []))} variant(s) x {self.get('paths')} path(s)>"


def study(
    study: Any,
    out: Optional[PathLike] = None,
    threads: Optional[int] = None,
    *,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    force: bool = False,
    progress: bool = False,
) -> StudyResult:
    """Runs every variant of a study on the same random paths as
    ``levamp study`` does (docs/studies.md): its ``study.json`` as a dict
    (a :class:`StudyResult`, with :meth:`~StudyResult.report_html`).

    ``study`` is a path, TOML text or a dict; its ``base`` resolves from the
    file's folder, or from the working directory for text or a dict (whose
    ``name`` defaults to ``"study"``). ``out``: the folder to write
    ``OUT/<study>/`` into as the CLI does (``force`` as ``--force``);
    None: a temporary folder, removed after. ``paths`` and ``seed`` override
    the study's; ``threads`` sets the worker threads (default one per core;
    results are identical whatever the number). ``progress=True`` prints
    the CLI's line per variant on standard error.
    """
    f = _AsFile(study, "study", "study", STUDY_FILE_KEYS)
    options: List[str] = []
    for flag, v in (("--paths", paths), ("--seed", seed)):
        if v is not None:
            options += [flag, str(v)]
    if force:
        options.append("--force")
    if not progress:
        options.append("--quiet")
    with f as file, tempfile.TemporaryDirectory(prefix="levamp-study-") as tmp:
        dest = tmp if out is None else os.fspath(out)
        try:
            _, printed = _command(["study", file, "--out", dest, *options], threads=threads)
        except LevampError as e:
            raise f.rename(e) from None
        # The table's last line: `report: OUT/<study>/report.html`.
        report = Path(printed.rstrip("\n").rsplit("\n", 1)[-1].removeprefix("report: "))
        doc = json.loads((report.parent / "study.json").read_text(encoding="utf-8"))
        html = report.read_text(encoding="utf-8")
        return StudyResult(doc, html, None if out is None else report.parent)


from ._sweep import sweep  # noqa: E402 - after the names it uses
