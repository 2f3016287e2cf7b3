"""The default scenario is data (scenarios/default.txt), shipped with the package like the YAML files."""

from __future__ import annotations

import tomllib

import pytest

from sim.cli import main
from sim.scenario import bundled
from tests.conftest import ROOT


def test_the_default_scenario_is_named_by_the_marker_file():
    """`default.txt`'s first line that is not a comment names a bundled scenario that loads."""
    lines = (ROOT / "scenarios" / bundled.DEFAULT_MARKER).read_text(encoding="utf-8").splitlines()
    named = next(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    assert bundled.default_scenario() == bundled.bundled_dir() / named
    assert bundled.resolve(None).is_file()


def test_the_marker_ships_with_the_package():
    """A non-editable install has no scenarios/ folder: the marker must be package data like the YAML."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert bundled.DEFAULT_MARKER in config["tool"]["setuptools"]["package-data"]["sim.bundled"]


def test_another_default_is_a_one_line_change(tmp_path, monkeypatch, capsys):
    """Pointing the marker at another file changes what `ttxsim run` loads, with no code change."""
    (tmp_path / bundled.DEFAULT_MARKER).write_text("# comment\n\nminimal.yaml\n", encoding="utf-8")
    (tmp_path / "minimal.yaml").write_bytes((ROOT / "tests" / "data" / "minimal.yaml").read_bytes())
    monkeypatch.setattr(bundled, "bundled_dir", lambda: tmp_path)
    assert main(["run", "--seed", "1", "--json"]) == 0
    assert '"scenario": "minimal"' in capsys.readouterr().out


@pytest.mark.parametrize("text", [None, "# only a comment\n"], ids=["missing", "empty"])
def test_a_broken_marker_is_one_clear_sentence(tmp_path, monkeypatch, capsys, text):
    if text is not None:
        (tmp_path / bundled.DEFAULT_MARKER).write_text(text, encoding="utf-8")
    monkeypatch.setattr(bundled, "bundled_dir", lambda: tmp_path)
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ttxsim: ") and "default scenario" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
