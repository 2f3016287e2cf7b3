"""The seams: the scenario's own `span` metrics, its state variables and the decision counts."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from sim.scenario.schema import Scenario
from sim.simulation import SpanView, StateView, WorldView
from sim.text import duration_text, number_text


def span_status(span: SpanView, label: Callable[[float], str]) -> Text:
    """One line on a seam (a `span` metric of the scenario): done, running since its start, or not started."""
    if span.hours is not None:
        return Text(f"done in {duration_text(span.hours)}", style="bold green")
    if span.started_at is None:
        return Text("not started", style="dim")
    return Text(f"running since {label(span.started_at)}", style="yellow")


def state_value(variable: StateView) -> Text:
    """`0.75 share (0-1)`: the value now with its unit and bounds; all scenario text, so plain `Text`."""
    parts = [number_text(variable.value)]
    if variable.unit:
        parts.append(variable.unit)
    if variable.min is not None and variable.max is not None:
        parts.append(f"({number_text(variable.min)}-{number_text(variable.max)})")
    elif variable.min is not None:
        parts.append(f"(at least {number_text(variable.min)})")
    elif variable.max is not None:
        parts.append(f"(at most {number_text(variable.max)})")
    return Text(" ".join(parts))


VALUE_WIDTH = 30
"""Widest a value may be, in cells (longer ones, the decision counts, wrap); the titles
take the rest of the panel's width."""


class StatusPanel(Static):
    DEFAULT_CSS = """
    StatusPanel { height: auto; }
    """

    def show(self, scenario: Scenario, view: WorldView, label: Callable[[float], str]) -> None:
        table = Table.grid(padding=(0, 1), expand=True)
        # Titles come from the scenario and can be long: they get whatever the values leave and are
        # cut there (one line each), so the value beside them always shows and the movement table
        # below stays in view.
        table.add_column(style="bold", no_wrap=True, overflow="ellipsis", ratio=1)
        table.add_column(max_width=VALUE_WIDTH)
        for span in view.spans:
            table.add_row(Text(span.title, style="bold"), span_status(span, label))
        counts: dict[str, int] = {}
        for d in view.decisions:
            counts[d.status] = counts.get(d.status, 0) + 1
        human = sum(1 for d in view.decisions if d.status == "pending" and d.human)
        summary = Text(
            f"{counts.get('taken', 0)} taken, {counts.get('pending', 0)} pending"
            f" ({human} for a person), {counts.get('waiting', 0)} waiting, {counts.get('skipped', 0)} not needed"
        )
        if human:
            summary.stylize("bold yellow")
        table.add_row("Decisions", summary)
        for variable in view.state:
            table.add_row(Text(variable.title, style="bold"), state_value(variable))
        self.update(table)
