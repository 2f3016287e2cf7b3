"""The scenario clock: calendar time, exercise label, speed, paused or running."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class SimClock(Static):
    """Renders what the screen sets; it never reads the Simulation itself."""

    DEFAULT_CSS = """
    SimClock {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    SimClock.-paused { background: $warning 30%; }
    SimClock.-running { background: $success 25%; }
    """

    label = reactive("D+0 00:00")
    calendar = reactive("")
    speed = reactive("")
    paused = reactive(True)
    wall = reactive("")
    viewer = reactive("Facilitator")
    note = reactive("")

    def watch_paused(self, paused: bool) -> None:
        self.set_class(paused, "-paused")
        self.set_class(not paused, "-running")

    def render(self) -> Text:
        state = ("PAUSED", "bold $warning") if self.paused else ("RUNNING", "bold")
        narrow = self.size.width and self.size.width < 100
        text = Text.assemble(
            (f" {self.label} ", "bold reverse"),
            " ",
            (self.calendar[5:] if narrow else self.calendar, "bold"),
            "  ",
            (state[0], "bold"),
            f" @ {self.speed}",
        )
        if self.note:
            text.append(f"  {self.note}", style="italic")
        viewer = self.viewer.replace("Role view: ", "") if narrow else self.viewer
        text.append(f"  | {viewer}", style="bold")
        if self.wall:
            text.append(f"  | wall {self.wall}", style="dim")
        return text
