"""The MSEL timeline: scheduled, triggered and on-demand injects with their status."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual.widgets import DataTable

from sim.simulation import InjectView

SYNOPSIS, TO = 26, 12
"""Column widths of the synopsis and the addressees."""

ID_WIDTH = (4, 16)
"""Narrowest and widest inject-id column: as wide as the scenario's longest id within
these bounds; the synopsis gives up what the ids take beyond the narrowest."""

MIN_SYNOPSIS = 14
"""The synopsis never gets narrower than this, however long the ids."""


class MselTimeline(DataTable):
    """Rows pushed down by the screen with `show()`; rebuilt only when something changed."""

    DEFAULT_CSS = """
    MselTimeline { height: 1fr; }
    """

    def __init__(self, inject_ids: Iterable[str] = (), names: Callable[[str], str] = str, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._names = names
        """An agency id's name (the To column is read, never typed)."""
        self._key: tuple | None = None
        longest = max((len(i) for i in inject_ids), default=0)
        self.id_width = min(max(longest, ID_WIDTH[0]), ID_WIDTH[1])
        self.synopsis_width = max(MIN_SYNOPSIS, SYNOPSIS - (self.id_width - ID_WIDTH[0]))

    def on_mount(self) -> None:
        # Fixed widths, so the layout never depends on which updates were drawn.
        # Sized to fit 80 columns.
        columns = (
            ("#", self.id_width),
            ("When", 11),
            ("Status", 17),
            ("Synopsis", self.synopsis_width),
            ("To", TO),
        )
        for label, width in columns:
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
            self.add_row(
                Text(_fit(inject.id, self.id_width)),
                when,
                status,
                Text(_fit(inject.synopsis, self.synopsis_width)),
                Text(addressees([self._names(a) for a in inject.to], TO)),
                key=inject.id,
            )
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))


def addressees(names: list[str], width: int) -> str:
    """The first addressee's name, cut to fit, and how many more: `Disaster… +3`."""
    if len(names) <= 1:
        return _fit(names[0] if names else "", width)
    more = f" +{len(names) - 1}"
    return _fit(names[0], width - len(more)) + more


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis, so a cut is always visible."""
    return text if len(text) <= width else text[: width - 1] + "…"
