"""Shared fixtures: the repository root and the `levamp` CLI binary the
Python results are compared with (the debug build `cargo test --workspace`
leaves in target/debug, or $LEVAMP_BIN)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _binary() -> Path:
    given = os.environ.get("LEVAMP_BIN")
    if given:
        return Path(given)
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "levamp"
        if p.exists():
            return p
    pytest.exit("no levamp binary: run `cargo build -p levamp-cli` (or set LEVAMP_BIN)", returncode=2)


class Cli:
    """Runs the `levamp` binary from the repository root."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def __call__(self, args: List[str], stdin: Optional[str] = None, ok: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run(
            [str(self.binary), *args],
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
        )
        if ok:
            assert r.returncode == 0, f"levamp {' '.join(args)}: exit {r.returncode}\n{r.stderr}"
        return r


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli(_binary())


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths (scenario data) resolve as they do for the CLI run at the root."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def local_ray():
    """A local Ray instance of two CPUs for the session (Ray starts in a few
    seconds: once for every test that sweeps on it)."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
