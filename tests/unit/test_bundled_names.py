"""Every command that takes a scenario FILE also takes a bundled scenario's name, `validate` included."""

from __future__ import annotations

from sim import cli
from sim.scenario.bundled import names, resolve


def test_validate_takes_a_bundled_name_like_run(capsys):
    assert cli.main(["validate", "--strict", "tsunami"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{resolve('tsunami')}: ok (")


def test_a_missing_bare_name_lists_the_bundled_scenarios(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate", "tsunamii"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"tsunamii:1:1: file not found, and no bundled scenario has that name ({', '.join(names())})"
    assert "tsunami" in names()


def test_a_missing_path_says_only_that_it_is_missing(tmp_path, capsys):
    missing = tmp_path / "gone.yaml"
    assert cli.main(["validate", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"{missing}:1:1: file not found"
