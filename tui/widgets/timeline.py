"""The MSEL timeline: scheduled, triggered and on-demand injects with their status."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import DataTable

from sim.simulation import InjectView

SYNOPSIS, TO = 26, 10
"""Column widths of the synopsis and the addressees."""


class MselTimeline(DataTable):
    """Rows pushed down by the screen with `show()`; rebuilt only when something changed."""

    DEFAULT_CSS = """
    MselTimeline { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._key: tuple | None = None

    def on_mount(self) -> None:
        # Fixed widths, so the layout never depends on which updates were drawn.
        # Sized to fit 80 columns.
        for label, width in (("#", 4), ("When", 11), ("Status", 17), ("Synopsis", SYNOPSIS), ("To", TO)):
            self.add_column(label, width=width)

    def show(self, injects: tuple[InjectView, ...], label: Callable[[float], str], now: float) -> None:
        key = tuple((i.id, i.fired_at) for i in injects)
        if key == self._key:
            return
        self._key = key
        row = self.cursor_row
        self.clear()
        ordered = sorted(injects, key=lambda i: (i.on_demand, i.at if i.at is not None else 1e18, i.id))
        for inject in ordered:
            when = label(inject.at) if inject.at is not None else ("on demand" if inject.on_demand else "triggered")
            if inject.fired_at is not None:
                status = f"fired {label(inject.fired_at)}"
            elif inject.on_demand:
                status = "library"
            elif inject.at is None:
                status = "awaits trigger"
            else:
                status = "scheduled"
            to = ", ".join(inject.to)
            synopsis = inject.synopsis if len(inject.synopsis) <= SYNOPSIS else inject.synopsis[: SYNOPSIS - 1] + "…"
            to = to if len(to) <= TO else to[: TO - 1] + "…"
            self.add_row(Text(inject.id), when, status, Text(synopsis), Text(to), key=inject.id)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
