"""The evacuation board: per island, where people are, with progress bars and a
small chart of people moved over time.

It reads the `EvacuationView` defensively (by attribute name) so the console
works with scenarios that have no evacuation model and while that model grows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.progress_bar import ProgressBar as RichBar
from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

STAGES = ("at_home", "at_port_or_airport", "in_transit", "arrived_kyushu", "at_host", "gone_home")
SHORT = {
    "at_home": "home",
    "at_port_or_airport": "port/air",
    "in_transit": "transit",
    "arrived_kyushu": "arrived",
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
    return int(sum(_get(view, s, 0) or 0 for s in ("in_transit", "arrived_kyushu", "at_host", "gone_home")))


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
        self._series: list[float] = []
        self._last_sample: float | None = None

    def compose(self) -> ComposeResult:
        yield Static("No evacuation model in this scenario (yet).", id="evac-empty")
        yield Static("", id="evac-rows")
        yield Static("", id="evac-total")
        yield Sparkline([0.0], id="evac-chart")

    def on_mount(self) -> None:
        self.query_one("#evac-chart").display = False
        self.query_one("#evac-total").display = False

    def show(self, evacuation: Any, now: float) -> None:
        items = municipalities(evacuation)
        self.query_one("#evac-empty").display = not items
        self.query_one("#evac-chart").display = bool(items)
        self.query_one("#evac-total").display = bool(items)
        if not items:
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
                name.split(" ")[0][:12],
                RichBar(total=total, completed=done, width=None),
                f"{100 * done / total:.0f}%",
                *[f"{int(_get(view, stage, 0) or 0):,}" for stage in STAGES[:5]],
            )
        self.query_one("#evac-rows", Static).update(table)
        total_moved = sum(moved(v) for _, v in items)
        total_pop = sum(population(v) for _, v in items)
        self.query_one("#evac-total", Static).update(
            f"Moved off the islands: {total_moved:,} of {total_pop:,}  (chart: people moved over time)"
        )
        self.sample(now, total_moved)

    def sample(self, now: float, value: float) -> None:
        """One point per simulated hour, so the chart's x axis is time, not ticks."""
        if self._last_sample is not None and now - self._last_sample < 60.0:
            if self._series:
                self._series[-1] = value
        else:
            self._series.append(value)
            self._last_sample = now
        self.query_one(Sparkline).data = self._series[-240:]

    def reset_series(self, points: Iterable[float]) -> None:
        self._series = list(points)
