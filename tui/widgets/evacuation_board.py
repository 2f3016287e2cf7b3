"""The evacuation board: per island, where people are, with progress bars and a
small chart of people carried off the islands over time.

It reads the `EvacuationView` defensively (by attribute name) so the console
works with scenarios that have no evacuation model and while that model grows.
The chart is built from the event stream (`sim.analysis.curves`: the lift's
departures), one point per simulated hour since T+0, so it is the same however
the console was paced and after `play --resume`; it never depends on when the
screen happened to be drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.progress_bar import ProgressBar as RichBar
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from sim.analysis.curves import LiftCurve, hourly, lift_curve
from sim.events import SimEvent
from sim.scenario.schema import Scenario

STAGES = ("at_home", "at_port_or_airport", "in_transit", "arrived", "at_host", "gone_home")
SHORT = {
    "at_home": "home",
    "at_port_or_airport": "port/air",
    "in_transit": "transit",
    "arrived": "arrived",
    "at_host": "host",
    "gone_home": "left",
}


def _get(obj: Any, name: str, default: Any = 0) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def municipalities(evacuation: Any) -> list[tuple[str, Any]]:
    """(name, per-municipality view) pairs from whatever shape the view has."""
    if evacuation is None:
        return []
    items = _get(evacuation, "municipalities", None)
    if items is None:
        items = _get(evacuation, "by_municipality", None)
    if items is None:
        return []
    if isinstance(items, dict):
        return [(str(k), v) for k, v in items.items()]
    return [(str(_get(m, "name", None) or _get(m, "id", "?")), m) for m in items]


def moved(view: Any) -> int:
    """People who have left their island (everything past the port/airport)."""
    return int(sum(_get(view, s, 0) or 0 for s in ("in_transit", "arrived", "at_host", "gone_home")))


def population(view: Any) -> int:
    value = _get(view, "population", None)
    if value is None:
        value = sum(_get(view, s, 0) or 0 for s in STAGES)
    return int(value or 0)


class EvacuationBoard(Vertical):
    """`show(evacuation, now)` is called by the screen on every refresh."""

    DEFAULT_CSS = """
    EvacuationBoard { height: auto; }
    EvacuationBoard #evac-empty { color: $text-muted; }
    EvacuationBoard #evac-rows { height: auto; }
    EvacuationBoard Sparkline { height: 2; margin-top: 1; }
    EvacuationBoard #evac-total { height: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._hubs: frozenset[str] = frozenset()
        self._points: list[tuple[float, int]] = []
        self._has_movement = False
        """The scenario moves people on a movement network instead (the movement board shows them)."""

    def compose(self) -> ComposeResult:
        yield Static("This scenario moves nobody; its own metrics are in the debrief.", id="evac-empty")
        yield Static("", id="evac-rows")
        yield Static("", id="evac-total")
        yield Sparkline([0.0], id="evac-chart")

    def on_mount(self) -> None:
        self.query_one("#evac-chart").display = False
        self.query_one("#evac-total").display = False

    # -- the chart's data: the event stream ---------------------------------------
    def track(self, scenario: Scenario, events: Iterable[SimEvent]) -> None:
        """Start over from a run's whole event stream (on mount, and so after a resume)."""
        evacuation = scenario.evacuation
        self._has_movement = scenario.movement is not None
        self.display = evacuation is not None or not self._has_movement  # else the movement board speaks
        self._hubs = frozenset() if evacuation is None else frozenset(h.id for h in evacuation.hubs)
        self._points = list(lift_curve(scenario, events).points)

    def extend(self, events: Iterable[SimEvent]) -> None:
        """Add the lift departures among new events (the screen pushes every new event here)."""
        for event in events:
            if str(event.kind) != "departed" or event.data.get("leg") not in self._hubs:
                continue
            total = (self._points[-1][1] if self._points else 0) + int(event.data.get("people", 0) or 0)
            if self._points and self._points[-1][0] == event.time:
                self._points[-1] = (event.time, total)
            else:
                self._points.append((event.time, total))

    def chart(self, now: float) -> list[int]:
        """People carried off the islands, one value per simulated hour from T+0 to `now`."""
        return hourly(LiftCurve(tuple(self._points), None), now)

    # -- drawing ----------------------------------------------------------------------
    def show(self, evacuation: Any, now: float) -> None:
        items = municipalities(evacuation)
        self.query_one("#evac-empty").display = not items and not self._has_movement
        self.query_one("#evac-total").display = bool(items)
        if not items:
            self.query_one("#evac-chart").display = False
            return
        table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
        table.add_column("Island", no_wrap=True)
        table.add_column("Moved", ratio=1, min_width=10)
        table.add_column("%", justify="right", no_wrap=True)
        for stage in STAGES[:5]:
            table.add_column(SHORT[stage], justify="right", no_wrap=True)
        for name, view in items:
            total = max(population(view), 1)
            done = moved(view)
            table.add_row(
                Text(name.split(" ")[0][:12]),
                RichBar(total=total, completed=done, width=None),
                f"{100 * done / total:.0f}%",
                *[f"{int(_get(view, stage, 0) or 0):,}" for stage in STAGES[:5]],
            )
        self.query_one("#evac-rows", Static).update(table)
        total_moved = sum(moved(v) for _, v in items)
        total_pop = sum(population(v) for _, v in items)
        series = self.chart(now)
        carried = series[-1] if series else 0
        chart_note = "chart: hourly" if carried else "no chart yet"
        self.query_one("#evac-total", Static).update(
            Text(f"Off the islands: {total_moved:,} of {total_pop:,}; by the lift: {carried:,} ({chart_note})")
        )
        chart = self.query_one(Sparkline)
        chart.display = carried > 0  # an all-zero sparkline draws as full bars
        if carried:
            chart.data = series[-240:]
