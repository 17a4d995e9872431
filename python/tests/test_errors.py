"""Errors arrive as Python exceptions with the CLI's message; Ctrl-C stops
a long simulation."""

from __future__ import annotations

import copy
import json
import os
import signal
import threading
import time

import pytest

import levamp

from conftest import ROOT

SNAPSHOT = "crates/levamp-cli/assets/example-snapshot.json"


def _bad_snapshot():
    doc = json.loads((ROOT / SNAPSHOT).read_text())
    bad = copy.deepcopy(doc)
    bad["accounts"][2]["positions"][0]["entry_price"] = -5
    return bad


def test_bad_snapshot_is_an_input_error_naming_the_json_path(cli):
    bad = _bad_snapshot()
    with pytest.raises(levamp.InputError) as e:
        levamp.margin(bad, "binance-usdm")
    assert "accounts[2].positions[0].entry_price" in str(e.value)
    assert isinstance(e.value, levamp.LevampError)
    # The CLI's line for the same text on standard input, after `error: `.
    r = cli(["margin", "-", "--venue", "binance-usdm", "--format", "json"], stdin=json.dumps(bad, ensure_ascii=False), ok=False)
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: {e.value}"


def test_bad_file_error_is_the_clis(cli, tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(_bad_snapshot()))
    with pytest.raises(levamp.InputError) as e:
        levamp.margin(str(p), "binance-usdm")
    r = cli(["margin", str(p), "--venue", "binance-usdm", "--format", "json"], ok=False)
    assert r.stderr.strip() == f"error: {e.value}"


def test_bad_scenario_and_bad_arguments_are_input_errors():
    with pytest.raises(levamp.InputError, match="run.paths"):
        levamp.sim({"run": {"paths": 0, "steps": 1}}, progress=False)
    with pytest.raises(levamp.InputError, match="no-such-venue"):
        levamp.margin({"accounts": []}, "no-such-venue")
    with pytest.raises(levamp.InputError):
        levamp.sim("scenarios/shock-linear.toml", paths=0, progress=False)


def test_missing_file_is_an_error():
    with pytest.raises(levamp.LevampError, match="no-such-file.json"):
        levamp.margin("no-such-file.json")


def test_ctrl_c_stops_a_long_sim():
    """SIGINT to this process while a sim of many paths runs: the sim stops
    within a moment (no path starts after it) and KeyboardInterrupt rises."""
    sent = []

    def interrupt():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(1.0, interrupt)
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # About a minute of paths of 0.1-0.3 s each (release build).
            levamp.sim("scenarios/agents.toml", paths=400, seed=1, progress=False)
    finally:
        timer.cancel()
    assert sent, "the sim ended before the signal"
    took = time.monotonic() - sent[0]
    assert took < 5.0, f"the sim went on for {took:.1f} s after Ctrl-C (started {sent[0] - start:.1f} s in)"


def _interrupt_after(seconds, run):
    """Sends SIGINT to this process `seconds` after `run()` starts and
    returns how long `run` went on after it (KeyboardInterrupt expected)."""
    sent = []

    def interrupt():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(seconds, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run()
    finally:
        timer.cancel()
    assert sent, "the sim ended before the signal"
    return time.monotonic() - sent[0]


def test_ctrl_c_stops_a_single_long_path():
    """One path of many steps (as a path over a million accounts is long):
    Ctrl-C stops it between steps, not at its end."""
    tomllib = pytest.importorskip("tomllib")
    s = tomllib.loads((ROOT / "scenarios/agents.toml").read_text())
    # Minutes of steps in one path (release build: ~1-2 ms a step).
    s["run"].update(paths=1, steps=200_000, series_paths=0)
    took = _interrupt_after(1.0, lambda: levamp.sim(s, progress=False))
    assert took < 3.0, f"the path went on for {took:.1f} s after Ctrl-C"
