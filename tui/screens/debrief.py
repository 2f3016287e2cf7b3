"""The debrief: key metrics, expected versus actual actions, the timeline of decisions and notes.

Ratings come from `sim.analysis.ratings`, the rater of the after-action report, so the debrief
and the report never disagree. Scenario and user text is passed as `Text` (never Rich markup).
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from sim.analysis.areas import movement_times
from sim.analysis.ratings import DecisionOutcome, rate_decisions
from sim.analysis.report import movement_rows, scenario_metric_rows, spans_measured
from sim.events import Kind
from sim.simulation import Simulation
from sim.text import duration_text
from tui.format import agency_name

RATING_STYLES = {"P": "bold green", "S": "yellow", "M": "bold yellow", "U": "bold red", "": "dim"}


def rating_text(value: str) -> Text:
    """An HSEEP rating as shown in the debrief ("-" when not rated)."""
    return Text(value or "-", style=RATING_STYLES.get(value, ""))


def expected_rows(sim: Simulation) -> list[DecisionOutcome]:
    """The decisions the debrief rates: those with an expectation or played by a person, as the
    after-action report shows them, rated by the same function (`sim.analysis.ratings`)."""
    outcomes = rate_decisions(sim.scenario, sim.events, sim.inputs, label=sim.clock.label)
    humans = sim.human_roles
    return [
        outcomes[d.id]
        for d in sim.scenario.decisions
        if d.expected or d.expected_within is not None or d.owner in humans
    ]


def deliberation_table(sim: Simulation) -> Table | Text:
    """Each decision a person took (a played role, or the facilitator overriding): when it came up,
    when it was taken, how long they deliberated, how long since the inject or decision that
    raised it, and its rating, all from `sim.analysis.deliberation` (the report shows the same)."""
    from sim.analysis.deliberation import duration, human_deliberations

    rows = human_deliberations(sim.scenario, sim.events, sim.inputs, label=sim.clock.label)
    if not rows:
        return Text("No person has taken a decision yet.", style="dim")
    label = sim.clock.label
    table = Table(expand=True)
    for column in ("Decision", "By", "Came up", "Taken", "Deliberation", "Triggered by", "Since trigger", "Rating"):
        table.add_column(column, overflow="fold")
    for row in rows:
        by = f"facilitator (for {row.owner})" if row.overridden else row.role
        trigger = row.trigger or "-"
        if row.triggered_at is not None:
            trigger += f" at {label(row.triggered_at)}"
        table.add_row(
            Text(f"{row.decision}: {row.label}"),
            Text(by),
            label(row.came_up),
            label(row.taken),
            duration(row.deliberation),
            Text(trigger),
            duration(row.from_trigger),
            rating_text(row.rating.value),
        )
    return table


CHART_WIDTH = 48


def critical_path(sim: Simulation) -> tuple[str, Table | None, Text | None]:
    """The critical path of the run so far as a text Gantt (one row per seam, one cell per
    1/48 of the metric, coloured by kind), with its headline and legend; scenario text stays literal."""
    from sim.analysis.explain import KIND_COLOURS, ExplainError, explain, gantt_cells, gantt_rows

    try:
        explanation = explain(sim.scenario, sim.events)
    except ExplainError as error:
        return f"Nothing to explain yet: {error}.", None, None
    rows = gantt_rows(explanation)
    worst = max(rows, key=lambda r: r.hours) if rows else None
    headline = f"{explanation.title}: {duration_text(explanation.value_hours)}"
    if worst is not None:
        headline += f"; the costliest seam is {seam_name(sim.scenario, worst.seam)} ({duration_text(worst.hours)})"
    table = Table(box=None, padding=(0, 1), show_header=True)
    table.add_column("Seam", overflow="fold")
    table.add_column("Time", justify="right")
    origin, total = explanation.start_hours or 0.0, explanation.value_hours or 0.0
    table.add_column(f"{chart_span(origin, origin + total)} after T+0", no_wrap=True)
    for row in rows:
        bar = Text()
        for kind in gantt_cells(row, origin, total, CHART_WIDTH):
            bar.append("\u2588" if kind else "\u00b7", style=KIND_COLOURS.get(kind, "grey37") if kind else "grey37")
        table.add_row(Text(seam_name(sim.scenario, row.seam)), duration_text(row.hours), bar)
    legend = Text()
    for kind in dict.fromkeys(s.kind for s in explanation.segments):
        legend.append("\u2588 ", style=KIND_COLOURS.get(kind, ""))
        legend.append(kind.replace("_", " ") + "  ")
    return headline, table, legend


def so_far(title: str) -> str:
    """A metric's title before the run's end: the report's words are for the final values."""
    return title.replace(" at the end", " now")


def seam_name(scenario, seam: str) -> str:
    """A seam's name for people: an agency's name, a movement place's or link's title, else its id."""
    from tui.format import leg_name

    named = agency_name(scenario, seam)
    return leg_name(scenario, seam) if named == seam else named


def chart_span(start_hours: float, end_hours: float) -> str:
    """The chart's time range: `0 .. 228 h`, or in minutes when it ends within the hour (`0 .. 11 min`)."""
    if end_hours < 1.0:
        return f"{start_hours * 60:.0f} .. {end_hours * 60:.0f} min"
    return f"{start_hours:.0f} .. {end_hours:.0f} h"


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
            yield Label(Text(f"Debrief - {sim.scenario.scenario.title}"), id="debrief-title")
            yield Static(
                f"Stopped at {label(sim.now)} ({sim.clock.calendar(sim.now):%Y-%m-%d %H:%M}), seed {sim.seed}."
            )

            yield Label("Key metrics" if sim.finished else "Key metrics so far", classes="section")
            if not sim.finished:
                yield Static(
                    f"The run goes on to {label(sim.horizon)}: these are the values at {label(sim.now)}, not final.",
                    id="so-far",
                )
            table = Table(show_header=False, box=None, padding=(0, 2))
            # the movement network's ledger and times, then the scenario's metrics and objectives,
            # worded as the after-action report words them
            rows = movement_rows(metrics.get("movement"), movement_times(sim.events), spans_measured(sim.scenario))
            for title, value in [*rows, *scenario_metric_rows(sim.scenario, metrics)]:
                table.add_row(
                    Text(title if sim.finished else so_far(title)), Text(value if sim.finished else so_far(value))
                )
            yield Static(table, id="key-metrics")

            yield Label("Where the hours went", classes="section")
            headline, chart, legend = critical_path(sim)
            yield Static(Text(headline), id="critical-path-headline")
            if chart is not None:
                yield Static(chart, id="critical-path")
                yield Static(legend, id="critical-path-legend")

            yield Label("Expected versus actual", classes="section")
            expected = Table(expand=True)
            for column in ("Decision", "Owner", "Expected", "Actual", "Waited", "Rating", "Why"):
                expected.add_column(column, overflow="fold")
            for outcome in expected_rows(sim):
                spec = sim.scenario.decision(outcome.id)
                within = None if spec.expected_within is None else duration_text(spec.expected_within / 60)
                if outcome.taken is not None:
                    actual = f"{outcome.label} by {outcome.by} at {label(outcome.taken)}"
                else:
                    actual = outcome.status
                exp = (spec.expected or "") + (f" (within {within})" if within is not None else "")
                waited = None if outcome.waited is None or outcome.status != "taken" else outcome.waited / 60
                expected.add_row(
                    Text(outcome.id),
                    Text(agency_name(sim.scenario, spec.owner)),
                    Text(exp),
                    Text(actual),
                    duration_text(waited),
                    rating_text(outcome.rating.value),
                    Text(outcome.rating.reason, style="dim"),
                )
            yield Static(expected, id="expected")

            yield Label("Decisions people took: deliberation and timeliness", classes="section")
            yield Static(deliberation_table(sim), id="deliberation")

            yield Label("Timeline of decisions and observations", classes="section")
            timeline = Table(expand=True)
            for column in ("When", "What", "Who"):
                timeline.add_column(column, overflow="fold")
            for event in sim.events:
                if event.kind in (Kind.decision_taken, Kind.decision_skipped):
                    timeline.add_row(
                        label(event.time),
                        Text(f"{event.target}: {event.data.get('label')}"),
                        Text(str(event.data.get("by"))),
                    )
                elif event.kind is Kind.note_added:
                    timeline.add_row(
                        label(event.time), Text(f"NOTE {event.data.get('text')}", style="italic"), Text(event.source)
                    )
                elif event.kind is Kind.inject_fired:
                    how = "facilitator" if event.data.get("manual") else "MSEL"
                    timeline.add_row(label(event.time), Text(f"inject {event.data.get('inject')}"), how)
            yield Static(timeline)
        yield Footer(compact=True)
