"""The exercise screen: the one place that drives the Simulation during play.

Data flows down (the screen pushes views into widgets) and requests flow up
(modals return results; the screen acts on them through `Session`, the single
door for inputs). Pacing: a 0.1 s interval advances `speed * 0.1` simulated
minutes event by event, within a small wall-time budget, so a tick never takes
more than a frame; long fast-forwards (`a`) run in a thread worker that posts
`ExerciseScreen.Advanced` messages with frozen views.
"""

from __future__ import annotations

import time
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from sim.domain.decisions import DecisionError, InputError
from sim.events import Kind, SimEvent
from sim.scenario.schema import Inject
from sim.simulation import DecisionView, WorldView
from tui.format import agency_name, describe, fact_text
from tui.screens.modals import AdvanceModal, DecisionModal, EvaluationModal, InjectModal, NoteModal, PickModal
from tui.session import FACILITATOR, Session, speed_label
from tui.widgets.agency_board import AgencyBoard
from tui.widgets.event_log import EventLog
from tui.widgets.movement_board import MovementBoard, MovementChart
from tui.widgets.role_panel import RolePanel
from tui.widgets.sim_clock import SimClock
from tui.widgets.status_panel import StatusPanel
from tui.widgets.timeline import MselTimeline

TICK = 0.1
"""Wall seconds between clock ticks."""
TICK_BUDGET = 0.012
"""Wall seconds one tick may spend advancing the model (under a 60 Hz frame)."""
SLICE = 360.0
"""Simulated minutes per slice of a background fast-forward."""
RETRY = 5.0
"""Wall seconds between attempts to write inputs a failed write kept in memory."""
NO_MOVEMENT = "This scenario moves nobody; its own metrics are in the debrief."
"""Shown where the movement board would be, for a scenario without a movement network."""
HELD_NOTE = "while the dialog is open"
"""The clock line's note while an open dialog holds a running clock."""
PANELS = ("msel-panel", "agency-panel", "evac-panel", "log-panel")


class ExerciseScreen(Screen):
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause", key_display="spc"),
        Binding("plus,equals_sign", "faster", "Fast", key_display="+"),
        Binding("minus", "slower", "Slow", key_display="-"),
        Binding("n", "step", "Step"),
        Binding("a", "advance", "Adv"),
        Binding("i", "inject", "Inject"),
        Binding("d", "decide", "Decide"),
        Binding("r", "role", "Role"),
        Binding("o", "note", "Note"),
        Binding("e", "evaluate", "Rate"),
        Binding("f", "filter", "Filter"),
        Binding("m", "movement_lines", "Moves"),
        Binding("p", "next_panel", "Panel"),
        Binding("b", "debrief", "Debrief"),
        Binding("question_mark,f1", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit_confirmed", "Quit"),
        Binding("escape", "cancel_advance", "Stop fast-forward", show=False),
    ]

    class Advanced(Message):
        """A background fast-forward made progress (posted from the worker thread)."""

        def __init__(self, events: list[SimEvent], view: WorldView, stopped_for: str | None, done: bool) -> None:
            self.events = events
            self.view = view
            self.stopped_for = stopped_for
            self.done = done
            super().__init__()

    def __init__(self, session: Session, viewer: str = FACILITATOR) -> None:
        super().__init__()
        self.session = session
        self.sim = session.sim
        self.scenario = session.sim.scenario
        self.viewer = viewer
        self.busy = False
        """A background fast-forward owns the Simulation; the tick and inputs wait."""
        self._prompted: set[str] = set()
        self._evaluator = ""
        """The last evaluator's name, offered again in the rating dialog."""
        self._panel = 0
        self._debriefed = False
        self.tick_costs: list[float] = []
        """Wall seconds of the last ticks (advance + render), for the README figure."""

    # -- layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SimClock(id="clock")
        with Horizontal(id="panels"):
            with Vertical(id="left"):
                with Vertical(id="msel-panel", classes="panel"):
                    yield MselTimeline(
                        (i.id for i in self.scenario.injects), lambda a: agency_name(self.scenario, a), id="msel"
                    )
                with Vertical(id="agency-panel", classes="panel"):
                    yield AgencyBoard(id="agencies")
            with Vertical(id="right"):
                with Vertical(id="evac-panel", classes="panel"):
                    yield StatusPanel(id="status")
                    yield MovementBoard(id="movement")
                    yield MovementChart(id="movement-curve")
                    yield Static(NO_MOVEMENT, id="no-movement")
                with Vertical(id="log-panel", classes="panel"):
                    yield EventLog(lambda e: describe(e, self.scenario), self.sim.clock.label, id="log")
        with Horizontal(id="role-view"):
            yield RolePanel(id="role-panel", classes="panel")
            with Vertical(id="role-log-panel", classes="panel"):
                yield EventLog(lambda e: describe(e, self.scenario), self.sim.clock.label, id="role-log")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        titles = {
            "msel-panel": "MSEL timeline",
            "agency-panel": "Agencies",
            "evac-panel": "Seams, state & movement",
            "log-panel": "Event log",
            "role-panel": "Role view",
            "role-log-panel": "Your agency's activity",
        }
        for ident, title in titles.items():
            self.query_one(f"#{ident}").border_title = title
        self.query_one("#log", EventLog).extend(self.sim.events)
        self.query_one(MovementBoard).track(self.scenario, self.sim.events)
        self.query_one(MovementChart).track(self.scenario, self.sim.events)
        self.query_one("#no-movement").display = self.scenario.movement is None
        self._apply_viewer()
        self._apply_size()
        self._refresh([])
        self.set_interval(TICK, self._tick)
        self.set_interval(RETRY, self._retry_unsaved)

    def on_resize(self) -> None:
        self._apply_size()

    def _apply_size(self) -> None:
        narrow = self.size.width < 110 or self.size.height < 34
        self.set_class(narrow, "-narrow")
        for n, ident in enumerate(PANELS):
            panel = self.query_one(f"#{ident}")
            panel.set_class(n == self._panel, "-shown")
            # One panel at a time on a small terminal: every panel says how to reach the others.
            panel.border_subtitle = f"panel {n + 1} of {len(PANELS)}  (p) next panel" if narrow else ""
        self.query_one("#left").set_class(self._panel < 2, "-holds")
        self.query_one("#right").set_class(self._panel >= 2, "-holds")
        log = self.query_one("#log", EventLog)
        movement = "(m) hide movement" if log.show_movement else "(m) show movement"
        self.query_one("#log-panel").border_title = f"Event log: {log.agency or 'all agencies'}  (f) filter  {movement}"

    def _apply_viewer(self) -> None:
        role = self.viewer != FACILITATOR
        self.set_class(role, "-role")
        clock = self.query_one(SimClock)
        if role:
            agency = self.scenario.agency(self.viewer)
            clock.viewer = f"Role view: {agency.role or agency.name}"
            log = self.query_one("#role-log", EventLog)
            log.only = lambda e, me=self.viewer: e.source == me
            log.rebuild(self.sim.events)
        else:
            clock.viewer = "Facilitator view"
        self._refresh([])

    # -- rendering (data down) -------------------------------------------------------
    def _refresh(self, events: list[SimEvent], view: WorldView | None = None) -> None:
        clock = self.query_one(SimClock)
        self.query_one(MovementBoard).extend(events)  # every new event, whichever view is shown
        self.query_one(MovementChart).extend(events)
        if view is None and self.busy:  # the worker owns the Simulation: touch only the clock line
            clock.speed = speed_label(self.session.speed)
            return
        view = view or self.sim.view()
        label = self.sim.clock.label
        clock.label = view.label
        clock.calendar = view.calendar
        clock.speed = speed_label(self.session.speed)
        clock.paused = self.session.paused or self.busy
        clock.note = "FAST-FORWARD (esc stops)" if self.busy else ("END" if view.finished else "")
        self._show_held()
        if self.app.show_wall_clock:  # type: ignore[attr-defined]
            clock.wall = datetime.now().strftime("%H:%M:%S")
        humans = frozenset(d.owner for d in view.decisions if d.human) | self.app.human_roles  # type: ignore[attr-defined]
        if self.viewer == FACILITATOR:
            self.query_one(MselTimeline).show(view.injects, label, view.now)
            self.query_one(AgencyBoard).show(view.agencies, frozenset(humans))
            self.query_one(StatusPanel).show(self.scenario, view, label)
            self.query_one(MovementBoard).show(view.now, label)
            self.query_one(MovementChart).show(view.now)
            self.query_one("#log", EventLog).extend(events)
        else:
            self.query_one("#log", EventLog).extend(events)  # kept current for switching back
            agency = self.scenario.agency(self.viewer)
            pending = [d for d in view.decisions if d.owner == self.viewer and d.status == "pending"]
            title = f"{agency.role or agency.name} - {agency.name}"
            if not self.busy:
                inbox = self.sim.inbox(self.viewer)
                self.query_one(RolePanel).show(
                    title, inbox, pending, label, lambda ident, option: fact_text(self.scenario, ident, option)
                )
            self.query_one("#role-log", EventLog).extend(events)
        if view.finished and not self._debriefed and not self.busy:
            self._debriefed = True
            self.session.set_paused(True)
            self.app.notify("The scenario reached its end. Opening the debrief.", timeout=4)
            self.call_after_refresh(self.action_debrief)

    # -- pacing ---------------------------------------------------------------------
    def _tick(self) -> None:
        if self.app.show_wall_clock:  # type: ignore[attr-defined]
            self.query_one(SimClock).wall = datetime.now().strftime("%H:%M:%S")
        self._show_held()
        if self.session.paused or self.busy or self.sim.finished or self._held_by_dialog():
            return
        started = time.perf_counter()
        outcome = self.session.advance_by(self.session.speed * TICK, budget=TICK_BUDGET)
        self._refresh(outcome.events)
        if isinstance(self.app.screen, DecisionModal):  # the person deciding sees the time it costs
            self.app.screen.show_now(self.sim.clock.label(self.sim.now))
        self.tick_costs = (self.tick_costs + [time.perf_counter() - started])[-50:]
        if outcome.stopped_for:
            self._stop_for_decision(outcome.stopped_for)

    def _held_by_dialog(self) -> bool:
        """Whether an open dialog holds the clock. A decision dialog does not, unless
        `--pause-on-decision`: deliberation costs simulated time, as the briefing says.
        Every other dialog does (an inject or note is stamped with the time it shows)."""
        top = self.app.screen
        if top is self:
            return False
        return self.session.pause_on_decision or not isinstance(top, DecisionModal)

    def _show_held(self) -> None:
        """The clock line says PAUSED while a dialog holds a running clock, never RUNNING."""
        if self.busy:
            return
        clock = self.query_one(SimClock)
        held = not self.session.paused and not self.sim.finished and self._held_by_dialog()
        clock.paused = self.session.paused or held
        if held:
            clock.note = HELD_NOTE
        elif clock.note == HELD_NOTE:
            clock.note = ""

    def _retry_unsaved(self) -> None:
        if not self.busy:  # a fast-forward owns the run (and the journal's connection)
            self.session.retry_unsaved()

    def _stop_for_decision(self, decision_id: str) -> None:
        self.session.set_paused(True)
        self._refresh([])
        self._prompt_next()

    def _prompt_next(self) -> None:
        """Open the dialog for the next person's decision not yet shown."""
        for decision in self.sim.view().decisions:
            if decision.status == "pending" and decision.human and decision.id not in self._prompted:
                if self.viewer not in (FACILITATOR, decision.owner):
                    self.app.notify(
                        f"A decision for {decision.owner} is waiting (switch view with r).", timeout=5, markup=False
                    )
                    self._prompted.add(decision.id)
                    continue
                self._prompted.add(decision.id)
                self.open_decision(decision)
                return

    # -- actions (controls) -------------------------------------------------------------
    def _refuse_if_busy(self) -> bool:
        if self.busy:
            self.app.notify("Fast-forward running; escape stops it.", severity="warning")
        return self.busy

    def action_toggle_pause(self) -> None:
        if self._refuse_if_busy():
            return
        if self.sim.finished:
            self.app.notify("The scenario has ended; b opens the debrief.")
            return
        self.session.set_paused(not self.session.paused)
        self._refresh([])

    def action_faster(self) -> None:
        self.session.set_speed(self.session.speed_index + 1)
        self._refresh([])

    def action_slower(self) -> None:
        self.session.set_speed(self.session.speed_index - 1)
        self._refresh([])

    def action_step(self) -> None:
        if self._refuse_if_busy():
            return
        if self.sim.next_event_time() is None:  # a step may run a model event that logs nothing
            self.app.notify("Nothing more is scheduled before the horizon.")
            return
        outcome = self.session.step()
        self._refresh(outcome.events)
        if outcome.stopped_for and self.session.pause_on_decision:
            self._stop_for_decision(outcome.stopped_for)

    def action_advance(self) -> None:
        if self._refuse_if_busy():
            return

        def done(minutes: float | None) -> None:
            if minutes:
                self.session.set_paused(True)
                self.busy = True
                self._refresh([])
                self.fast_forward(minutes)

        self.app.push_screen(AdvanceModal(), done)

    @work(thread=True, exclusive=True, group="advance")
    def fast_forward(self, minutes: float) -> None:
        """Advance in slices off the UI thread; the Simulation is ours until we finish."""
        worker = get_current_worker()
        target = min(self.sim.now + minutes, self.sim.horizon)
        stopped: str | None = None
        while self.sim.now < target and not worker.is_cancelled:
            outcome = self.session.advance_to(min(target, self.sim.now + SLICE))
            stopped = outcome.stopped_for
            last = stopped is not None or outcome.finished or self.sim.now >= target or worker.is_cancelled
            self.post_message(self.Advanced(outcome.events, self.sim.view(), stopped, last))
            if last:
                return
        self.post_message(self.Advanced([], self.sim.view(), None, True))

    @on(Advanced)
    def _advanced(self, message: Advanced) -> None:
        if message.done:
            self.busy = False
        self._refresh(message.events, None if message.done else message.view)
        if message.stopped_for:
            self._stop_for_decision(message.stopped_for)

    def action_cancel_advance(self) -> None:
        if self.busy:
            self.workers.cancel_group(self, "advance")

    def action_inject(self) -> None:
        if self._refuse_if_busy():
            return
        if self.viewer != FACILITATOR:
            self.app.notify("Firing injects is for the facilitator view (r).", severity="warning")
            return
        view = self.sim.view()
        fired = {i.id for i in view.injects if i.fired_at is not None}
        msel = [i for i in self.scenario.injects if not i.on_demand and i.id not in fired]
        library = [i for i in self.scenario.injects if i.on_demand]

        def schedule(inject: Inject) -> str:
            if inject.at is not None:
                return self.sim.clock.label(inject.at)
            trigger = inject.trigger
            return f"after {trigger.decision}" if trigger and trigger.decision else "triggered"

        def done(inject: Inject | None) -> None:
            if inject is not None:
                self.fire(inject)

        self.app.push_screen(
            InjectModal(
                msel,
                library,
                view.label,
                schedule,
                [a.id for a in self.scenario.agencies],
                names={a.id: a.name for a in self.scenario.agencies},
            ),
            done,
        )

    def fire(self, inject: Inject) -> None:
        """Fire now, exactly at the current simulated time; a refused inject changes nothing."""
        try:
            event = self.session.fire(inject)
        except InputError as error:
            self.app.notify(f"Not fired: {error}", severity="error", markup=False)
            return
        self._refresh([event])
        self.app.notify(f"{inject.id} fired at {self.sim.clock.label(event.time)}", markup=False)

    def action_decide(self) -> None:
        if self._refuse_if_busy():
            return
        view = self.sim.view()
        pending = [d for d in view.decisions if d.status == "pending"]
        if self.viewer != FACILITATOR:
            pending = [d for d in pending if d.owner == self.viewer]
        pending.sort(key=lambda d: not d.human)
        if not pending:
            self.app.notify("No decision is pending" + ("" if self.viewer == FACILITATOR else " for this role") + ".")
            return
        if len(pending) == 1:
            self.open_decision(pending[0])
            return
        items = [
            (d.id, f"{d.owner}: {d.title}" + ("" if d.human else "  (model deliberating; answering overrides)"))
            for d in pending
        ]

        def done(decision_id: str | None) -> None:
            if decision_id:
                self.open_decision(next(d for d in pending if d.id == decision_id))

        self.app.push_screen(PickModal("Answer which decision?", items), done)

    def open_decision(self, decision: DecisionView) -> None:
        """The decision dialog: question, options, the owner's knowledge, the MSEL's expectation."""
        self._prompted.add(decision.id)  # shown now: escape must not reopen it as "not yet shown"
        label = self.sim.clock.label
        knows = [
            f"{label(t)}  {fact_text(self.scenario, ident, option)}"
            for t, _, ident, option in self.sim.inbox(decision.owner)
        ]
        expected = None
        if self.viewer == FACILITATOR:
            spec = self.scenario.decision(decision.id)
            parts = [spec.expected or "(no expectation written)"]
            if spec.expected_within is not None:
                parts.append(f"(expected within {spec.expected_within / 60:g} h of coming up)")
            expected = " ".join(parts)
        if self.viewer != FACILITATOR:
            role = self.viewer
        else:
            role = decision.owner if decision.human else FACILITATOR
        when = label(decision.came_up_at) if decision.came_up_at is not None else ""

        def done(option: str | None) -> None:
            if option is None:
                self.app.notify(f"{decision.id} stays pending (d answers it).", markup=False)
                self._prompt_next()
                return
            try:
                events = self.session.decide(decision.id, option, role)
            except DecisionError as error:
                self.app.notify(str(error), severity="error", markup=False)
                return
            self.app.notify(f"{decision.id}: {option}", markup=False)
            self._refresh(events)
            self._prompt_next()

        owner = agency_name(self.scenario, decision.owner)
        now = label(self.sim.now)
        self.app.push_screen(DecisionModal(decision, owner, when, knows, expected, now=now), done)

    def action_role(self) -> None:
        items = [(FACILITATOR, "Facilitator (everything)")]
        played = self.app.human_roles  # type: ignore[attr-defined]
        agencies = sorted(self.scenario.agencies, key=lambda a: (a.id not in played, a.role is None))
        for agency in agencies:
            tag = " [played]" if agency.id in played else ""
            items.append((agency.id, f"{agency.role or agency.name} ({agency.id}){tag}"))

        def done(choice: str | None) -> None:
            if choice:
                self.switch_viewer(choice)

        self.app.push_screen(PickModal("Show the console as...", items, current=self.viewer), done)

    def switch_viewer(self, viewer: str) -> None:
        self.viewer = viewer
        self.session.set_view(viewer)
        self._apply_viewer()

    def action_note(self) -> None:
        def done(result: tuple[str, str] | None) -> None:
            if result:
                author, text = result
                event = self.session.note(text, author)
                self._refresh([event])

        author = FACILITATOR if self.viewer == FACILITATOR else self.viewer
        self.app.push_screen(NoteModal(self.sim.clock.label(self.sim.now), author), done)

    def action_evaluate(self) -> None:
        """An evaluator's P/S/M/U rating of a decision or inject (facilitator view)."""
        if self._refuse_if_busy():
            return
        if self.viewer != FACILITATOR:
            self.app.notify("Ratings are given in the facilitator view (r).", severity="warning")
            return

        def done(result: tuple[str, str, str, str] | None) -> None:
            if result:
                target, rating, evaluator, comment = result
                try:
                    self.session.evaluate(target, rating, evaluator, comment)
                except ValueError as error:
                    self.app.notify(str(error), severity="error", markup=False)
                    return
                self._evaluator = evaluator
                self.app.notify(f"{target} rated {rating} by {evaluator}", markup=False)

        targets = [d.id for d in self.scenario.decisions] + [i.id for i in self.scenario.injects]
        targets += [e.data["inject"] for e in self.sim.events if e.kind is Kind.inject_fired]
        label = self.sim.clock.label(self.sim.now)
        self.app.push_screen(EvaluationModal(label, targets, self._evaluator), done)

    def action_filter(self) -> None:
        if self._refuse_if_busy() or self.viewer != FACILITATOR:
            return
        log = self.query_one("#log", EventLog)
        items = [("*", "All agencies")] + [(a.id, f"{a.id}  {a.name}") for a in self.scenario.agencies]

        def done(choice: str | None) -> None:
            if choice:
                log.agency = None if choice == "*" else choice
                log.rebuild(self.sim.events)
                self._apply_size()

        self.app.push_screen(PickModal("Show events about...", items, current=log.agency or "*"), done)

    def action_movement_lines(self) -> None:
        """Show or hide each group's departure and arrival in the event log."""
        if self._refuse_if_busy():
            return
        log = self.query_one("#log", EventLog)
        log.show_movement = not log.show_movement
        log.rebuild(self.sim.events)
        self._apply_size()

    def action_next_panel(self) -> None:
        self._panel = (self._panel + 1) % len(PANELS)
        self._apply_size()

    def action_debrief(self) -> None:
        if self._refuse_if_busy():
            return
        from tui.screens.debrief import DebriefScreen

        self.session.set_paused(True)
        self._refresh([])
        self.app.push_screen(DebriefScreen(self.sim))
