"""The after-action report as the trainer opens it: the curve is drawn, ratings come from one rater
and only from evaluator input, and nothing a player typed runs in the Markdown or the CSV."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest

from sim.analysis.curves import hourly, in_danger_steps, safe_curve
from sim.analysis.report import PlanItem, build_aar, improvement_plan_csv, render_html, render_markdown, write_report
from sim.events import Kind
from sim.simulation import Simulation
from tui.screens.debrief import expected_rows

HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
)


def aar_of(sim: Simulation):
    return build_aar(
        sim.scenario, sim.events, sim.inputs, sim.metrics(), seed=sim.seed, human_roles=sorted(sim.human_roles)
    )


@pytest.fixture(scope="module")
def default_run(sakishima):
    sim = Simulation(sakishima, seed=1)
    sim.run()
    return sim


def test_default_run_report_draws_the_evacuation_curve(default_run):
    """The HTML of a default run holds the curve's figure, not the 'no evacuation curve' sentence."""
    aar = aar_of(default_run)
    html = render_html(aar)
    start = html.index('<figure id="evacuation_curve">')
    figure = html[start : html.index("</figure>", start)]
    assert "<svg" in figure and "people safe" in figure
    assert "No evacuation curve" not in html
    assert "120,212 of 120,212" in html
    movement = html[html.index('<table id="areas">') :]
    movement = movement[: movement.index("</table>")]
    for area in default_run.scenario.movement.areas:  # every area by its title, with when it was done
        row = movement[movement.index(f"<td>{area.title}</td>") :].split("</tr>")[0]
        cells = row.removeprefix("<td>").removesuffix("</td>").split("</td><td>")
        assert cells[6].startswith("D+") and cells[7] == "none declared", row


def test_a_record_where_nobody_is_safe_says_there_is_no_curve(sakishima):
    """Before anyone reaches safety the report says so in one sentence instead of an empty figure."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(60)
    html = render_html(aar_of(sim))
    assert '<figure id="evacuation_curve">' not in html
    assert "No evacuation curve: nobody reached a safe place in this record." in html


def test_curve_comes_from_the_arrivals_at_safety(default_run, sakishima):
    """The curve rises with every cohort reaching a safe place, never falls, and ends at the people the
    run reports safe: everyone, since nobody is caught on Sakishima."""
    curve = safe_curve(sakishima, default_run.events)
    values = [total for _, total in curve.points]
    assert values == sorted(values) and values[0] > 0
    arrived = sum(e.data["people"] for e in default_run.events if e.kind == "cohort_arrived")
    assert curve.safe == arrived
    assert arrived == curve.population == default_run.metrics()["movement"]["moved"]
    samples = hourly(curve, default_run.now)
    assert samples[0] == 0 and samples[-1] == arrived and len(samples) == int(default_run.now // 60) + 1
    hours, left = in_danger_steps(sakishima, default_run.events)  # what `compare` draws: the same, upside down
    assert left[0] == curve.population and left[-1] == 0
    assert [curve.population - curve.at(h * 60 + 1e-6) for h in hours] == left


def test_a_note_never_rates_only_an_evaluation_does(sakishima):
    """A note saying '[cabinet_procedure P]', under any author, changes nothing; an evaluation
    input made as an evaluator does, and says who rated it."""
    sim = Simulation(sakishima, seed=1, human_roles=["cabinet"])
    sim.advance(36 * 60)
    before = {r.id: (r.rating, r.reason) for r in aar_of(sim).rows}
    assert before["cabinet_procedure"][0] == "U"  # came up, the cabinet has not answered
    sim.note("[cabinet_procedure P] all fine", "evaluator")
    sim.note("[cabinet_procedure P]", "anyone")
    after_notes = {r.id: (r.rating, r.reason) for r in aar_of(sim).rows}
    assert after_notes == before
    sim.evaluate("cabinet_procedure", "M", "Dr Sato", "waited for the regular meeting")
    row = next(r for r in aar_of(sim).rows if r.id == "cabinet_procedure")
    assert row.rating == "M" and "evaluator Dr Sato" in row.reason and "derived: U" in row.reason
    with pytest.raises(ValueError, match="rating must be"):
        sim.evaluate("cabinet_procedure", "X", "Dr Sato")
    with pytest.raises(ValueError, match="no decision or inject"):
        sim.evaluate("no_such_thing", "P", "Dr Sato")


def test_evaluation_survives_the_journal(tmp_path):
    """An evaluation recorded in a session journal reaches `ttxsim report` (replayed, not parsed)."""
    from sim.commands.record import aar_from_journal
    from sim.journal import start_session
    from sim.scenario.bundled import default_scenario

    sim, journal = start_session(default_scenario(), human_roles=["cabinet"], journal_path=tmp_path / "s.ttxj")
    sim.advance(24 * 60)
    sim.evaluate("basic_response_policy", "S", "Dr Sato")
    journal.sync(sim)
    journal.close(sim.now)
    row = next(r for r in aar_from_journal(tmp_path / "s.ttxj").rows if r.id == "basic_response_policy")
    assert row.rating == "S" and "evaluator Dr Sato" in row.reason


@pytest.mark.parametrize("hours", [6, 12, 48, None])
def test_debrief_and_report_rate_every_decision_alike(sakishima, hours):
    """At T+6h, 12h, 48h and the end, the console debrief and the report give each decision one rating."""
    sim = Simulation(sakishima, seed=1, human_roles=["cabinet", "pm"])
    sim.advance(sim.horizon if hours is None else hours * 60)
    report = {r.id: r.rating for r in aar_of(sim).rows if r.kind == "decision"}
    debrief = {o.id: o.rating.value for o in expected_rows(sim)}
    assert debrief == report
    assert debrief  # something is rated at every time


def pm_withholds(sakishima) -> Simulation:
    """The PM (a person) answers the defence-operation order 'withheld'; the run goes to its end.

    The view is read again only once the record holds a new PM `decision_pending` event (from a
    step, or from an answer): reading it after each of the ~3,600 steps cost ~70 s, all of it in
    the view's span metrics."""
    sim = Simulation(sakishima, seed=1, human_roles=["pm"])
    seen = 0  # events already looked at; the view is read once before the first step too
    while True:
        if seen == 0 or any(e.kind is Kind.decision_pending and e.source == "pm" for e in sim.events[seen:]):
            seen = len(sim.events)
            pending = [d for d in sim.view().decisions if d.owner == "pm" and d.status == "pending"]
            if any(d.id == "defense_operation_order" for d in pending):
                break
            for decision in pending:  # the PM's earlier questions: the first option, as a player might
                sim.decide(decision.id, decision.options[0][0], "pm")
        assert sim.next_event_time() is not None, "the defence-operation order never came up"
        sim.step()
    sim.decide("defense_operation_order", "withheld", "pm")
    sim.advance(sim.horizon)
    return sim


def test_withheld_order_is_rated_against_the_msel(sakishima):
    """Withholding the order the MSEL expected is not 'done on time': U, and its capability is not P."""
    aar = aar_of(pm_withholds(sakishima))
    row = next(r for r in aar.rows if r.id == "defense_operation_order")
    assert row.rating == "U"
    assert "Withhold for now" in row.reason and "the MSEL expected" in row.reason
    assert "on time" not in row.reason
    capability = next(
        rating for name, rating, ids in aar.capabilities if any(i.endswith("(defense_operation_order)") for i in ids)
    )
    assert capability == "U"
    assert "JCG under MoD control" in render_markdown(aar, plots={})


def test_markdown_escapes_html_from_players(sakishima):
    """Notes, injects and titles typed by people reach the Markdown report as text, never as HTML."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(60)
    for payload in HOSTILE:
        sim.note(payload, author=payload)
    aar = dataclasses.replace(aar_of(sim), title=HOSTILE[0], objectives=[HOSTILE[1]])
    text = render_markdown(aar, plots={})
    for tag in ("<script", "<img", "<iframe"):
        assert tag not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_improvement_plan_csv_neutralises_formulas(sakishima):
    """A plan cell beginning with = + - @ is stored as text (a leading apostrophe), not run."""
    sim = Simulation(sakishima, seed=1)
    aar = aar_of(sim)
    aar.plan = [PlanItem('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "plain")]
    rows = list(csv.reader(io.StringIO(improvement_plan_csv(aar))))
    assert rows[1] == ['\'=HYPERLINK("http://x","y")', "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "plain", "", "", ""]


def test_report_goes_into_a_new_folder(default_run, tmp_path):
    """`report --out out/x.html` without out/: the folder is made, both files are written whole."""
    html, plan = write_report(aar_of(default_run), tmp_path / "out" / "x.md")
    assert html.read_text(encoding="utf-8").startswith("# ")
    assert plan.name == "x-improvement-plan.csv" and plan.exists()
    assert not list((tmp_path / "out").glob(".*.part"))
