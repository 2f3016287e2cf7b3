"""`ttxsim play` wiring: bad input exits 2, and the CLI does not load Textual to parse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.cli import main

pytestmark = pytest.mark.tui


def test_play_unknown_role_is_bad_input(capsys):
    """An unknown --role is a usage error: exit 2 and one line on stderr."""
    assert main(["play", "--role", "atlantis"]) == 2
    assert "unknown role 'atlantis'" in capsys.readouterr().err


def test_play_bad_scenario_is_bad_input(tmp_path, capsys):
    """A scenario that does not load exits 2 with the loader's message."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: [\n")
    assert main(["play", str(bad)]) == 2
    assert capsys.readouterr().err.strip()


def test_help_does_not_import_textual():
    """Registering `play` keeps Textual out of `ttxsim --help`."""
    code = "import sys; from sim.cli import build_parser; build_parser(); print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_event_log_lines_read_as_sentences(sakishima):
    """Movement events read as sentences in the log with the scenario's titles, not raw key=value pairs."""
    from sim.simulation import Simulation
    from tui.format import describe

    sim = Simulation(sakishima, seed=1)
    sim.advance(12_000)
    lines = {e.kind.value: describe(e, sakishima) for e in sim.events}
    assert lines["movement_started"].startswith("MOVEMENT STARTS:")
    for kind in ("cohort_departed", "cohort_arrived"):
        assert " people" in lines[kind] and "=" not in lines[kind], lines[kind]
    assert lines["cohort_arrived"].startswith("SAFE: ")
    assert lines["leg_closed"].startswith("CLOSED (") and "=" not in lines["leg_closed"]


def test_the_clock_keeps_running_through_decisions_unless_asked():
    """Deliberation costs time by default (issue 12); --pause-on-decision stops the clock instead."""
    from sim.cli import build_parser

    parser = build_parser(["play"])
    assert parser.parse_args(["play"]).pause_on_decision is False
    assert parser.parse_args(["play", "--pause-on-decision"]).pause_on_decision is True
