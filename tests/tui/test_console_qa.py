"""Console QA pass: the clock under dialogs, help, step, escape, the log, names, layout."""

from __future__ import annotations

import pytest
from helpers import drawn, start, until

from tui.screens.exercise import HELD_NOTE, ExerciseScreen
from tui.screens.modals import DecisionModal, HelpModal
from tui.widgets.sim_clock import SimClock

pytestmark = pytest.mark.tui
SIZE = (160, 48)


def _pending_for(app, owner: str):
    return [d for d in app.sim.view().decisions if d.status == "pending" and d.owner == owner]


async def _decision_open(pilot, app):
    """Run until nss's decision is up, then open it with d (the clock running)."""
    await start(pilot)
    while not _pending_for(app, "nss"):
        app.session.advance_by(10)
    await pilot.press("space")
    assert not app.session.paused
    await pilot.press("d")
    await until(pilot, lambda: isinstance(app.screen, DecisionModal))


async def test_the_clock_keeps_running_under_the_decision_dialog(make):
    """By default deliberation costs time: the clock runs while the dialog is open, the dialog
    shows the time, and the answer is taken at the time it is given (not when the dialog opened)."""
    app = make(roles=("nss",), pause_on_decision=False)
    async with app.run_test(size=SIZE) as pilot:
        await _decision_open(pilot, app)
        opened = app.sim.now
        await until(pilot, lambda: app.sim.now >= opened + 30)
        clock = pilot.app.screen_stack[-2].query_one(SimClock)
        assert not clock.paused
        decision = app.screen.decision.id
        await until(pilot, lambda: app.sim.clock.label(app.sim.now) in str(app.screen.query_one("#now").render()))
        await pilot.press("1")
        await pilot.pause()
        taken = next(e for e in app.sim.events if e.kind.value == "decision_taken" and e.target == decision)
        assert taken.time >= opened + 30


async def test_with_pause_on_decision_the_dialog_holds_the_clock_and_the_header_says_paused(make):
    app = make(roles=("nss",), pause_on_decision=True)
    async with app.run_test(size=SIZE) as pilot:
        await _decision_open(pilot, app)
        opened = app.sim.now
        await pilot.pause(0.4)
        clock = pilot.app.screen_stack[-2].query_one(SimClock)
        assert app.sim.now == opened
        assert clock.paused and clock.note == HELD_NOTE
        assert "PAUSED" in drawn(clock) and "RUNNING" not in drawn(clock)


@pytest.mark.slow
async def test_other_dialogs_hold_the_clock_and_the_header_says_paused(make):
    """Help (or an inject, a note) stamps the time it shows: the clock holds, and says so."""
    app = make(pause_on_decision=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot)
        await pilot.press("space")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpModal))
        await pilot.pause(0.3)
        before = app.sim.now
        await pilot.pause(0.3)
        clock = screen.query_one(SimClock)
        assert app.sim.now == before and clock.paused and clock.note == HELD_NOTE
        await pilot.press("escape")
        await until(pilot, lambda: app.sim.now > before)
        assert not clock.paused and clock.note == ""


def _help_text(app) -> str:
    from textual.widgets import Static

    return " ".join(drawn(w, 200) for w in app.screen.query(Static))


@pytest.mark.parametrize(
    ("pause_on_decision", "said"),
    [(False, "keeps running while they decide"), (True, "stops until it is answered (--pause-on-decision)")],
)
async def test_help_says_what_the_clock_does_with_the_real_option(make, pause_on_decision, said):
    """The help once named a `--no-pause-on-decision` that does not exist, with the opposite default."""
    from tui.command import PAUSE_FLAG

    app = make(pause_on_decision=pause_on_decision)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpModal))
        text = " ".join(_help_text(app).split())
        assert said in text and PAUSE_FLAG in text
        assert "--no-pause" not in text


@pytest.mark.slow
async def test_step_says_nothing_is_scheduled_only_when_nothing_is(make):
    """A step often runs a model event that logs nothing; that is no reason to say the run is over."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        told: list[str] = []
        app.notify = lambda message, **kw: told.append(str(message))  # type: ignore[method-assign]
        for _ in range(12):  # some of the first twelve steps log nothing (seed 1)
            before = app.sim.now
            await pilot.press("n")
            await pilot.pause()
            assert app.sim.now >= before
        assert app.sim.now > 0
        assert not any("Nothing more" in t for t in told)
        app.session.advance_to(app.sim.horizon)
        await pilot.press("n")
        await pilot.pause()
        assert any("Nothing more" in t for t in told)


async def test_one_escape_closes_the_decision_dialog_opened_with_d(make):
    """escape ('answer later') closed the dialog and at once reopened the same decision, since
    a dialog opened with d was not marked as shown; keys typed next went into it."""
    app = make(roles=("nss",), pause_on_decision=False)
    async with app.run_test(size=SIZE) as pilot:
        await _decision_open(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        assert _pending_for(app, "nss")


def _log_text(screen) -> str:
    from tui.widgets.event_log import EventLog

    log = screen.query_one("#log", EventLog)
    return "\n".join(strip.text for strip in log.lines)


async def test_movement_lines_are_quiet_until_m_shows_them(make):
    """Each group leaving or arriving flooded the log; milestones stay, m shows the groups."""
    from sim.events import Kind

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot)
        app.session.advance_to(24 * 60)
        kinds = {e.kind for e in app.sim.events}
        assert {Kind.cohort_departed, Kind.cohort_arrived} <= kinds
        screen._refresh(app.sim.events)
        await pilot.pause()
        text = _log_text(screen)
        assert "INJECT" in text and "DECISION UP" in text
        assert "people leave" not in text and "SAFE:" not in text
        assert "(m) show movement" in screen.query_one("#log-panel").border_title
        await pilot.press("m")
        await pilot.pause()
        text = _log_text(screen)
        assert "people leave" in text and "SAFE:" in text and "INJECT" in text
        assert "(m) hide movement" in screen.query_one("#log-panel").border_title


def test_movement_milestones_are_never_quiet():
    from sim.events import Kind, SimEvent
    from tui.widgets.event_log import EventLog

    log = EventLog(str, str)
    milestones = [Kind.movement_started, Kind.people_exposed, Kind.movement_completed, Kind.leg_closed]
    milestones.append(Kind.leg_reopened)
    assert all(log._wanted(SimEvent(0, 0.0, kind, "x")) for kind in milestones)
    assert not log._wanted(SimEvent(0, 0.0, Kind.cohort_departed, "x"))


@pytest.mark.parametrize("kind", list(__import__("sim.events", fromlist=["Kind"]).Kind))
def test_every_event_kind_has_a_sentence(sakishima, monkeypatch, kind):
    """No kind falls to the key=value fallback (Senkaku showed `told hazard:incursion message=...`)."""
    import tui.format
    from sim.events import SimEvent

    def fallback(event):
        raise AssertionError(f"{event.kind.value} has no sentence in tui/format.py")

    monkeypatch.setattr(tui.format, "generic", fallback)
    line = tui.format.describe(SimEvent(0, 0.0, kind, "hazard:incursion", "x", {}), sakishima)
    assert line and "=" not in line.replace("->", "")


def test_a_tell_reads_as_a_sentence_with_agency_names(sakishima):
    from sim.events import Kind, SimEvent
    from tui.format import agency_name, describe

    data = {"message": "hazard:incursion#1", "to": ["nss"], "synopsis": "More vessels sighted"}
    line = describe(SimEvent(0, 0.0, Kind.told, "hazard:incursion", None, data), sakishima)
    assert line == f"TOLD {agency_name(sakishima, 'nss')}: More vessels sighted (after hazard incursion)"


def test_people_read_agency_names_not_ids(sakishima):
    """The log's DECISION UP and INJECT lines and the MSEL's To column name agencies."""
    from sim.events import Kind, SimEvent
    from tui.format import agency_name, describe
    from tui.widgets.timeline import addressees

    nss = agency_name(sakishima, "nss")
    up = describe(SimEvent(0, 0.0, Kind.decision_pending, "nss", "d1", {"human": False, "title": "Q?"}), sakishima)
    assert up == f"DECISION UP for {nss} (the model): Q?"
    fired = describe(SimEvent(0, 0.0, Kind.inject_fired, "simcell", None, {"inject": "m06", "to": ["nss"]}), sakishima)
    assert f"to {nss}:" in fired
    assert addressees(["Disaster Management Agency", "Okinawa", "Ishigaki"], 12) == "Disaster… +2"
    assert addressees(["Ishigaki City"], 12) == "Ishigaki Ci…"


async def test_the_inject_confirmation_names_the_agencies(make):
    from tui.format import agency_name
    from tui.screens.modals import ConfirmModal, InjectModal

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InjectModal))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        body = drawn(app.screen.query_one("#confirm-body"), 200)
        inject = next(i for i in app.scenario.injects if i.on_demand)
        assert f"to {agency_name(app.scenario, inject.to[0])}" in body


def test_the_debrief_names_the_costliest_seam(sakishima):
    from tui.format import agency_name
    from tui.screens.debrief import seam_name

    assert seam_name(sakishima, "nss") == agency_name(sakishima, "nss") != "nss"
    assert seam_name(sakishima, "not_an_agency") == "not_an_agency"


KEY_WORDS = {"space": "space", "plus": "+", "equals_sign": "+", "minus": "-", "question_mark": "?", "f1": "F1"}


def test_help_lists_every_key_of_the_exercise_screen():
    """Derived from the bindings: a key added to the screen and left out of the help fails here."""
    from tui.screens.modals import HELP

    keys = [key for b in ExerciseScreen.BINDINGS for key in b.key.split(",")]
    listed = {line.split()[0] for line in HELP.splitlines() if line.startswith("  ")}
    listed |= {word for line in HELP.splitlines() if line.startswith("  ") for word in line.split()[:2]}
    missing = [key for key in keys if KEY_WORDS.get(key, key) not in listed]
    assert not missing, f"keys missing from the help: {missing}"


async def test_f1_opens_help_and_the_footer_shows_every_command_key(make):
    from textual.widgets import Footer

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot)
        shown = {b.key for b in ExerciseScreen.BINDINGS if b.show}
        assert {"o", "e", "f", "m", "p", "b"} <= shown
        footer = " ".join(str(w.render()) for w in screen.query_one(Footer).query("*"))
        for description in ("Note", "Rate", "Filter", "Moves", "Panel", "Debrief"):
            assert description in footer
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpModal))
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))


async def test_a_mid_session_debrief_says_so_far_not_at_the_end(make):
    """At D+1 'Still in danger at the end 118,237' read as a final value; it is the value now."""
    from tui.screens.debrief import DebriefScreen

    app = make(skip_briefing=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        app.session.advance_to(24 * 60)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen))
        metrics = drawn(app.screen.query_one("#key-metrics"))
        assert "Still in danger now" in metrics and "at the end" not in metrics
        assert "not final" in drawn(app.screen.query_one("#so-far"))


async def test_at_80x24_the_texts_fit_and_the_msel_synopsis_gets_the_room(make):
    """The briefing's roles header and the inject dialog's hint were cut; the MSEL's synopsis got 14 cells."""
    from textual.widgets import Label

    from tui.screens.modals import InjectModal
    from tui.widgets.timeline import MselTimeline

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        header = next(w for w in app.screen.query(Label) if "space" in str(w.render()))
        assert len(str(header.render())) <= header.region.width
        screen = await start(pilot)
        assert screen.query_one(MselTimeline).synopsis_width >= 24
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InjectModal))
        hint = app.screen.query(".hint").last()
        assert len(str(hint.render())) <= hint.region.width
