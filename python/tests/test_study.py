"""`levamp.study` gives the `study.json` that `levamp study` writes, from a
path, the study's text or a dict; a bad study raises `InputError` with the
CLI's line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import levamp

from conftest import ROOT

# A small study of studies/jump-cascade.toml: 3 paths of 30 steps, 60
# accounts, two variants (well under a second each in a debug build).
STUDY = """\
name = "tiny-adl"
base = "jump-cascade.toml"
paths = 3
seed = 5

[set]
run.steps = 30
population.accounts = 60

[variants]
venue.rules.adl = ["queue", "pro_rata"]

[frontier]
x = "adl_count"
y = "bad_debt_var_99"
prefer = "lower"
target = "bad_debt_var_99 <= 1000"
"""


@pytest.fixture
def study_file(tmp_path: Path) -> Path:
    """The study, next to a copy of its base (as the shipped studies are)."""
    folder = tmp_path / "in"
    folder.mkdir()
    base = (ROOT / "studies" / "jump-cascade.toml").read_text(encoding="utf-8")
    (folder / "jump-cascade.toml").write_text(base, encoding="utf-8")
    path = folder / "tiny-adl.toml"
    path.write_text(STUDY, encoding="utf-8")
    return path


def test_study_is_the_cli_study_json(cli, tmp_path, study_file):
    cli(["study", str(study_file), "--out", str(tmp_path), "--quiet"])
    expected = json.loads((tmp_path / "tiny-adl" / "study.json").read_text())
    got = levamp.study(str(study_file))
    assert got == expected
    assert len(got["variants"]) == 2
    assert got.report_html() == (tmp_path / "tiny-adl" / "report.html").read_text()
    assert got.dir is None


def test_study_text_and_dict_resolve_base_from_the_working_directory(monkeypatch, study_file):
    expected = levamp.study(study_file)
    assert expected["base"] == str(study_file.parent / "jump-cascade.toml")
    # Text and dicts: the base's relative path is from the working directory.
    monkeypatch.chdir(study_file.parent)
    assert levamp.study(STUDY) == expected
    tomllib = pytest.importorskip("tomllib")
    assert levamp.study(tomllib.loads(STUDY)) == expected


def test_study_out_writes_the_cli_folder(tmp_path, study_file):
    got = levamp.study(study_file, out=tmp_path, threads=1)
    assert got.dir == tmp_path / "tiny-adl"
    assert json.loads((got.dir / "study.json").read_text()) == got
    assert (got.dir / "report.html").read_text() == got.report_html()
    assert (got.dir / "study.toml").read_text() == STUDY


def test_bad_study_is_an_input_error_with_the_cli_line(cli, tmp_path, study_file):
    bad = STUDY.replace('y = "bad_debt_var_99"', 'y = "bad_debt_var99"')
    study_file.write_text(bad, encoding="utf-8")
    with pytest.raises(levamp.InputError) as e:
        levamp.study(study_file)
    r = cli(["study", str(study_file), "--out", str(tmp_path), "--quiet"], ok=False)
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: {e.value}"
    assert "bad_debt_var99" in str(e.value)


def test_bad_study_text_names_it_study(tmp_path):
    with pytest.raises(levamp.InputError) as e:
        levamp.study('base = "studies/jump-cascade.toml"\n[variants]\nvenue.rules.adl = "queue"\n')
    assert str(e.value).startswith("<study>"), str(e.value)
