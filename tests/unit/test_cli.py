"""The command-line contract of design.md: outputs, JSON keys and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import build_parser, main
from tests.conftest import DEFAULT_SCENARIO, MINIMAL_SCENARIO


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_bundled_scenario_ok(capsys):
    code, out, _ = _run(capsys, "validate", str(DEFAULT_SCENARIO))
    assert code == 0 and "ok" in out


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("scenario:\n  id: x\n  titel: X\n", 3, "did you mean 'title'"),
        (
            "scenario: {id: x, title: X, start: '2027-01-01', horizon: 1d}\nagencies:\n  - {id: a, name: A, kind: ministry, staff: many}\n",
            3,
            "staff",
        ),
        (
            "scenario: {id: x, title: X, start: '2027-01-01', horizon: 1d}\nagencies:\n  - {id: cabinet, name: A, kind: ministry}\n  - {id: b, name: B, kind: ministry, parent: cabnet}\n",
            4,
            "did you mean 'cabinet'",
        ),
        ("scenario: {id: x\nagencies: []\n", 2, ""),
    ],
    ids=["misspelt-key", "wrong-type", "unknown-agency", "syntax-error"],
)
def test_validate_points_at_the_line(capsys, tmp_path, text, line, fragment):
    """Each kind of mistake gives exit 2 and FILE:LINE:COL: on the right line."""
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, _, err = _run(capsys, "validate", str(path))
    assert code == 2
    lines = err.strip().splitlines()
    assert all(row.startswith(f"{path}:") for row in lines)
    assert any(row.startswith(f"{path}:{line}:") and fragment in row for row in lines), err
    assert "Traceback" not in err


def test_run_json_has_the_contract_keys(capsys):
    code, out, _ = _run(capsys, "run", "--seed", "7", "--json")
    assert code == 0
    payload = json.loads(out)
    assert {"scenario", "seed", "reforms", "events", "metrics"} <= payload.keys()
    metrics = payload["metrics"]
    assert metrics["movement"].keys() == {"population", "moved", "exposed", "in_danger"}
    assert "evacuation" not in metrics  # the island model's figures are gone
    for metric in ("evacuation.completion_hours", "handover.transfer_hours", "consultation.decision_hours"):
        assert metric in metrics  # the bundled scenario's own metric ids (design.md)


def test_run_is_reproducible_per_seed(capsys):
    """--seed 7 twice is identical; --seed 8 differs."""
    first = _run(capsys, "run", "--seed", "7", "--json")[1]
    second = _run(capsys, "run", "--seed", "7", "--json")[1]
    other = _run(capsys, "run", "--seed", "8", "--json")[1]
    assert first == second
    assert first != other


def test_run_summary_is_readable(capsys):
    code, out, _ = _run(capsys, "run", "--until", "48")
    assert code == 0
    assert "Decisions" in out and "D+2 06:00" in out


def test_unknown_reform_is_bad_input(capsys):
    code, _, err = _run(capsys, "run", "--reform", "integrated_authorty")
    assert code == 2 and "did you mean 'integrated_authority'" in err


def test_bad_flag_value_is_bad_input(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--until", "-1"])
    assert exit_info.value.code == 2


def test_schema_is_json_with_the_sections(capsys):
    code, out, _ = _run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and {"scenario", "agencies", "decisions", "injects", "reforms"} <= schema["properties"].keys()


def test_cli_reference_lists_every_command():
    """docs/cli.md has a section for every registered subcommand."""
    from tests.conftest import ROOT

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    text = (ROOT / "docs" / "cli.md").read_text()
    assert [c for c in commands if f"## `ttxsim {c}`" not in text] == []


# ---------------------------------------------------------------------------
# --version, validate --json, schema --out
# ---------------------------------------------------------------------------


def test_version_prints_ttxsim_and_the_installed_version(capsys):
    """`ttxsim --version` answers `ttxsim X.Y.Z` on stdout (the installed metadata), exit 0."""
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    out, _ = capsys.readouterr()
    assert exit_info.value.code == 0
    assert out == f"ttxsim {version('ttxsim')}\n"


def test_validate_json_reports_every_problem_with_its_position(capsys, tmp_path):
    """`validate --json` prints one object: the files, ok, and each problem's file/line/col/path/message."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario:\n  id: x\n  titel: X\n")
    code, out, err = _run(capsys, "validate", "--json", str(DEFAULT_SCENARIO), str(bad))
    payload = json.loads(out)
    assert code == 2 and err == ""
    assert payload["files"] == [str(DEFAULT_SCENARIO), str(bad)] and payload["ok"] is False
    misspelt = next(p for p in payload["problems"] if "titel" in p["path"])
    assert misspelt["file"] == str(bad) and misspelt["line"] == 3 and misspelt["col"] == 3
    assert "did you mean 'title'" in misspelt["message"]
    assert all(p["file"] == str(bad) for p in payload["problems"])


def test_validate_json_ok(capsys):
    code, out, _ = _run(capsys, "validate", "--json", str(DEFAULT_SCENARIO))
    assert code == 0 and json.loads(out) == {
        "files": [str(DEFAULT_SCENARIO)],
        "ok": True,
        "problems": [],
        "warnings": [],
    }


def test_schema_out_writes_the_schema_to_a_file(capsys, tmp_path):
    """`ttxsim schema --out FILE` writes the schema `ttxsim schema` prints (missing folders made), and prints nothing."""
    from sim.scenario.reference import json_schema

    target = tmp_path / "editor" / "scenario.schema.json"
    code, out, _ = _run(capsys, "schema", "--out", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8")) == json_schema()


# ---------------------------------------------------------------------------
# Untrusted text on the terminal, outputs that would overwrite inputs, errors
# ---------------------------------------------------------------------------

HOSTILE_TITLE = "\x1b]0;pwned\x07\x1b[2JTitle"


def _scenario_with_title(tmp_path, title: str):
    text = MINIMAL_SCENARIO.read_text(encoding="utf-8")
    path = tmp_path / "titled.yaml"
    path.write_text(text.replace("title: Minimal island evacuation", f"title: {json.dumps(title)}"), encoding="utf-8")
    return path


def test_run_summary_shows_escape_sequences_of_a_title_harmlessly(capsys, tmp_path):
    """A title's terminal escape sequences are shown as visible text, never sent to the terminal."""
    path = _scenario_with_title(tmp_path, HOSTILE_TITLE)
    code, out, _ = _run(capsys, "run", str(path), "--until", "1")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07\\x1b[2JTitle" in out


def test_validate_shows_escape_sequences_in_a_field_path_harmlessly(capsys, tmp_path):
    """An unknown key full of escape sequences is quoted visibly in the FILE:LINE:COL: path line."""
    path = tmp_path / "bad.yaml"
    path.write_text('scenario:\n  id: x\n  "\\e[2J\\e]0;pwned\\a": X\n', encoding="utf-8")
    code, _, err = _run(capsys, "validate", str(path))
    assert code == 2
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b[2J" in err


def test_run_summary_with_a_lone_surrogate_title_does_not_crash(tmp_path):
    """A title "\\ud800" used to end the plain summary in UnicodeEncodeError (exit 1)."""
    path = _scenario_with_title(tmp_path, "\ud800")
    result = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--until", "1"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\\ud800\n")


def test_run_refuses_to_overwrite_its_scenario_with_the_event_log(capsys, tmp_path):
    """`run S.yaml --events S.yaml` exits 2 with one sentence and leaves the scenario as it was."""
    path = tmp_path / "s.yaml"
    path.write_bytes(MINIMAL_SCENARIO.read_bytes())
    code, out, err = _run(capsys, "run", str(path), "--events", str(path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "refusing to overwrite an input" in err
    assert path.read_bytes() == MINIMAL_SCENARIO.read_bytes()


def test_run_events_that_cannot_be_written_is_one_sentence(capsys, tmp_path):
    """An event log that cannot be written is exit 1 with one sentence naming it, no exception name."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    target = blocker / "events.jsonl"
    code, _, err = _run(capsys, "run", str(MINIMAL_SCENARIO), "--until", "1", "--events", str(target))
    assert code == 1
    assert err.startswith(f"ttxsim: {target}: not written") and len(err.strip().splitlines()) == 1
    assert "Error" not in err and "Traceback" not in err


def test_run_events_file_is_complete(capsys, tmp_path):
    """--events writes one JSON line per event (through a temporary file renamed into place)."""
    target = tmp_path / "events.jsonl"
    code, out, _ = _run(capsys, "run", str(MINIMAL_SCENARIO), "--json", "--events", str(target))
    lines = target.read_text(encoding="utf-8").splitlines()
    assert code == 0 and len(lines) == json.loads(out)["events"]
    assert [p.name for p in tmp_path.iterdir()] == ["events.jsonl"]


def test_model_error_names_the_scenario_and_exits_1(capsys, monkeypatch):
    """A validated scenario that fails at run time: `ttxsim: PATH: sentence`, exit 1."""
    from sim.errors import ModelError
    from sim.simulation import Simulation

    def fail(self, *args, **kwargs):
        raise ModelError("the stand scheduler made no progress at T+2h (flights_per_stand_per_day too low)")

    monkeypatch.setattr(Simulation, "run", fail)
    code, _, err = _run(capsys, "run", str(MINIMAL_SCENARIO))
    assert code == 1
    assert (
        err
        == f"ttxsim: {MINIMAL_SCENARIO}: the stand scheduler made no progress at T+2h (flights_per_stand_per_day too low)\n"
    )


def test_unexpected_error_is_one_sentence_without_internal_names(capsys, monkeypatch):
    """An internal failure prints one sentence and points at --debug; no exception class name."""
    from sim.simulation import Simulation

    def fail(self, *args, **kwargs):
        raise KeyError("routes")

    monkeypatch.setattr(Simulation, "run", fail)
    code, _, err = _run(capsys, "run", str(MINIMAL_SCENARIO))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "--debug" in err
    assert "KeyError" not in err and "Traceback" not in err
    with pytest.raises(KeyError):
        main(["--debug", "run", str(MINIMAL_SCENARIO)])


def test_play_help_line_matches_the_console_module():
    """`ttxsim --help` lists `play` without importing tui; its line is the console module's own."""

    def help_lines(parser):
        action = next(a for a in parser._actions if a.dest == "command")
        return {choice.dest: choice.help for choice in action._choices_actions}

    assert help_lines(build_parser()) == help_lines(build_parser(["play"]))


def test_a_bad_flag_value_is_shown_harmlessly(capsys):
    """argparse's own error line quotes the bad value; escape sequences in it are shown, not obeyed."""
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--until", "\x1b[2J"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "\x1b" not in err and "\\x1b[2J" in err


@pytest.mark.slow
def test_max_size_raises_the_scenario_size_limit(tmp_path, capsys):
    """A scenario over the default limit is refused with the way out named; --max-size lets it in."""
    from sim.scenario.loader import DEFAULT_MAX_SIZE, set_max_size

    big = tmp_path / "big.yaml"
    text = Path(DEFAULT_SCENARIO).read_text(encoding="utf-8")
    big.write_text(text + "\n" + "#" * (DEFAULT_MAX_SIZE + 1) + "\n", encoding="utf-8")
    try:
        assert main(["validate", str(big)]) == 2
        assert "ttxsim --max-size SIZE" in capsys.readouterr().err
        assert main(["--max-size", "8MB", "validate", str(big)]) == 0
    finally:
        set_max_size(DEFAULT_MAX_SIZE)
    with pytest.raises(SystemExit) as refused:
        main(["--max-size", "lots", "validate", str(big)])
    assert refused.value.code == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "tsunami", "--reform", "drilled_town", "--reform", "drilled_town"], "--reform names reform"),
        (["explain", "tsunami", "--reform", "drilled_town", "--reform", "drilled_town"], "--reform names reform"),
        (["compare", "tsunami", "--reform", "drilled_town", "--reform", "drilled_town"], "--reform names reform"),
        (["compare", "tsunami", "--reform", "drilled_town+drilled_town"], "--reform 'drilled_town+drilled_town' names"),
    ],
    ids=["run", "explain", "compare", "compare-combined"],
)
def test_a_reform_named_twice_is_refused_as_a_decision_forced_twice_is(capsys, argv, message):
    """Not applied once and echoed twice (`reforms: drilled_town, drilled_town`): exit 2, one line,
    before anything runs (as `--decide` naming a decision twice)."""
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith(f"ttxsim: {message}") and "'drilled_town' twice" in err and err.count("\n") == 1
