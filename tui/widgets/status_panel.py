"""The seams: the scenario's milestone spans, its state variables and the decision counts."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from sim.analysis.ratings import holding_options
from sim.scenario.schema import Milestone, Scenario
from sim.simulation import DecisionView, StateView, WorldView


def milestone_status(
    span: Milestone | None,
    decisions: dict[str, DecisionView],
    hours: float | None,
    label: Callable[[float], str],
    holding: frozenset[str] = frozenset(),
) -> Text:
    """One line on a seam. `holding`: options of the start decision that stop the chain
    (`sim.analysis.ratings.holding_options`); a start answered so is withheld, not running."""
    if span is None:
        return Text("not in this scenario", style="dim")
    start, end = decisions.get(span.start), decisions.get(span.end)
    if hours is not None:
        return Text(f"done in {hours:.1f} h", style="bold green")
    if start is None or start.status != "taken":
        status = start.status if start else "?"
        return Text(f"not started ({span.start}: {status})", style="dim")
    assert start.taken_at is not None
    if start.option in holding:
        chosen = next((text for oid, text in start.options if oid == start.option), start.option)
        return Text(f"withheld: {span.start} answered '{chosen}' at {label(start.taken_at)}", style="bold red")
    if end is not None and end.status in ("taken", "skipped"):
        return Text(f"{span.end}: {end.option} since {label(end.taken_at or 0)} (delivery pending)", style="yellow")
    where = f"{span.end}: {end.status}" if end else span.end
    return Text(f"running since {label(start.taken_at)} ({where})", style="yellow")


def state_value(variable: StateView) -> Text:
    """`0.75 share (0-1)`: the value now with its unit and bounds; all scenario text, so plain `Text`."""
    parts = [f"{variable.value:g}"]
    if variable.unit:
        parts.append(variable.unit)
    if variable.min is not None and variable.max is not None:
        parts.append(f"({variable.min:g}-{variable.max:g})")
    elif variable.min is not None:
        parts.append(f"(at least {variable.min:g})")
    elif variable.max is not None:
        parts.append(f"(at most {variable.max:g})")
    return Text(" ".join(parts))


TITLE_WIDTH = 30
"""Widest a row title may be in the panel, in cells."""


class StatusPanel(Static):
    DEFAULT_CSS = """
    StatusPanel { height: auto; }
    """

    def show(self, scenario: Scenario, view: WorldView, label: Callable[[float], str]) -> None:
        decisions = {d.id: d for d in view.decisions}

        def holding(span: Milestone | None) -> frozenset[str]:
            return frozenset() if span is None else holding_options(scenario, span.start)

        table = Table.grid(padding=(0, 1), expand=True)
        # Titles come from the scenario and can be long: cut them (one line each), so the value beside
        # them always shows and the movement table below stays in view.
        table.add_column(style="bold", no_wrap=True, overflow="ellipsis", max_width=TITLE_WIDTH)
        table.add_column(ratio=1)
        seams = (
            ("JCG handover", scenario.handover, view.handover_hours),
            ("Consultation", scenario.consultation, view.consultation_hours),
        )
        for title, section, hours in seams:
            if section is not None:  # a scenario without the section gets no row
                table.add_row(title, milestone_status(section.span, decisions, hours, label, holding(section.span)))
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
