"""A journal recorded before the fixed handover:/consultation: sections were removed still opens."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from sim.journal import Journal, start_session
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
