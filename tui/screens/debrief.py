"""The debrief: key metrics, expected versus actual actions, the timeline of decisions and notes."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from sim.events import Kind
from sim.simulation import Simulation
from tui.format import hours


def rating(waited_h: float | None, within_h: float | None) -> Text:
    """HSEEP-style quick rating of timeliness: on time (P), late (S), very late (M), not done (U)."""
    if waited_h is None:
        return Text("U", style="bold red")
    if within_h is None:
        return Text("-", style="dim")
    if waited_h <= within_h:
        return Text("P", style="bold green")
    if waited_h <= 2 * within_h:
        return Text("S", style="yellow")
    return Text("M", style="bold yellow")


class DebriefScreen(Screen):
    BINDINGS = [
        Binding("escape,b", "app.pop_screen", "Back to the exercise"),
        Binding("q", "app.quit_confirmed", "Quit"),
    ]

    def __init__(self, sim: Simulation) -> None:
        super().__init__()
        self.sim = sim

    def compose(self) -> ComposeResult:
        sim = self.sim
        metrics = sim.metrics()
        label = sim.clock.label
        with VerticalScroll(id="debrief"):
            yield Label(f"Debrief - {sim.scenario.scenario.title}", id="debrief-title")
            yield Static(
                f"Stopped at {label(sim.now)} ({sim.clock.calendar(sim.now):%Y-%m-%d %H:%M}), seed {sim.seed}."
            )

            yield Label("Key metrics", classes="section")
            table = Table(show_header=False, box=None, padding=(0, 2))
            evac = metrics.get("evacuation") or {}
            table.add_row(
                "Evacuated",
                f"{evac.get('evacuated')!s} of {evac.get('population')!s}"
                if evac.get("population") is not None
                else "- (no evacuation model)",
            )
            table.add_row("Evacuation completion", hours(evac.get("completion_hours")))
            table.add_row(
                "JCG handover (order -> units under MoD)", hours((metrics.get("handover") or {}).get("transfer_hours"))
            )
            consultation = metrics.get("consultation") or {}
            table.add_row("Prior consultation (request -> answer at US)", hours(consultation.get("decision_hours")))
            table.add_row("Consultation answer", str(consultation.get("answer") or "-"))
            yield Static(table)

            yield Label("Expected versus actual", classes="section")
            expected = Table(expand=True)
            for column in ("Decision", "Owner", "Expected", "Actual", "Waited", "Rating"):
                expected.add_column(column, overflow="fold")
            for decision in sim.view().decisions:
                spec = sim.scenario.decision(decision.id)
                if spec.expected is None and spec.expected_within is None:
                    continue
                within = None if spec.expected_within is None else spec.expected_within / 60
                waited = None
                if decision.taken_at is not None and decision.came_up_at is not None:
                    waited = (decision.taken_at - decision.came_up_at) / 60
                actual = (
                    f"{decision.option} by {decision.by} at {label(decision.taken_at)}"
                    if decision.taken_at is not None
                    else decision.status
                )
                exp = (spec.expected or "") + (f" (within {within:g} h)" if within is not None else "")
                expected.add_row(decision.id, decision.owner, exp, actual, hours(waited), rating(waited, within))
            yield Static(expected)

            yield Label("Timeline of decisions and observations", classes="section")
            timeline = Table(expand=True)
            for column in ("When", "What", "Who"):
                timeline.add_column(column, overflow="fold")
            for event in sim.events:
                if event.kind in (Kind.decision_taken, Kind.decision_skipped):
                    timeline.add_row(
                        label(event.time), f"{event.target}: {event.data.get('label')}", str(event.data.get("by"))
                    )
                elif event.kind is Kind.note_added:
                    timeline.add_row(
                        label(event.time), Text(f"NOTE {event.data.get('text')}", style="italic"), event.source
                    )
                elif event.kind is Kind.inject_fired:
                    how = "facilitator" if event.data.get("manual") else "MSEL"
                    timeline.add_row(label(event.time), f"inject {event.data.get('inject')}", how)
            yield Static(timeline)
        yield Footer(compact=True)
