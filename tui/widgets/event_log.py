"""The event log, filterable by agency; lines are appended as the screen pushes events."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual.widgets import RichLog

from sim.events import Kind, SimEvent

STYLES = {
    Kind.inject_fired: "bold $accent",
    Kind.decision_pending: "bold $warning",
    Kind.decision_taken: "bold $success",
    Kind.note_added: "italic $secondary",
    Kind.message_lost: "$error",
}
QUIET = {Kind.message_sent, Kind.message_delivered}
"""Kinds shown only when the log is filtered to one agency (they are many)."""
MOVEMENT_LINES = {Kind.cohort_departed, Kind.cohort_arrived}
"""Each group of people leaving or arriving: hundreds of lines that bury injects and decisions,
shown only on request (`m`). The movement's milestones (start, people caught, end,
closures) are other kinds and always shown; the movement board counts every group."""


class EventLog(RichLog):
    DEFAULT_CSS = """
    EventLog { height: 1fr; }
    """

    def __init__(self, describe: Callable[[SimEvent], str], label: Callable[[float], str], **kwargs) -> None:
        super().__init__(max_lines=3000, wrap=True, min_width=20, markup=False, highlight=False, **kwargs)
        self._describe = describe
        self._label = label
        self.agency: str | None = None
        """Show only events about this agency (None: all)."""
        self.only: Callable[[SimEvent], bool] | None = None
        """An extra rule (the role view uses it: the agency's own events only)."""
        self.show_movement = False
        """Show each group's departure and arrival (`MOVEMENT_LINES`)."""

    def _wanted(self, event: SimEvent) -> bool:
        if self.only is not None and not self.only(event):
            return False
        if event.kind in MOVEMENT_LINES and not self.show_movement:
            return False
        if self.agency is None:
            return event.kind not in QUIET
        from tui.format import involves

        return involves(event, self.agency)

    def _line(self, event: SimEvent) -> Text:
        style = STYLES.get(event.kind, "")
        if style:
            style = style.replace("$accent", "cyan").replace("$warning", "yellow").replace("$success", "green")
            style = style.replace("$secondary", "magenta").replace("$error", "red")
        return Text.assemble((f"{self._label(event.time)} ", "dim"), (self._describe(event), style))

    def extend(self, events: Iterable[SimEvent]) -> None:
        for event in events:
            if self._wanted(event):
                self.write(self._line(event))

    def rebuild(self, events: Iterable[SimEvent]) -> None:
        self.clear()
        wanted = [e for e in events if self._wanted(e)]
        self.extend(wanted[-1000:])
