"""Journals recorded by earlier versions: one from before the fixed handover:/consultation: sections were
removed still opens; one recorded on the island model (replaced by `movement:`) is refused in one sentence."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from sim.cli import main
from sim.journal import Journal, JournalError, lock_path, resume, start_session
from sim.scenario.legacy import without_removed_sections
from tests.conftest import MINIMAL_SCENARIO

OLD_SECTIONS = """
handover:
  span: {start: a, end: b, delivered_to: hq}
  evacuation_vessels: 0
  # a comment inside the section

consultation: {span: {start: c, end: d}}
"""


def _as_if_recorded_by_an_earlier_version(path) -> str:
    """Put the removed sections into the stored text (and its SHA-256), as an old journal has them."""
    with sqlite3.connect(path) as db:
        text = json.loads(db.execute("SELECT value FROM session WHERE key = 'scenario_text'").fetchone()[0])
        old = text + OLD_SECTIONS
        db.execute("UPDATE session SET value = ? WHERE key = 'scenario_text'", (json.dumps(old),))
        digest = hashlib.sha256(old.encode("utf-8")).hexdigest()
        db.execute("UPDATE session SET value = ? WHERE key = 'scenario_sha256'", (json.dumps(digest),))
    return old


def test_blanking_keeps_every_line_where_it_was():
    text = "scenario: {id: s}\nhandover:\n  span: x\n\n# kept\nagencies: []\nconsultation: {span: y}\n"
    migrated = without_removed_sections(text)
    assert migrated.split("\n") == ["scenario: {id: s}", "", "", "", "# kept", "agencies: []", "", ""]


def test_blanking_keeps_a_replaced_section_so_that_loading_says_what_replaced_it():
    text = "scenario: {id: s}\nevacuation:\n  tick: 10m\nhandover: {span: x}\n"
    assert without_removed_sections(text) == "scenario: {id: s}\nevacuation:\n  tick: 10m\n\n"


def test_a_journal_with_the_removed_sections_still_gives_its_scenario(tmp_path):
    path = tmp_path / "old.ttxj"
    sim, journal = start_session(MINIMAL_SCENARIO, seed=2, journal_path=path)
    sim.advance(120)
    journal.close(sim.now)
    old = _as_if_recorded_by_an_earlier_version(path)
    with Journal.open(path) as reopened:
        assert reopened.info.scenario_text == old  # the record itself is never rewritten
        assert reopened.scenario().scenario.id == sim.scenario.scenario.id
        assert len(reopened.events()) > 0


ISLAND_SESSION = Path(__file__).resolve().parents[1] / "data" / "island_model_session.ttxj"
"""A session recorded by the island model's last version (tests/data/sea_only_island.yaml, seed 3, the
prefecture's player ordering the evacuation at T+30m, a note, closed at T+12h): 19 events, of kinds
(`departed`, `arrived`, `reached_host`) this version no longer has."""

REFUSAL = (
    "this session ran on a model this version replaced, so it cannot be replayed, resumed or reported "
    "('ttxsim journal {path}' still lists its inputs); line 10 of its scenario, evacuation: the island model "
    "was replaced by `movement:` in ttxsim 0.1.0; see the migration note in docs/scenario-authoring.md"
)


@pytest.fixture
def island_session(tmp_path: Path) -> Path:
    path = tmp_path / "island.ttxj"
    shutil.copyfile(ISLAND_SESSION, path)
    return path


def test_replaying_an_island_model_session_is_refused_with_one_sentence(island_session, capsys):
    assert main(["replay", str(island_session)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"ttxsim: {island_session}: {REFUSAL.format(path=island_session)}\n"


def test_resuming_an_island_model_session_is_refused_and_leaves_it_as_it_was(island_session):
    before = island_session.read_bytes()
    with pytest.raises(JournalError) as refused:
        resume(island_session)
    assert str(refused.value) == f"{island_session}: {REFUSAL.format(path=island_session)}"
    assert island_session.read_bytes() == before
    assert not lock_path(island_session).exists()


def test_reporting_an_island_model_session_is_refused_and_writes_nothing(island_session, tmp_path, capsys):
    out = tmp_path / "report.md"
    assert main(["report", str(island_session), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"ttxsim: {island_session}: {REFUSAL.format(path=island_session)}\n"
    assert not out.exists()


def test_an_island_model_session_still_lists_its_record(island_session, capsys):
    assert main(["journal", str(island_session), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["scenario"] == "sea_only_island" and record["events"] == 19
    assert [(i["kind"], i["sim_time"]) for i in record["inputs"]] == [("decision", 30.0), ("note", 30.0)]
    with Journal.open(island_session) as journal, pytest.raises(JournalError, match="ran on a model this version"):
        journal.events()  # `departed` is no event kind any more: said as the reason, not as damage
