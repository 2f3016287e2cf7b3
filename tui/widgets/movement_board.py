"""The movement board: for each danger area of the scenario's movement network, how
many of its people are safe, caught or still in danger, and how long until the
danger arrives (a tsunami's first wave, an ash fall).

It follows the event stream through `sim.analysis.areas.AreaTally`, like the
evacuation board's chart, so it reads the same however the console was paced
and after `play --resume`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.progress_bar import ProgressBar as RichBar
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from sim.analysis.areas import AreaProgress, AreaTally
from sim.events import SimEvent
from sim.scenario.schema import Scenario
from sim.text import duration_text

TITLE_WIDTH = 18
"""Cells for an area's title; longer titles are cut with an ellipsis (the full one is in the scenario)."""


def danger_text(area: AreaProgress, now: float, label: Callable[[float], str]) -> Text:
    """When the danger arrives: `in 12 min`, `in 3.5 h` (`sim.text.duration_text`), `arrived D+0 15:01`, or `on a condition`."""
    if area.deadline is None:
        return Text("on a condition", style="dim")
    if area.reached or area.deadline <= now:
        return Text(f"arrived {label(area.deadline)}", style="bold red")
    left = area.deadline - now
    return Text(f"in {duration_text(left / 60)}", style="yellow" if left < 30 else "")


class MovementBoard(Static):
    """`track(scenario, events)` once, `extend(new events)` as they come, `show(now, label)` to draw."""

    DEFAULT_CSS = """
    MovementBoard { height: auto; margin-top: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._tally: AreaTally | None = None

    def track(self, scenario: Scenario, events: Iterable[SimEvent]) -> None:
        """Start over from a run's whole event stream (on mount, and so after a resume)."""
        self._tally = AreaTally(scenario) if scenario.movement is not None else None
        self.display = self._tally is not None
        if self._tally is not None:
            self._tally.add(events)

    def extend(self, events: Iterable[SimEvent]) -> None:
        if self._tally is not None:
            self._tally.add(events)

    def show(self, now: float, label: Callable[[float], str]) -> None:
        if self._tally is None:
            return
        table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
        table.add_column("Area", no_wrap=True, max_width=TITLE_WIDTH, overflow="ellipsis")
        table.add_column("Safe", ratio=1, min_width=8)
        table.add_column("%", justify="right", no_wrap=True)
        table.add_column("safe", justify="right", no_wrap=True)
        table.add_column("caught", justify="right", no_wrap=True)
        table.add_column("in danger", justify="right", no_wrap=True)
        table.add_column("danger", no_wrap=True)
        for area in self._tally.progress():
            total = max(area.population, 1)
            table.add_row(
                Text(area.title),
                RichBar(total=total, completed=area.safe, width=None),
                f"{100 * area.safe / total:.0f}%",
                f"{area.safe:,}",
                Text(f"{area.exposed:,}", style="bold red" if area.exposed else ""),
                f"{area.in_danger:,}",
                danger_text(area, now, label),
            )
        self.update(table)
