"""What the facilitator sees: text shown literally (never as markup), one rating in the debrief and
the report, a withheld order shown as withheld, nothing lost when the journal cannot be written,
resume in the view the session was in, and a chart built from the event stream."""

from __future__ import annotations

import asyncio
import errno
import html
import io
import re
import sqlite3
import string

import pytest
from helpers import until
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from sim.analysis.curves import hourly, safe_curve
from sim.simulation import Simulation
from tui.screens.debrief import DebriefScreen, expected_rows
from tui.screens.exercise import ExerciseScreen
from tui.screens.modals import ConfirmModal, EvaluationModal, InjectModal, NoteModal, PickModal
from tui.widgets.movement_board import MovementChart
from tui.widgets.status_panel import StatusPanel

pytestmark = pytest.mark.tui
SIZE = (160, 48)


def screen_text(app) -> str:
    """Every piece of text on the terminal right now, as the facilitator reads it."""
    spans = re.findall(r"<text[^>]*>(.*?)</text>", app.export_screenshot())
    return "".join(html.unescape(span).replace("\xa0", " ") for span in spans)


def plain(widget) -> str:
    """A widget's text as drawn: markup-free text, or a Rich renderable printed to plain text."""
    visual = widget.render()
    renderable = getattr(visual, "_renderable", None)
    if renderable is None:
        return str(visual)
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def table_of(widget):
    """The Rich table a Static draws (the debrief's expected-versus-actual table)."""
    return widget.render()._renderable


def notices(app) -> list[str]:
    """The notifications on screen now."""
    return [str(n.message) for n in app._notifications]


async def exercise(pilot) -> ExerciseScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))
    return pilot.app.screen


# -- markup: user and scenario text is shown as typed -----------------------------------------

MARKUP = st.sampled_from(["[/]", "[urgent]", "[b]", "[/b]", "[link=x]", "[@click=app.quit]", "[red", "]", "\\[", "[["])
TEXT = (
    st.lists(
        st.one_of(MARKUP, st.text(string.ascii_letters + " []/=@\\", min_size=1, max_size=4)), min_size=1, max_size=3
    )
    .map("".join)
    .filter(lambda s: s == s.strip() and bool(s))
)


def retitled(scenario, title: str, first_decision: str):
    """The scenario with another title and another title for its first decision (models are frozen)."""
    decisions = [scenario.decisions[0].model_copy(update={"title": first_decision}), *scenario.decisions[1:]]
    meta = scenario.scenario.model_copy(update={"title": title})
    return scenario.model_copy(update={"scenario": meta, "decisions": decisions})


async def show_everywhere(sakishima, text: str) -> None:
    """Type `text` as an ad-hoc inject's synopsis and as a note, with `text` as the scenario's title
    and a decision's title; every place shows it literally and nothing crashes."""
    from tui.app import TabletopApp

    scenario = retitled(sakishima, text, text)

    app = TabletopApp(scenario, show_wall_clock=False, skip_briefing=True, roles=())
    async with app.run_test(size=SIZE) as pilot:
        screen = await exercise(pilot)
        # the ad-hoc inject: form -> confirmation -> fired
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InjectModal))
        modal = app.screen
        for field, value in (("id", "x99"), ("to", "pm"), ("synopsis", text)):
            modal.query_one(f"#f-{field}").value = value
        await pilot.press("ctrl+s")  # submit the ad-hoc form
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert text in plain(app.screen.query_one("#confirm-body"))
        await pilot.press("y")
        await until(pilot, lambda: app.screen is screen)
        assert any(e.data.get("synopsis") == text for e in app.sim.events)
        # a note
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, NoteModal))
        app.screen.query_one("#text").value = text
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert app.sim.events[-1].data["text"] == text
        assert text in screen_text(app)  # the event log line
        # the debrief: the scenario title, the note in the timeline
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen) and app.screen.query("#debrief-title"))
        assert plain(app.screen.query_one("#debrief-title")) == f"Debrief - {text}"
        assert app.is_running


@pytest.mark.slow
async def test_closing_tag_in_a_synopsis_does_not_crash(sakishima):
    """The reported crash: '[/]' typed as an ad-hoc inject's synopsis (and as a note, and a title)."""
    await show_everywhere(sakishima, "[/]")


@pytest.mark.slow
@settings(max_examples=4)
@given(TEXT)
@example("[urgent] call the mayor")
def test_console_shows_user_and_scenario_text_literally(sakishima, text):
    """Property: whatever brackets people and scenario authors type, the console shows it as typed."""
    asyncio.run(show_everywhere(sakishima, text))


async def test_role_picker_shows_played_tag(make):
    """The role picker marks the roles people play with a visible [played]."""
    app = make(roles=("pm",), skip_briefing=True)
    async with app.run_test(size=SIZE) as pilot:
        await exercise(pilot)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, PickModal))
        assert "(pm) [played]" in screen_text(app)


async def test_decision_dialog_keeps_bracketed_words(sakishima):
    """An '[urgent]' in a decision's title stays in the dialog."""
    from tui.app import TabletopApp

    scenario = retitled(sakishima, sakishima.scenario.title, "[urgent] recognise the situation?")
    app = TabletopApp(scenario, show_wall_clock=False, skip_briefing=True, roles=(scenario.decisions[0].owner,))
    async with app.run_test(size=SIZE) as pilot:
        screen = await exercise(pilot)
        screen.session.set_paused(False)
        await until(pilot, lambda: "[urgent] recognise the situation?" in screen_text(app), timeout=20)


# -- one rating, and a withheld order ------------------------------------------------------------


def withheld_sim(sakishima) -> Simulation:
    sim = Simulation(sakishima, seed=1, human_roles=["pm"])
    while True:
        pending = [d for d in sim.view().decisions if d.owner == "pm" and d.status == "pending"]
        if any(d.id == "defense_operation_order" for d in pending):
            break
        for decision in pending:
            sim.decide(decision.id, decision.options[0][0], "pm")
        assert sim.next_event_time() is not None
        sim.step()
    sim.decide("defense_operation_order", "withheld", "pm")
    sim.advance(sim.now + 24 * 60)
    return sim


@pytest.mark.slow
async def test_withheld_order_is_not_shown_running(make, sakishima):
    """After 'Withhold for now' the span that starts with the order in force is not started, never
    'running since', the scenario's own indicator says withheld, and the debrief rates it U like the
    report does."""
    sim = withheld_sim(sakishima)
    assert sim.metrics()["defence_order_withheld"] == 1
    app = make(skip_briefing=True, start=lambda roles: (sim, [], None))
    async with app.run_test(size=SIZE) as pilot:
        screen = await exercise(pilot)
        status = plain(screen.query_one(StatusPanel))
        handover = next(line for line in status.splitlines() if line.startswith("Defence operation in force"))
        assert "not started" in handover
        assert "running since" not in handover
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen) and app.screen.query("#expected"))
        table = table_of(app.screen.query_one("#expected"))
        ids = [str(c) for c in table.columns[0]._cells]
        shown = [str(c) for c in table.columns[5]._cells]
        assert shown[ids.index("defense_operation_order")] == "U"


@pytest.mark.slow
async def test_debrief_table_shows_the_shared_rating(make, sakishima):
    """The debrief's Rating column is the one rater's verdict for each row, '-' when not rated."""
    sim = Simulation(sakishima, seed=1, human_roles=["cabinet"])
    sim.advance(12 * 60)
    app = make(skip_briefing=True, start=lambda roles: (sim, [], None))
    async with app.run_test(size=SIZE) as pilot:
        await exercise(pilot)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen) and app.screen.query("#expected"))
        table = table_of(app.screen.query_one("#expected"))
        ids, ratings = ([str(c) for c in table.columns[n]._cells] for n in (0, 5))
        shown = dict(zip(ids, ratings, strict=True))
        assert shown == {o.id: o.rating.value or "-" for o in expected_rows(sim)}
        assert "basic_response_policy" in shown and "U" in shown.values()


# -- a failed journal write ------------------------------------------------------------------------


@pytest.mark.slow
async def test_failed_journal_write_is_kept_and_retried(make, tmp_path):
    """Disk full while writing a note: the facilitator is told, the console keeps running and the
    note is written once the disk has room again."""
    from sim.journal import Journal, start_session
    from sim.scenario.bundled import default_scenario
    from tui.command import journal_observer

    journals = []

    def journaled(human_roles):
        simulation, journal = start_session(default_scenario(), human_roles=human_roles, journal_path=tmp_path / "j")
        journals.append(journal)
        return simulation, [journal_observer(journal, simulation)], str(journal.path)

    app = make(skip_briefing=True, start=journaled)
    async with app.run_test(size=SIZE) as pilot:
        screen = await exercise(pilot)
        journal = journals[0]
        real_record = journal.record

        def disk_full(*args, **kwargs):
            raise sqlite3.OperationalError("database or disk is full")

        journal.record = disk_full
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, NoteModal))
        app.screen.query_one("#text").value = "bridge lost power"
        await pilot.press("enter")
        await until(pilot, lambda: any("Could not write to the session journal" in n for n in notices(app)))
        assert app.is_running and app.session.unsaved
        assert app.sim.events[-1].data["text"] == "bridge lost power"
        journal.record = lambda *args, **kwargs: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left"))
        screen._retry_unsaved()
        assert app.session.unsaved  # still full: still kept
        journal.record = real_record
        screen._retry_unsaved()
        assert not app.session.unsaved
        await until(pilot, lambda: any("kept input(s) written" in n for n in notices(app)))
        now = app.sim.now
    journal.close(now)
    with Journal.open(tmp_path / "j") as reopened:
        assert [e.payload.get("text") for e in reopened.entries() if e.kind == "note"] == ["bridge lost power"]


# -- resume: the view, and the chart ------------------------------------------------------------------


async def play_and_resume(make, tmp_path, choose_view):
    """A session with two people's roles (off the evacuation's chain), left in the view `choose_view` picks; then resumed as
    `ttxsim play --resume` does. Returns (viewer after resume, chart before, chart after)."""
    from sim.journal import resume, start_session
    from sim.scenario.bundled import default_scenario
    from tui.app import TabletopApp
    from tui.command import journal_observer, last_view

    journals = []

    def journaled(human_roles):
        simulation, journal = start_session(default_scenario(), human_roles=human_roles, journal_path=tmp_path / "j")
        journals.append(journal)
        return simulation, [journal_observer(journal, simulation)], str(journal.path)

    app = make(skip_briefing=True, roles=("mofa", "jcg_hq"), start=journaled, pause_on_decision=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await exercise(pilot)
        screen.switch_viewer("facilitator")
        screen.busy = True  # as the advance dialog does: the worker owns the run until it is done
        screen.fast_forward(6 * 1440.0)
        await until(pilot, lambda: app.sim.now >= 6 * 1440.0 and not screen.busy, timeout=60)
        choose_view(screen)
        before = screen.query_one(MovementChart).chart(app.sim.now)
        now = app.sim.now
    journals[0].close(now, finished=False)
    simulation, journal = resume(tmp_path / "j")
    viewer = last_view(journal) or "facilitator"
    resumed = TabletopApp(
        simulation.scenario,
        roles=tuple(sorted(simulation.human_roles)),
        skip_briefing=True,
        show_wall_clock=False,
        viewer=viewer,
        start=lambda roles: (simulation, [journal_observer(journal, simulation)], str(journal.path)),
    )
    async with resumed.run_test(size=SIZE) as pilot:
        screen = await exercise(pilot)
        shown = screen.viewer
        board = screen.query_one(MovementChart)
        after = board.chart(simulation.now)
        text = str(board.query_one("#movement-total").render())  # the chart's own line, wherever it scrolls
    journal.close(simulation.now)
    return shown, before, after, simulation, text


@pytest.mark.slow
async def test_resume_opens_the_view_and_keeps_the_chart(make, tmp_path):
    """A facilitator session resumes in the facilitator view (not the first student role), and the
    'people safe' chart has its whole history, equal to the arrivals at safety in the events."""
    shown, before, after, simulation, text = await play_and_resume(make, tmp_path, lambda screen: None)
    expected = hourly(safe_curve(simulation.scenario, simulation.events), simulation.now)
    assert shown == "facilitator"
    assert after == before == expected
    assert after[-1] > 0 and after[0] == 0
    assert f"Safe: {after[-1]:,} of 120,212 (chart: hourly)" in text


@pytest.mark.slow
async def test_resume_opens_a_role_view_it_was_in(make, tmp_path):
    shown, *_ = await play_and_resume(make, tmp_path, lambda screen: screen.switch_viewer("mofa"))
    assert shown == "mofa"


@pytest.mark.slow
async def test_evaluator_rates_with_the_e_dialog(make):
    """`e` records an evaluator's rating as an evaluation input; the debrief shows it; a note does not rate."""
    app = make(skip_briefing=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await exercise(pilot)
        app.session.note("[situation_assessment U]", "anyone")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EvaluationModal))
        for field, value in (("target", "situation_assessment"), ("rating", "m"), ("evaluator", "Dr Sato")):
            app.screen.query_one(f"#e-{field}").value = value
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert [(i.kind, i.payload["rating"]) for i in app.sim.inputs if i.kind == "evaluation"] == [
            ("evaluation", "M")
        ]
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen) and app.screen.query("#expected"))
        table = table_of(app.screen.query_one("#expected"))
        ids, ratings = ([str(c) for c in table.columns[n]._cells] for n in (0, 5))
        assert ratings[ids.index("situation_assessment")] == "M"
        assert "evaluator Dr Sato" in plain(app.screen.query_one("#expected"))
