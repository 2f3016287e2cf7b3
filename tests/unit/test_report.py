"""The after-action report: P/S/M/U rows from a scripted session, HTML/Markdown/CSV output."""

from __future__ import annotations

import csv
import io

import pytest

from sim.analysis.report import improvement_plan_csv, rate_decision, render_markdown, write_report


@pytest.fixture(scope="module")
def aar(scripted_aar):
    """The scripted class session: PM, Cabinet and the prefecture played, answering after a fixed think time
    (conftest's session-wide `scripted_aar`, shared with the other report tests)."""
    return scripted_aar


@pytest.mark.parametrize(
    "status, waited, within, rating",
    [
        ("taken", 60, 120, "P"),
        ("taken", 120, 120, "P"),
        ("taken", 200, 120, "S"),
        ("taken", 241, 120, "M"),
        ("taken", 999, None, "P"),
        ("pending", None, 120, "U"),
        ("skipped", 0, 120, ""),
        ("waiting", None, 60, ""),
    ],
)
def test_rate_decision(status, waited, within, rating):
    """On time P, late S, later than twice the standard M, never answered U."""
    assert rate_decision(status, waited, within)[0] == rating


def test_aar_rows_hold_expected_ratings(aar):
    """The scripted session's known outcomes appear with their ratings."""
    rows = {row.id: row for row in aar.rows}
    assert rows["situation_assessment"].rating == "P"  # modelled, 20 h within 1 d
    assert rows["governor_instruction"].rating == "S"  # human, 4.8 h against 3 h
    assert rows["governor_instruction"].by == "human:okinawa_pref"
    assert rows["jcg_control_lifted"].rating == "U"  # came up, never answered
    assert "rated S" not in rows["m06"].reason  # a note saying "[m06 S]" rates nothing (issue 10)
    assert rows["m10"].rating == "U"  # its decision was not taken
    unfired = [row for row in aar.rows if row.actual == "not fired"]
    assert unfired and all(row.rating == "" for row in unfired)  # not played: nothing to rate
    assert any("basic_response_policy" in n for n in rows["basic_response_policy"].notes)
    assert "Lifting of control" in {p.capability for p in aar.plan}


def test_aar_renders_html_with_inline_plots(aar, tmp_path):
    html_path, plan_path = write_report(aar, tmp_path / "aar.html")
    html = html_path.read_text(encoding="utf-8")
    for heading in (
        "Exercise overview",
        "Objectives and core capabilities",
        "Timeline of injects and decisions",
        "Expected versus actual",
        "Observer notes",
        "Metrics and plots",
        "Improvement plan",
    ):
        assert heading in html
    assert html.count("<svg") >= 2 and 'src="http' not in html  # one self-contained file
    rows = list(csv.reader(io.StringIO(plan_path.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["Core Capability", "Issue/Area for Improvement", "Corrective Action"]
    assert len(rows) == len(aar.plan) + 1


def test_aar_markdown_embeds_png(aar):
    text = render_markdown(aar)
    assert "](data:image/png;base64," in text and "| jcg_control_lifted (decision) |" in text
    assert improvement_plan_csv(aar).startswith("Core Capability,")
