"""The movement board: for each danger area of the scenario's movement network, how
many of its people are safe, caught or still in danger, and how long until the
danger arrives (a tsunami's first wave, an ash fall).

It follows the event stream through `sim.analysis.areas.AreaTally`, and its
chart (`MovementChart`: people safe over time) through `sim.analysis.curves`, so
both read the same however the console was paced and after `play --resume`; the
chart never depends on when the screen happened to be drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.progress_bar import ProgressBar as RichBar
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from sim.analysis.areas import AreaProgress, AreaTally
from sim.analysis.curves import SafeCurve, hourly, safe_curve
from sim.events import SimEvent
from sim.scenario.schema import Scenario
from sim.text import duration_text

TITLE_WIDTH = 18
"""Cells for an area's title; longer titles are cut with an ellipsis (the full one is in the scenario)."""


def danger_text(area: AreaProgress, now: float, label: Callable[[float], str]) -> Text:
    """When the danger arrives: `in 12 min`, `in 3.5 h` (`sim.text.duration_text`), `arrived D+0 15:01`, or
    `on a condition`; for an area without a danger, where its movement stands (`not started`, `moving`, `done`)."""
    if not area.threatened:
        if area.finished is not None:
            return Text(f"done {label(area.finished)}", style="green")
        return Text("moving" if area.started is not None else "not started", style="" if area.started else "dim")
    if area.deadline is None:
        return Text("on a condition", style="dim")
    if area.reached or area.deadline <= now:
        return Text(f"arrived {label(area.deadline)}", style="bold red")
    left = area.deadline - now
    return Text(f"in {duration_text(left / 60)}", style="yellow" if left < 30 else "")


class MovementBoard(Static):
    """`track(scenario, events)` once, `extend(new events)` as they come, `show(now, label)` to draw."""

    DEFAULT_CSS = """
    MovementBoard { height: auto; }
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
        areas = self._tally.progress()
        table.add_column("danger" if any(a.threatened for a in areas) else "movement", no_wrap=True)
        for area in areas:
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


SHORT_PLAY = 360.0
"""Scenario minutes under which the chart samples every minute instead of every hour (a tsunami's two hours)."""
CHART_POINTS = 240
"""The chart shows the last this many samples (ten days of hours)."""


class MovementChart(Vertical):
    """People safe over time, one sample per hour (per minute in a short play) since T+0, under a line
    with the totals. `track(scenario, events)` once, `extend(new events)`, `show(now)` to draw."""

    DEFAULT_CSS = """
    MovementChart { height: auto; }
    MovementChart #movement-total { height: 1; }
    MovementChart Sparkline { height: 2; margin-top: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._curve: SafeCurve | None = None
        self._step = 60.0

    def compose(self) -> ComposeResult:
        yield Static("", id="movement-total")
        yield Sparkline([0.0], id="movement-chart")

    def on_mount(self) -> None:
        self.query_one(Sparkline).display = False

    def track(self, scenario: Scenario, events: Iterable[SimEvent]) -> None:
        """Start over from a run's whole event stream (on mount, and so after a resume)."""
        self._curve = safe_curve(scenario, events) if scenario.movement is not None else None
        self._step = 1.0 if scenario.scenario.horizon < SHORT_PLAY else 60.0
        self.display = self._curve is not None

    def extend(self, events: Iterable[SimEvent]) -> None:
        if self._curve is not None:
            self._curve = self._curve.extended(events)

    def chart(self, now: float) -> list[int]:
        """People safe at each sample from T+0 to `now`."""
        return [] if self._curve is None else hourly(self._curve, now, step=self._step)

    def show(self, now: float) -> None:
        if self._curve is None:
            return
        series = self.chart(now)
        safe = series[-1] if series else 0
        note = ("chart: per minute" if self._step == 1.0 else "chart: hourly") if safe else "no chart yet"
        self.query_one("#movement-total", Static).update(
            Text(f"Safe: {safe:,} of {self._curve.population or 0:,} ({note})")
        )
        chart = self.query_one(Sparkline)
        chart.display = safe > 0  # an all-zero sparkline draws as full bars
        if safe:
            chart.data = series[-CHART_POINTS:]
