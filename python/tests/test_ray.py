"""levamp.sweep(backend="ray") on a local Ray instance (`ray.init(num_cpus=2)`):
the same DataFrame as the local backend, bit for bit, in the same order;
errors are the local backend's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import levamp

pytest.importorskip("ray")

SCENARIO = "scenarios/shock-linear.toml"  # reads accounts.json: shipped
GRID = {"impact.lambda": [0.00005, 0.0001, 0.00015], "venue.insurance_fund": [0, 1000000]}


def test_ray_sweep_is_the_local_sweep(local_ray, tmp_path, monkeypatch):
    local = levamp.sweep(SCENARIO, GRID, paths=8, seed=3, progress=False)
    # From another folder, the scenario by its absolute path: the tasks
    # (in processes with their own working directory) get the snapshot
    # shipped, not by a path they resolve themselves.
    scenario = str(Path(SCENARIO).resolve())
    monkeypatch.chdir(tmp_path)
    remote = levamp.sweep(scenario, GRID, paths=8, seed=3, backend="ray", progress=False)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)
    assert (remote["bad_debt.mean"] > 0).any(), "the grid is not trivial"


def test_ray_sweep_of_a_scenario_as_text_reads_its_files_here(local_ray):
    text = open(SCENARIO, encoding="utf-8").read().replace('"accounts.json"', '"scenarios/accounts.json"')
    grid = {"impact.lambda": [0.0001, 0.0002]}
    local = levamp.sweep(text, grid, paths=4, seed=1, progress=False)
    remote = levamp.sweep(text, grid, paths=4, seed=1, backend="ray", threads=1, progress=False)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


@pytest.mark.parametrize(
    "scenario, grid",
    [(SCENARIO, {"impact.no_such_key": [1]}), ("no-such-scenario.toml", {"impact.lambda": [0.0001]})],
)
def test_ray_errors_are_the_local_errors(local_ray, scenario, grid):
    with pytest.raises(levamp.LevampError) as local:
        levamp.sweep(scenario, grid, paths=2, progress=False)
    with pytest.raises(levamp.LevampError) as remote:
        levamp.sweep(scenario, grid, paths=2, backend="ray", progress=False)
    assert (type(remote.value), str(remote.value)) == (type(local.value), str(local.value))


def test_a_task_needs_no_file_of_this_machine(tmp_path, monkeypatch):
    """What a task gets holds the files the scenario reads: run where the
    scenario's relative paths resolve to nothing, it is the local result."""
    from levamp import _ray
    from levamp._sweep import _Point

    text = open(SCENARIO, encoding="utf-8").read().replace('"accounts.json"', '"scenarios/accounts.json"')
    points = [[("impact.lambda", "0.0001")]]
    (here,) = _Point(None, text, 1, 4, None)(points)
    shipped = _ray._Shipped(_Point(None, text, 1, 4, None), points)
    assert [p for p, _ in shipped.files] == ["scenarios/accounts.json"]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(levamp.LevampError, match="scenarios/accounts.json"):
        _Point(None, text, 1, 4, None)(points)
    assert _ray._chunk(shipped, 1, points) == [here]
