"""The agency board: each agency's queue and pending decisions."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sim.simulation import AgencyView


class AgencyBoard(DataTable):
    DEFAULT_CSS = """
    AgencyBoard { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._key: tuple | None = None

    def on_mount(self) -> None:
        # Fixed widths: auto-sized columns only ever grow, so their width would
        # depend on which intermediate views happened to be drawn (timing).
        for label, width in (("Agency", 20), ("Played", 6), ("Queue", 5), ("Pending decisions", 40)):
            self.add_column(label, width=width)

    def show(self, agencies: tuple[AgencyView, ...], humans: frozenset[str]) -> None:
        key = tuple((a.id, a.queued, a.pending) for a in agencies) + (tuple(sorted(humans)),)
        if key == self._key:
            return
        self._key = key
        row = self.cursor_row
        self.clear()
        # Busy agencies first, then the ones with a role, then the rest; stable by scenario order.
        order = sorted(agencies, key=lambda a: (not a.pending, a.queued == 0, a.role is None))
        for agency in order:
            played = "person" if agency.id in humans else ("model" if agency.role else "")
            pending = Text(", ".join(agency.pending), style="bold" if agency.pending else "")
            queue = Text(str(agency.queued), style="bold" if agency.queued else "dim")
            self.add_row(Text(agency.id), played, queue, pending, key=agency.id)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
