"""Pilot tests: every control of the console, asserted on the Simulation's state."""

from __future__ import annotations

import pytest
from helpers import start, until

from sim.events import Kind
from sim.scenario.schema import Inject
from tui.screens.debrief import DebriefScreen
from tui.screens.exercise import ExerciseScreen
from tui.screens.modals import ConfirmModal, DecisionModal, InjectModal, PickModal
from tui.session import SPEEDS

pytestmark = pytest.mark.tui
SIZE = (160, 48)


async def test_briefing_roles_become_human(make):
    """Roles ticked on the briefing are the Simulation's human roles."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "space")  # third role: nss
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        assert app.human_roles == {"nss"}
        assert app.sim.now == 0.0 and app.session.paused


@pytest.mark.parametrize(
    ("pause_on_decision", "said"),
    [(False, "the clock keeps running while they decide"), (True, "the clock stops until it is answered")],
)
async def test_briefing_says_whether_a_decision_stops_the_clock(make, pause_on_decision, said):
    """The briefing tells the class what `play` (or `play --pause-on-decision`) will do."""
    from textual.widgets import Static

    app = make(pause_on_decision=pause_on_decision)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert said in shown


async def test_msel_shows_inject_ids_in_full_up_to_thirteen_characters(make):
    """The MSEL's id column is as wide as the scenario's ids (within 4..13), so a
    facilitator can tell `x_hq_complete` from `x_hubs_instructed`."""
    from tui.widgets.timeline import MselTimeline

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        table = app.screen.query_one(MselTimeline)
        assert str(table.get_row("x_hq_complete")[0]) == "x_hq_complete"
        assert str(table.get_row("x_hubs_instructed")[0]) == "x_hubs_instr…"  # 17 characters: cut, visibly


async def test_a_small_terminal_shows_one_panel_and_says_how_to_reach_the_next(make):
    """At 80x24 only one panel fits; its border says which it is and that `p` shows the next."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        shown = [p for p in screen.query(".panel.-shown") if p.id in ("msel-panel", "agency-panel")]
        assert [p.id for p in shown] == ["msel-panel"]
        assert shown[0].border_subtitle == "panel 1 of 4  (p) next panel"
        await pilot.press("p")
        await pilot.pause()
        agency = screen.query_one("#agency-panel")
        assert agency.has_class("-shown") and agency.region.height > 0
        assert screen.query_one("#msel-panel").region.height == 0
        assert agency.border_subtitle == "panel 2 of 4  (p) next panel"


async def test_space_pauses_and_resumes_the_clock(make):
    """space runs the clock; space again freezes simulated time."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot)
        assert screen.session.paused
        await pilot.press("space")
        assert not app.session.paused
        await until(pilot, lambda: app.sim.now > 0)
        await pilot.press("space")
        frozen = app.sim.now
        await pilot.pause(0.3)
        assert app.session.paused and app.sim.now == frozen


@pytest.mark.slow
async def test_speed_keys_change_the_pace(make):
    """+ and - move through the speeds, from 1 sim-minute/s to 1 sim-day/s, and stop at the ends."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        for _ in range(len(SPEEDS)):
            await pilot.press("+")
        assert app.session.speed == SPEEDS[-1] == 1440.0
        await pilot.press("space")
        await until(pilot, lambda: app.sim.now >= 300)  # a day per second: hours per tick
        await pilot.press("space")
        for _ in range(len(SPEEDS)):
            await pilot.press("minus")
        assert app.session.speed == SPEEDS[0] == 1.0


async def test_step_goes_to_the_next_event(make):
    """n advances exactly to the next scheduled model event."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("n")
        assert app.sim.now == 0.0 and any(e.kind is Kind.inject_fired for e in app.sim.events)
        expected = app.sim.next_event_time()
        await pilot.press("n")
        assert app.sim.now == expected == 5.0
        assert app.session.paused


@pytest.mark.slow
async def test_fire_library_inject_now_is_exact(make):
    """i -> library -> confirm fires the inject at the current simulated time."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        for _ in range(4):
            await pilot.press("n")
        now = app.sim.now
        assert now > 0
        await pilot.press("i")
        assert isinstance(app.screen, InjectModal)
        await pilot.press("enter")  # first library inject: m06
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.pause()
        fired = [e for e in app.sim.events if e.kind is Kind.inject_fired and e.data["inject"] == "m06"]
        assert len(fired) == 1 and fired[0].time == now and fired[0].data["manual"]
        assert app.sim.inputs[-1].kind == "inject" and app.sim.inputs[-1].time == now


async def test_cancelled_inject_changes_nothing(make):
    """Saying no at the confirmation fires nothing."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("i", "enter", "n", "escape")
        await pilot.pause()
        assert not app.sim.inputs


@pytest.mark.slow
async def test_adhoc_inject_is_validated_then_fired(make):
    """The ad-hoc form shows schema errors, and fires a valid inject."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("i")
        modal = app.screen
        modal.query_one("TabbedContent").active = "tab-adhoc"
        await pilot.pause()
        modal.query_one("#f-id").value = "x01"
        modal.query_one("#f-to").value = "okinawa_pref, atlantis"
        modal.query_one("#f-synopsis").value = "Power cut at the prefectural office."
        assert modal.build_adhoc() is None
        assert "unknown agency atlantis" in str(modal.query_one("#adhoc-error").render())
        modal.query_one("#f-to").value = ""
        assert modal.build_adhoc() is None
        assert "to" in str(modal.query_one("#adhoc-error").render())
        modal.query_one("#f-to").value = "okinawa_pref"
        modal.query_one("#f-effects").value = '[{"kind": "scale", "state": "compliance", "factor": 0.5, "for": "6h"}]'
        modal.action_submit_adhoc()
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        fired = [e for e in app.sim.events if e.kind is Kind.inject_fired and e.data["inject"] == "x01"]
        assert fired and fired[0].data["to"] == ["okinawa_pref"]


async def test_refused_adhoc_inject_is_reported_and_not_recorded(make):
    """An inject the model cannot carry out (it closes a place the scenario lacks) is refused
    with a notice; the console keeps running and nothing reaches the session's inputs."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        screen = app.screen
        inject = Inject.model_validate(
            {
                "id": "x02",
                "from": "simcell",
                "to": ["okinawa_pref"],
                "synopsis": "Atlantis port shut.",
                "on_demand": True,
                "effects": [{"kind": "close", "mode": "all", "places": ["atlantis_port"], "for": "6h"}],
            }
        )
        screen.fire(inject)
        await pilot.pause()
        assert not app.sim.inputs
        assert any("Not fired" in str(n.message) for n in app._notifications)


async def _reach_decision(make, key: str):
    app = make(roles=("nss",))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert app.screen.viewer == "nss"  # --role opens the role view
        await pilot.press("space")
        await until(pilot, lambda: isinstance(app.screen, DecisionModal))
        assert app.session.paused  # pauses on a person's decision
        assert app.sim.now == 20.0  # exactly when it came up
        decision = app.screen.decision
        assert decision.owner == "nss" and len(decision.options) >= 2  # a real choice for the role
        await pilot.press(key)
        await pilot.pause()
        state = {d.id: d for d in app.sim.view().decisions}[decision.id]
        # run on: the choice shapes what follows
        app.session.advance_to(4 * 1440 + 6 * 60)
        return state, app.sim.metrics()


@pytest.mark.slow
async def test_decision_modal_answer_changes_the_run(make):
    """The modal's answer goes to Simulation.decide() and the run differs by choice."""
    first, metrics_a = await _reach_decision(make, "1")
    assert first.status == "taken" and first.by == "human:nss"
    second, metrics_b = await _reach_decision(make, "2")
    assert second.id == first.id and second.option != first.option
    assert metrics_a["decisions"] != metrics_b["decisions"]


@pytest.mark.slow
async def test_decision_later_then_d_answers_it(make):
    """escape leaves the decision pending; d reopens it for the role."""
    app = make(roles=("nss",), pause_on_decision=True)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("space")
        await until(pilot, lambda: isinstance(app.screen, DecisionModal))
        await pilot.press("escape")
        await pilot.pause()
        assert app.sim.view().decisions[0].status == "pending"
        await pilot.press("d")
        assert isinstance(app.screen, DecisionModal)
        await pilot.press("enter")
        await pilot.pause()
        assert app.sim.view().decisions[0].status == "taken"


async def test_facilitator_can_override_a_modelled_decision(make):
    """In the facilitator view, d answers a decision the model is deliberating on."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.session.advance_to(30)
        await pilot.press("d")
        assert isinstance(app.screen, DecisionModal)
        await pilot.press("1")
        await pilot.pause()
        decision = app.sim.view().decisions[0]
        assert decision.status == "taken" and decision.by == "human:facilitator"


@pytest.mark.slow
async def test_role_switch_hides_the_msel(make):
    """r switches to a role view: only that agency's inbox and decisions are shown."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot)
        app.session.advance_to(60)
        await pilot.press("r")
        assert isinstance(app.screen, PickModal)
        options = app.screen.query_one("OptionList")
        index = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == "nss")
        options.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert screen.viewer == "nss" and screen.has_class("-role")
        assert not screen.query_one("#msel-panel").visible or not screen.query_one("#panels").display
        inbox = screen.query_one("#role-inbox")
        assert inbox.row_count == len(app.sim.inbox("nss")) == 1
        await pilot.press("r", "home", "enter")  # the first item: facilitator
        await pilot.pause()
        assert screen.viewer == "facilitator" and screen.query_one("#panels").display


@pytest.mark.slow
async def test_advance_runs_in_a_worker(make):
    """a 1d advances one simulated day off the UI thread."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot)
        await pilot.press("a")
        await pilot.press(*"1d", "enter")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: not screen.busy)
        assert app.sim.now == 1440.0


@pytest.mark.slow
async def test_advance_stops_at_a_persons_decision(make):
    """A fast-forward stops at the instant a played role's decision comes up."""
    app = make(roles=("nss",))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("a", *"2d", "enter")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: isinstance(app.screen, DecisionModal))
        assert app.sim.now == 20.0


@pytest.mark.slow
async def test_note_is_kept_with_the_session(make):
    """o adds a timestamped observation to the run."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.session.advance_to(90)
        await pilot.press("o")
        await pilot.press(*"NSS slow to convene", "enter")
        await pilot.pause()
        notes = [e for e in app.sim.events if e.kind is Kind.note_added]
        assert notes[-1].time == 90 and notes[-1].data["text"] == "NSS slow to convene"


async def test_filter_log_by_agency(make):
    """f limits the event log to one agency."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot)
        app.session.advance_to(600)
        await pilot.press("f")
        picker = app.screen
        options = picker.query_one("OptionList")
        options.highlighted = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == "mod")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#log").agency == "mod"


@pytest.mark.slow
async def test_quit_asks_first(make):
    """q asks for confirmation; n stays, y exits."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        assert isinstance(app.screen, ExerciseScreen)
        await pilot.press("q", "y")
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.slow
async def test_debrief_and_help(make):
    """b opens the debrief with the decisions taken so far; ? opens the help."""
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.session.advance_to(2 * 1440)
        await pilot.press("b")
        assert isinstance(app.screen, DebriefScreen)
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpModal"


async def test_narrow_terminal_shows_one_panel(make):
    """At 80x24 one panel fills the screen and p cycles through them."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert screen.has_class("-narrow")
        assert screen.query_one("#msel-panel").has_class("-shown")
        await pilot.press("p")
        assert screen.query_one("#agency-panel").has_class("-shown")


async def test_journal_hook_sees_every_input(make):
    """Every input passes through Session: observers see the view, injects, decisions, notes, pause, speed."""
    seen = []
    app = make(observers=[seen.append])
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("space", "space", "+")
        app.session.note("hello")
        kinds = [item.kind for item in seen]
        assert kinds[:5] == ["view", "resume", "pause", "speed", "note"]


@pytest.mark.slow
async def test_console_session_is_journaled_and_resumes_exactly(make, tmp_path):
    """`ttxsim play` records every console input as it happens; resuming the journal
    rebuilds the same run, and `ttxsim replay` finds it identical."""
    from sim.journal import replay, resume, start_session
    from sim.scenario.bundled import default_scenario

    journals = []

    def journaled(human_roles):
        simulation, journal = start_session(
            default_scenario(), human_roles=human_roles, journal_path=tmp_path / "s.sqlite"
        )
        journals.append(journal)
        return simulation, [journal.observer(simulation)], str(journal.path)

    app = make(start=journaled)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        for _ in range(6):
            await pilot.press("n")
        await pilot.press("i", "enter", "y")  # fire m06 now
        await pilot.pause()
        live = [e.to_json() for e in app.sim.events]
        now = app.sim.now
    journal = journals[0]
    journal.close(now, finished=False)  # as after a crash: nothing more is written
    resumed, reopened = resume(journal.path)
    assert [e.to_json() for e in resumed.events] == live
    assert [i.kind for i in resumed.inputs] == ["inject"]
    reopened.close(resumed.now)
    assert replay(journal.path).identical


@pytest.mark.parametrize(("scenario", "said"), [("tsunami", "runs up to 2 h."), ("sakishima", "runs up to 21 days.")])
async def test_briefing_states_the_horizon_in_the_units_it_is_written_in(scenario, said):
    """A tsunami's two hours read `2 h`, not `0.0833333 days`."""
    from textual.widgets import Static

    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario
    from tui.app import TabletopApp

    app = TabletopApp(load_scenario(resolve(scenario)), show_wall_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert said in shown
