"""The Python package gives the CLI's results: the same bytes for the JSON
commands, the same metrics.json / paths.csv / series.csv for `sim`, whether
the input is a path, its text, or a dict."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import levamp

from conftest import ROOT

SNAPSHOTS = [
    ("crates/levamp-cli/assets/example-snapshot.json", "binance-usdm"),
    ("scenarios/accounts.json", None),
    ("scenarios/perps-and-aave.json", "aave-v3"),
    ("scenarios/smart-ltv.json", "aave-v3"),
]


def _venue(venue):
    return ["--venue", venue] if venue else []


@pytest.mark.parametrize("snapshot,venue", SNAPSHOTS)
def test_margin_is_the_cli_byte_for_byte(cli, snapshot, venue):
    out = cli(["margin", snapshot, *_venue(venue), "--format", "json"]).stdout
    assert levamp.margin(snapshot, venue, raw=True) == out
    assert levamp.margin(Path(snapshot), venue) == json.loads(out)
    text = (ROOT / snapshot).read_text()
    assert levamp.margin(text, venue, raw=True) == out
    assert levamp.margin(json.loads(text), venue, raw=True) == out


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*.jsonl")))
def test_run_is_the_cli_byte_for_byte(cli, script):
    path = f"examples/{script}"
    out = cli(["run", path, "--format", "json"]).stdout
    assert levamp.run(path, raw=True) == out
    lines = (ROOT / path).read_text().splitlines()
    commands = [json.loads(line) for line in lines if line.strip() and not line.lstrip().startswith("//")]
    assert levamp.run(commands) == json.loads(out)


def test_contagion_is_the_cli_byte_for_byte(cli):
    path = "networks/three-banks.toml"
    out = cli(["contagion", path, "--format", "json"]).stdout
    assert levamp.contagion(path, raw=True) == out
    tomllib = pytest.importorskip("tomllib")
    as_dict = tomllib.loads((ROOT / path).read_text())
    as_dict.setdefault("name", "three-banks")
    assert levamp.contagion(as_dict) == json.loads(out)


def test_recommend_closed_form_is_the_cli(cli):
    args = ["--sigma", "0.1", "--liquidity", "1000000", "--debt", "2000000", "--slippage", "0.05", "--confidence", "1.5"]
    out = cli(["recommend", "--method", "smart-ltv", *args, "--format", "json"]).stdout
    got = levamp.recommend(method="smart-ltv", sigma=0.1, liquidity=1000000, debt=2000000, slippage=0.05, confidence=1.5, raw=True)
    assert got == out


def test_backtest_is_the_cli_metrics(cli, tmp_path):
    path = "scenarios/backtest/btc-long-20x-2020-03-12.toml"
    cli(["backtest", path, "--out", str(tmp_path), "--quiet"])
    expected = json.loads((tmp_path / "btc-long-20x-2020-03-12" / "metrics.json").read_text())
    assert levamp.backtest(path) == expected


def _sim_cli(cli, tmp_path, scenario, *args):
    cli(["sim", scenario, "--out", str(tmp_path), "--quiet", *args])
    (d,) = [p for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return d


@pytest.mark.parametrize(
    "scenario,paths",
    [("scenarios/shock-linear.toml", 40), ("scenarios/perps-and-aave.toml", 3), ("scenarios/agents.toml", 2)],
)
def test_sim_is_the_cli(cli, tmp_path, scenario, paths):
    d = _sim_cli(cli, tmp_path, scenario, "--paths", str(paths), "--seed", "7")
    r = levamp.sim(scenario, paths=paths, seed=7, progress=False)
    assert r.metrics == json.loads((d / "metrics.json").read_text())
    expected = pd.read_csv(d / "paths.csv")
    assert list(r.paths.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(r.paths, expected, check_dtype=False, check_exact=True)
    pd.testing.assert_frame_equal(r.series, pd.read_csv(d / "series.csv"), check_exact=True)
    assert r.report_html().startswith("<!DOCTYPE html>") or "<html" in r.report_html()[:200]


def test_sim_from_text_and_dict_and_threads(cli, tmp_path):
    scenario = "scenarios/shock-linear.toml"
    d = _sim_cli(cli, tmp_path, scenario, "--paths", "16", "--seed", "3")
    expected = json.loads((d / "metrics.json").read_text())
    # Relative paths in text resolve from the working directory (the root).
    text = (ROOT / scenario).read_text().replace('"accounts.json"', '"scenarios/accounts.json"')
    text = 'name = "shock-linear"\n' + text
    tomllib = pytest.importorskip("tomllib")
    as_dict = tomllib.loads(text)
    for given in (text, as_dict):
        assert levamp.sim(given, paths=16, seed=3, threads=1, progress=False).metrics == expected


def test_paths_arrow_holds_the_paths():
    pa = pytest.importorskip("pyarrow")
    r = levamp.sim("scenarios/shock-linear.toml", paths=10, seed=1, progress=False)
    t = r.paths_arrow()
    assert t.num_rows == 10
    assert t.column_names == list(r.paths.columns)
    assert t.schema.field("path").type == pa.int64()
    assert t.schema.field("bad_debt").type == pa.float64()
    assert t.column("liquidated_notional").to_pylist() == r.paths["liquidated_notional"].tolist()
