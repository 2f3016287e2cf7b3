"""kill -9 at any point of a session, then resume: the exact state of the uninterrupted run.

The kill point is a number, not a moment: the scripted session sends itself SIGKILL
right after the journal's K-th write (tests/scripted_session.py `--kill-after`), so a
failing example reproduces exactly (hypothesis prints K).
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.journal import Journal, replay
from tests.conftest import ROOT
from tests.scripted_session import write_count

SCRIPT = ROOT / "tests" / "scripted_session.py"


def _record(path):
    with Journal.open(path) as journal:
        return journal.event_lines(), [(e.kind, e.sim_time, e.payload) for e in journal.entries()]


def run_reference(path):
    """The uninterrupted session, and how many kill points (journal writes) it offers."""
    subprocess.run([sys.executable, str(SCRIPT), str(path)], check=True, capture_output=True)
    record = _record(path)
    return record, write_count(len(record[0]), len(record[1]))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return run_reference(tmp_path_factory.mktemp("ref") / "ref.ttxj")


def kill_and_resume(path, kill_after: int) -> tuple[bool, int]:
    """Run the session in a subprocess that kill -9s itself after journal write `kill_after`, then resume it.

    Returns whether the session was cut short (journal not closed) and how many inputs it held then.
    A `kill_after` past the last write lets the session finish; resuming it must change nothing.
    """
    child = subprocess.run(
        [sys.executable, str(SCRIPT), str(path), "--kill-after", str(kill_after)], capture_output=True, text=True
    )
    killed = child.returncode == -signal.SIGKILL
    assert killed or child.returncode == 0, child.stderr
    cut, held = True, 0
    if path.exists():
        with Journal.open(path) as journal:
            cut, held = not journal.info.closed, len(journal.entries())
    assert cut == killed, "a killed session must leave its journal open, a finished one closed"
    subprocess.run([sys.executable, str(SCRIPT), str(path), "--resume"], check=True, capture_output=True)
    return cut, held


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_kill9_then_resume_matches_uninterrupted(reference, tmp_path_factory, data):
    """Whatever the kill point, the resumed journal holds the reference events and every input."""
    (events, inputs), writes = reference
    kill_after = data.draw(st.integers(1, writes + 1), label="kill_after")
    path = tmp_path_factory.mktemp("kill") / "s.ttxj"
    kill_and_resume(path, kill_after)
    assert _record(path) == (events, inputs)
    assert replay(path).identical
