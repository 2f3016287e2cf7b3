"""The after-action report's table of decisions people took: read back from the HTML a user opens."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from sim.analysis.report import build_aar, render_html, render_markdown, write_report
from sim.simulation import Simulation


class _Table(HTMLParser):
    """The cells of the table with a given id, as the text a reader sees."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    parser = _Table(table_id)
    parser.feed(html)
    return parser.rows


@pytest.fixture(scope="module")
def aar(scripted_aar):
    """The scripted class session: PM, Cabinet and the prefecture played, answering after a fixed think time
    (conftest's session-wide `scripted_aar`, shared with the other report tests)."""
    return scripted_aar


def test_html_lists_each_decision_a_person_took_with_its_times(aar, tmp_path):
    html = write_report(aar, tmp_path / "aar.html")[0].read_text(encoding="utf-8")
    assert "Decisions people took: deliberation and timeliness" in html
    rows = table(html, "deliberation")
    assert rows[0] == ["Decision", "By", "Came up", "Taken", "Deliberation", "Triggered by", "Since trigger", "Rating"]
    body = {row[0].rsplit("(", 1)[1].rstrip(")"): row for row in rows[1:]}
    humans = {r.id for r in aar.rows if r.kind == "decision" and (r.by or "").startswith("human:")}
    assert humans and humans <= set(body)  # every played decision of the expected-versus-actual table
    governor = aar_row(aar, "governor_instruction")
    cells = body["governor_instruction"]
    assert cells[1] == aar.agency_names["okinawa_pref"]  # by name, not id
    assert cells[2:4] == [aar.label(governor.came_up), aar.label(governor.taken)]
    assert cells[4] == f"{governor.waited / 60:.1f} h"  # deliberation: came up -> taken, as the rater timed it
    assert cells[5].startswith("decision evacuation_measures_instruction at D+")
    assert cells[7].startswith("S ") and "late" in cells[7]  # the rater's S, with its reason


def aar_row(aar, ident):
    return next(r for r in aar.rows if r.id == ident)


def test_since_trigger_counts_from_the_triggering_decision(aar):
    row = next(d for d in aar.deliberations if d.decision == "governor_instruction")
    instruction = next(
        r for r in aar.timeline if r[1] == "decision" and r[2].endswith("(evacuation_measures_instruction)")
    )
    assert row.triggered_at == instruction[0]  # when the Response HQ took it, not when the governor heard of it
    assert row.from_trigger > row.deliberation


def test_markdown_has_the_same_table(aar):
    text = render_markdown(aar, plots={})
    assert "### Decisions people took: deliberation and timeliness" in text
    line = next(x for x in text.splitlines() if "(governor_instruction) |" in x and x.startswith("| Governor"))
    assert f"| {aar.agency_names['okinawa_pref']} |" in line and "**S**" in line


def test_a_facilitator_override_is_named_as_such(sakishima, tmp_path):
    sim = Simulation(sakishima, seed=1)
    sim.advance(30)
    pending = next(d for d in sim.view().decisions if d.status == "pending")
    sim.decide(pending.id, pending.options[0][0], "facilitator")
    sim.advance(60)
    html = render_html(build_aar(sakishima, sim.events, sim.inputs, sim.metrics()), plots={})
    rows = table(html, "deliberation")
    assert len(rows) == 2 and rows[1][0].endswith(f"({pending.id})")
    assert rows[1][0].startswith(sakishima.decision_title(pending.id))
    owner = next(a.name for a in sakishima.agencies if a.id == pending.owner)
    assert rows[1][1] == f"facilitator (for {owner})"


def test_without_people_the_report_says_so(sakishima, tmp_path):
    result = Simulation(sakishima, seed=1).run()
    html = render_html(build_aar(sakishima, result.events, (), result.metrics), plots={})
    assert "No person took a decision in this record" in html and not table(html, "deliberation")
