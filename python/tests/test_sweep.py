"""levamp.sweep: one row per grid point, each the summary `levamp sim`
gives for the scenario with those values, all on the same random paths."""

from __future__ import annotations

import copy

import pytest

import levamp

from conftest import ROOT

SCENARIO = "scenarios/shock-linear.toml"


def _flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_each_row_is_the_sim_of_its_point():
    tomllib = pytest.importorskip("tomllib")
    grid = {"impact.lambda": [0.00005, 0.0001, 0.00015], "venue.insurance_fund": [0, 1000000]}
    df = levamp.sweep(SCENARIO, grid, paths=6, seed=11, progress=False)
    assert len(df) == 6
    assert list(df.columns[:2]) == ["impact.lambda", "venue.insurance_fund"]
    base = tomllib.loads((ROOT / SCENARIO).read_text())
    base["accounts"]["snapshot"] = "scenarios/accounts.json"
    for _, row in df.iterrows():
        s = copy.deepcopy(base)
        s["impact"]["lambda"] = row["impact.lambda"]
        s.setdefault("venue", {})["insurance_fund"] = int(row["venue.insurance_fund"])
        expected = _flatten(levamp.sim(s, paths=6, seed=11, progress=False).metrics["summary"])
        got = {k: row[k] for k in expected}
        assert got == pytest.approx(expected, rel=0, abs=0, nan_ok=True)


def test_a_bad_key_is_an_input_error_naming_it():
    with pytest.raises(levamp.InputError, match="no_such_key"):
        levamp.sweep(SCENARIO, {"impact.no_such_key": [1]}, paths=2, progress=False)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        levamp.sweep(SCENARIO, {"impact.lambda": [0.0001]}, backend="dask")
