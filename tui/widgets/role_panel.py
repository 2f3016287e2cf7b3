"""What one role sees: its agency's inbox and its own pending decisions, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sim.simulation import DecisionView


class RolePanel(Vertical):
    DEFAULT_CSS = """
    RolePanel { height: 1fr; }
    RolePanel #role-title { height: auto; padding: 0 1; background: $boost; text-style: bold; }
    RolePanel #role-pending { height: auto; padding: 0 1; margin-bottom: 1; }
    RolePanel DataTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._key: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="role-title")
        yield Static("", id="role-pending")
        table: DataTable = DataTable(id="role-inbox", cursor_type="row", zebra_stripes=True)
        table.border_title = "Inbox (what this agency has received)"
        yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("Received", 11), ("Kind", 8), ("What", 90)):  # fixed: see MselTimeline
            table.add_column(label, width=width)

    def show(
        self,
        title: str,
        inbox: list[tuple[float, str, str, str | None]],
        pending: list[DecisionView],
        label: Callable[[float], str],
        explain: Callable[[str, str | None], str],
    ) -> None:
        self.query_one("#role-title", Static).update(Text(title))
        if pending:
            text = Text("Your decisions waiting (press d):\n", style="bold yellow")
            for decision in pending:
                text.append(f"  - {decision.title}\n")
        else:
            text = Text("No decision of yours is waiting.", style="dim")
        self.query_one("#role-pending", Static).update(text)
        key = tuple(inbox)
        if key == self._key:
            return
        self._key = key
        table = self.query_one(DataTable)
        table.clear()
        for when, subject, ident, option in reversed(inbox):
            kind = "decision" if subject == "decision" else "report"
            table.add_row(label(when), kind, Text(explain(ident, option)))
