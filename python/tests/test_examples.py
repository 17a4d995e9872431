"""The Python examples run (examples/python)."""

import runpy

from conftest import ROOT


def test_liquidation_prices_example(capsys):
    runpy.run_path(str(ROOT / "examples/python/liquidation_prices.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "liquidation_price" in out and "long-20x" in out
