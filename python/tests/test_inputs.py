"""How inputs are read: a `str` naming an existing file is that file (even
with an `=` in its name); relative paths inside a scenario or strategy
given as text or a dict resolve from the working directory, for every
function."""

from __future__ import annotations

import shutil

import pytest

import levamp

from conftest import ROOT

SCENARIO = "scenarios/shock-linear.toml"


def test_an_existing_path_wins_over_text(tmp_path):
    folder = tmp_path / "lambda=0.0001"
    folder.mkdir()
    shutil.copy(ROOT / SCENARIO, folder / "shock.toml")
    shutil.copy(ROOT / "scenarios/accounts.json", folder / "accounts.json")
    as_str = levamp.sim(str(folder / "shock.toml"), paths=2, seed=1, progress=False)
    expected = levamp.sim(folder / "shock.toml", paths=2, seed=1, progress=False)
    assert as_str.metrics["summary"] == expected.metrics["summary"]


def _scenario_text():
    # The snapshot relative to the working directory (the repository root).
    return (ROOT / SCENARIO).read_text().replace('"accounts.json"', '"scenarios/accounts.json"')


def test_recommend_text_resolves_paths_from_the_working_directory():
    args = dict(param="impact.lambda", range="0.00005..0.0002", target="bad_debt.mean<=1e15", paths=2, seed=1)
    from_file = levamp.recommend(SCENARIO, **args)
    from_text = levamp.recommend(_scenario_text(), **args)
    assert from_text["value"] == from_file["value"]
    assert from_text["evaluations"] == from_file["evaluations"]


def test_backtest_dict_resolves_data_paths_from_the_working_directory():
    tomllib = pytest.importorskip("tomllib")
    path = "scenarios/backtest/btc-long-20x-2020-03-12.toml"
    strategy = tomllib.loads((ROOT / path).read_text())
    series = {"perp": "perp_1h", "spot": "spot_1h", "mark": "mark_1h", "funding": "funding_8h"}
    strategy.setdefault("data", {}).update({k: f"data/binance/BTCUSDT_{v}.csv.gz" for k, v in series.items()})
    got = levamp.backtest(strategy)
    expected = levamp.backtest(path)
    assert got["summary"] == expected["summary"] if "summary" in expected else got == expected
