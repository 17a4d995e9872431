"""The Python examples run (examples/python)."""

import runpy

from conftest import ROOT


def test_liquidation_prices_example(capsys):
    runpy.run_path(str(ROOT / "examples/python/liquidation_prices.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "liquidation_price" in out and "long-20x" in out


def _example(name):
    return runpy.run_path(str(ROOT / "examples/python" / name))


def test_crash_replay_example(tmp_path, capsys):
    out = _example("crash_replay.py")["main"](["--paths", "3", "--accounts", "200", "--out", str(tmp_path / "fan.png")])
    assert len(out["fan"].paths) == 3 and len(out["fan"].metrics["price_quantiles"]) > 100
    assert "replay:" in capsys.readouterr().out
    if out["plot"] is not None:
        assert (tmp_path / "fan.png").stat().st_size > 10_000


def test_bad_debt_surface_example(local_ray, tmp_path, capsys):
    out = _example("bad_debt_surface.py")["main"](
        ["--paths", "4", "--points", "3", "--accounts", "200", "--out", str(tmp_path / "surface.png")]
    )
    df = out["sweep"]
    assert len(df) == 9 and (df["bad_debt.mean"] > 0).any(), df
    assert "impact.lambda" in capsys.readouterr().out
    if out["plot"] is not None:
        assert (tmp_path / "surface.png").stat().st_size > 10_000
