"""Type stubs of the levamp Python package (see __init__.py and docs/python.md)."""

import os
from pathlib import Path
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Union

import pandas
import pyarrow

__version__: str

PathLike = Union[str, os.PathLike[str]]
JsonInput = Union[PathLike, Mapping[str, Any], List[Any]]
TomlInput = Union[PathLike, Mapping[str, Any]]

class LevampError(Exception):
    """An error of levamp, with the message the CLI prints after `error: `."""

class InputError(LevampError):
    """Bad input: the message names the file or field (e.g. a JSON path) and what is wrong."""

class SimResult:
    """The results of :func:`sim`, as ``levamp sim`` writes them."""

    name: str
    metrics: Dict[str, Any]
    @property
    def paths(self) -> pandas.DataFrame: ...
    @property
    def series(self) -> pandas.DataFrame: ...
    def paths_arrow(self) -> pyarrow.Table: ...
    def report_html(self) -> str: ...

def margin(snapshot: JsonInput, venue: Optional[str] = None, *, raw: bool = False) -> Any:
    """``levamp margin --format json`` as a dict (``raw=True``: the exact text)."""

def run(
    script: Union[PathLike, Sequence[Mapping[str, Any]], Mapping[str, Any]],
    venue: Optional[str] = None,
    *,
    on_error: str = "stop",
    raw: bool = False,
) -> Any:
    """``levamp run --format json`` as a dict (``raw=True``: the exact text)."""

def sim(
    scenario: TomlInput,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    *,
    progress: Optional[bool] = None,
) -> SimResult:
    """``levamp sim``: metrics, paths, series and report of a scenario."""

def contagion(network: TomlInput, *, raw: bool = False) -> Any:
    """``levamp contagion --format json`` as a dict."""

def recommend(
    scenario: Optional[TomlInput] = None,
    param: Union[str, Sequence[str], None] = None,
    range: Union[str, Sequence[str], None] = None,
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
    """``levamp recommend --format json`` as a dict."""

def backtest(strategy: TomlInput) -> Dict[str, Any]:
    """The ``metrics.json`` of ``levamp backtest`` as a dict."""

class StudyResult(Dict[str, Any]):
    """The ``study.json`` of :func:`study` as a dict, with the report."""

    dir: Optional[Path]
    def report_html(self) -> str: ...

def study(
    study: TomlInput,
    out: Optional[PathLike] = None,
    threads: Optional[int] = None,
    *,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    force: bool = False,
    progress: bool = False,
) -> StudyResult:
    """``levamp study``: the ``study.json`` of a study as a dict (``report_html()``:
    ``report.html``; ``dir``: ``OUT/<study>`` when ``out`` is given, else None)."""

def sweep(
    scenario: TomlInput,
    grid: Mapping[str, Sequence[Any]],
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    backend: Literal["local", "ray"] = "local",
    *,
    threads: Optional[int] = None,
    progress: Optional[bool] = None,
) -> pandas.DataFrame:
    """One row per grid point (the product of ``grid``'s dotted keys), on
    common random numbers; ``backend="ray"``: as Ray tasks on the cluster
    ``ray.init`` connected to (the same DataFrame, bit for bit)."""
