"""The MSEL timeline: scheduled, triggered and on-demand injects with their status."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual.widgets import DataTable

from sim.simulation import InjectView

SYNOPSIS, TO = 26, 12
"""Column widths of the synopsis (at the least: it takes what the panel has spare) and the addressees."""

WHEN = 16
"""One column for the schedule and the status (`D+20 06:00`, `fired D+20 06:00`, `awaits trigger`,
`library`): a separate status column left the synopsis 14 cells at 80 columns."""

ID_WIDTH = (4, 13)
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
            ("When / status", WHEN),
            ("Synopsis", self.synopsis_width),
            ("To", TO),
        )
        for label, width in columns:
            self.add_column(label, width=width, key=label)
        self._shown: tuple | None = None

    def on_resize(self) -> None:
        """The synopsis takes the width the other columns leave (never less than `MIN_SYNOPSIS`)."""
        fixed = self.id_width + WHEN + TO + 2 * self.cell_padding * 4 + 2  # + a scroll bar
        width = max(MIN_SYNOPSIS, self.size.width - fixed)
        if width != self.synopsis_width:
            self.synopsis_width = width
            self.columns["Synopsis"].width = width
            if self._shown is not None:
                self._key = None
                self.show(*self._shown)

    def show(self, injects: tuple[InjectView, ...], label: Callable[[float], str], now: float) -> None:
        self._shown = (injects, label, now)
        key = tuple((i.id, i.fired_at) for i in injects)
        if key == self._key:
            return
        self._key = key
        row = self.cursor_row
        self.clear()
        ordered = sorted(injects, key=lambda i: (i.on_demand, i.at if i.at is not None else 1e18, i.id))
        for inject in ordered:
            if inject.fired_at is not None:
                when = f"fired {label(inject.fired_at)}"
            elif inject.on_demand:
                when = "library"
            elif inject.at is None:
                when = "awaits trigger"
            else:
                when = label(inject.at)
            self.add_row(
                Text(_fit(inject.id, self.id_width)),
                when,
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
