"""The session journal: round trip, resume after a crash, replay verification, decision scripts."""

from __future__ import annotations

import sqlite3

import pytest

from sim.journal import (
    Journal,
    JournalError,
    ReplayDivergence,
    apply_script,
    decision_script,
    default_sessions_dir,
    replay,
    resume,
    script_roles,
    start_session,
)
from tests.conftest import DEFAULT_SCENARIO, MINIMAL_SCENARIO


def _session(path, until=3000.0, close=True):
    sim, journal = start_session(DEFAULT_SCENARIO, seed=3, human_roles=["pm", "cabinet"], journal_path=path)
    t = 0.0
    while t < until:
        t += 90.0
        sim.advance(t)
        for d in sim.view().decisions:
            if d.human and d.status == "pending" and sim.now - (d.came_up_at or 0) >= 120:
                journal.decide(sim, d.id, d.options[0][0], d.owner)
                journal.note(sim, f"{d.id} answered", "observer")
        if t == 900.0:
            journal.apply(sim, sim.scenario.inject("m07"))
            journal.record_console("pause", sim.now, paused=True)
            journal.record_console("speed", sim.now, speed=30.0)
        journal.flush(sim.now)
    if close:
        journal.close(sim.now)
    return sim, journal


def _abandon(journal):
    """What a crash leaves: the connection dropped without a flush or a close, the lock gone with the process."""
    journal._db.close()
    journal._lock.release()


def test_journal_round_trip(tmp_path):
    """Everything written comes back: configuration, inputs (with console ones), events."""
    path = tmp_path / "s.ttxj"
    sim, _ = _session(path)
    with Journal.open(path) as journal:
        info = journal.info
        assert (info.seed, info.human_roles, info.scenario_id, info.closed) == (3, ("cabinet", "pm"), "sakishima", True)
        assert info.scenario_text == DEFAULT_SCENARIO.read_text(encoding="utf-8")
        assert len(info.scenario_sha256) == 64
        assert journal.inputs() == list(sim.inputs)
        kinds = [e.kind for e in journal.entries()]
        assert "pause" in kinds and "speed" in kinds
        assert all(e.wall_time > 0 for e in journal.entries())
        assert journal.event_lines() == [e.to_json() for e in sim.events]
        assert journal.events() == list(sim.events)


@pytest.mark.slow
def test_journal_resume_after_crash_rebuilds_state(tmp_path):
    """A journal left open (as after kill -9) resumes to the same events, inputs and clock."""
    path = tmp_path / "s.ttxj"
    sim, journal = _session(path, close=False)
    _abandon(journal)  # no close: the committed inputs are all there is
    again, journal = resume(path)
    assert [e.to_json() for e in again.events] == [e.to_json() for e in sim.events]
    assert again.inputs == sim.inputs
    assert again.now == sim.now
    again.advance(again.now + 600)
    journal.close(again.now)
    assert replay(path).identical


def test_replay_reports_first_divergence(tmp_path):
    """A stored event that the re-run does not produce is reported with its index."""
    path = tmp_path / "s.ttxj"
    _session(path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE events SET json = replace(json, '\"time\":', '\"time\":1') WHERE seq = 5")
    outcome = replay(path)
    assert not outcome.identical and outcome.divergence.index == 5
    with pytest.raises(ReplayDivergence):
        resume(path)


def test_journal_refuses_tampered_scenario_and_other_files(tmp_path):
    path = tmp_path / "s.ttxj"
    _session(path, until=300)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE session SET value = '\"x\"' WHERE key = 'scenario_text'")
    with pytest.raises(JournalError, match="SHA-256"):
        Journal.open(path)
    junk = tmp_path / "junk.ttxj"
    junk.write_text("not sqlite")
    with pytest.raises(JournalError):
        Journal.open(junk)
    with pytest.raises(JournalError):
        Journal.open(tmp_path / "missing.ttxj")


def test_journal_never_overwrites(tmp_path):
    path = tmp_path / "s.ttxj"
    _session(path, until=300)
    with pytest.raises(JournalError, match="exists"):
        start_session(MINIMAL_SCENARIO, journal_path=path)


def test_default_location_is_the_sessions_folder(tmp_path, monkeypatch):
    """Without a path the journal goes to the sessions folder (TTX_SESSIONS_DIR overrides it)."""
    monkeypatch.setenv("TTX_SESSIONS_DIR", str(tmp_path / "sessions"))
    assert default_sessions_dir() == tmp_path / "sessions"
    sim, journal = start_session(MINIMAL_SCENARIO, seed=2)
    assert journal.path.parent == tmp_path / "sessions" and journal.path.suffix == ".ttxj"
    journal.close(sim.now)


@pytest.mark.slow
def test_decision_script_replays_a_class_on_other_seeds(tmp_path):
    """The class's decisions become a script that answers the same decisions on another seed."""
    path = tmp_path / "s.ttxj"
    _session(path, until=9000)
    script = decision_script(path)
    assert script and all(item.kind == "decision" and item.payload["waited"] is not None for item in script)
    roles = script_roles(script)
    assert roles <= {"pm", "cabinet"}
    with Journal.open(path) as journal:
        other = journal.simulation(seed=11, human_roles=roles)
    skipped = apply_script(other, script, until=9000)
    taken = {e.target: e.data["by"] for e in other.events if e.kind == "decision_taken"}
    applied = [item for item in script if item not in skipped]
    assert applied and all(taken[item.payload["decision"]].startswith("human:") for item in applied)


def test_cli_replay_exit_codes(tmp_path, capsys):
    from sim.cli import main

    path = tmp_path / "s.ttxj"
    _session(path, until=1200)
    assert main(["replay", str(path)]) == 0
    assert "identical" in capsys.readouterr().out
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM events WHERE seq = 3")
    assert main(["replay", str(path)]) == 1
    assert "first divergence at event 3" in capsys.readouterr().out
    assert main(["replay", str(tmp_path / "nope.ttxj")]) == 2


@pytest.mark.slow
def test_readers_never_mark_a_crashed_session_closed(tmp_path, capsys, monkeypatch):
    """journal, replay, report, the listing and decision scripts read a crashed journal and leave it crashed."""
    from sim.cli import main

    path = tmp_path / "s.ttxj"
    _, journal = _session(path, until=600, close=False)
    _abandon(journal)
    monkeypatch.setenv("TTX_SESSIONS_DIR", str(tmp_path))
    for command in (
        ["journal", str(path)],
        ["replay", str(path)],
        ["report", str(path), "--out", str(tmp_path / "a.md")],
    ):
        assert main(command) == 0
    decision_script(path)
    with Journal.open(path) as reader:
        assert not reader.writable and not reader.info.closed
    assert main(["journal"]) == 0
    assert " crashed " in capsys.readouterr().out
    assert replay(path).identical  # and a second replay finds no false divergence
    again, writer = resume(path)
    writer.close(again.now)
    with Journal.open(path) as reader:
        assert reader.info.closed
