"""kill -9 at any point of a session, then resume: the exact state of the uninterrupted run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.journal import Journal, replay
from tests.conftest import ROOT

SCRIPT = ROOT / "tests" / "scripted_session.py"
STEPS = 97  # slices in the scripted session


def _record(path):
    with Journal.open(path) as journal:
        return journal.event_lines(), [(e.kind, e.sim_time, e.payload) for e in journal.entries()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "ref.ttxj"
    subprocess.run([sys.executable, str(SCRIPT), str(path)], check=True, capture_output=True)
    return _record(path)


def kill_and_resume(path, lines: int, extra_delay: float) -> tuple[bool, int]:
    """Run the session in a subprocess, SIGKILL it after `lines` progress lines (+ a delay), resume it.
    Returns whether the session was cut short (journal not closed) and how many inputs it held then."""
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(path), "--pace", "0.002"], stdout=subprocess.PIPE, text=True
    )
    for _ in range(lines):
        if not process.stdout.readline():
            break
    time.sleep(extra_delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    cut, held = True, 0
    if path.exists():
        with Journal.open(path) as journal:
            cut, held = not journal.info.closed, len(journal.entries())
    subprocess.run([sys.executable, str(SCRIPT), str(path), "--resume"], check=True, capture_output=True)
    return cut, held


@settings(max_examples=10, deadline=None)
@given(lines=st.integers(1, STEPS + 1), extra_delay=st.floats(0, 0.004))
def test_kill9_then_resume_matches_uninterrupted(reference, tmp_path_factory, lines, extra_delay):
    """Whatever the kill point, the resumed journal holds the reference events and every input."""
    path = tmp_path_factory.mktemp("kill") / "s.ttxj"
    kill_and_resume(path, lines, extra_delay)
    events, inputs = _record(path)
    assert inputs == reference[1]
    assert events == reference[0]
    assert replay(path).identical
