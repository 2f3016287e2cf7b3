"""The briefing: title, situation, objectives, roles; pick who is played by a person."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from sim.scenario.schema import Scenario


class BriefingScreen(Screen):
    """Posts `BriefingScreen.Started(human_roles)` to the app when the facilitator begins."""

    BINDINGS = [
        Binding("enter,s", "start", "Begin exercise", priority=True),
        Binding("q", "app.quit_confirmed", "Quit"),
        Binding("question_mark", "app.help", "Help"),
    ]

    class Started(Message):
        def __init__(self, human_roles: tuple[str, ...]) -> None:
            self.human_roles = human_roles
            super().__init__()

    def __init__(self, scenario: Scenario, roles: tuple[str, ...], seed: int) -> None:
        super().__init__()
        self.scenario = scenario
        self.roles = roles
        self.seed = seed

    def compose(self) -> ComposeResult:
        meta = self.scenario.scenario
        with Horizontal(id="briefing"):
            with VerticalScroll(id="briefing-text"):
                yield Static(Text(meta.title, style="bold"), id="briefing-title")
                yield Static(
                    Text(
                        f"Starts {meta.start:%Y-%m-%d %H:%M} (D+0 {meta.start:%H:%M}), runs up to "
                        f"{span_text(meta.horizon)}.  Seed {self.seed}."
                    ),
                    classes="dim",
                )
                yield Label("Situation", classes="section")
                yield Static(Text(meta.description or "(no description)"))
                yield Label("Objectives", classes="section")
                yield Static(Text("\n".join(f"{n}. {o}" for n, o in enumerate(meta.objectives, 1)) or "(none)"))
                yield Label("On the MSEL", classes="section")
                timed = [i for i in self.scenario.injects if i.at is not None]
                library = [i for i in self.scenario.injects if i.on_demand]
                yield Static(
                    f"{len(timed)} timed injects, {len(library)} in the on-demand library, "
                    f"{len(self.scenario.decisions)} decision points, {len(self.scenario.agencies)} agencies."
                )
            with Vertical(id="briefing-roles"):
                yield Label("Played by a person (space)", classes="section")
                yield SelectionList[str](
                    *[
                        Selection(Text(f"{a.role or a.name}  ({a.id})"), a.id, a.id in self.roles)
                        for a in self.scenario.agencies
                        if a.role or a.id in self.roles
                    ],
                    id="roles",
                )
                yield Static(
                    "Unticked roles are played by the modelled policy. "
                    + (
                        "A person's decision opens a dialog; the clock stops until it is answered."
                        if getattr(self.app, "pause_on_decision", True)
                        else "A person's decision waits for them (d opens it); "
                        "the clock keeps running while they decide, so deliberation costs time."
                    ),
                    classes="dim",
                )
                yield Button("Begin exercise (enter)", variant="primary", id="start")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#roles", SelectionList).focus()

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        chosen = tuple(self.query_one("#roles", SelectionList).selected)
        # keep the --role order first (the first is the initial role view)
        ordered = tuple(r for r in self.roles if r in chosen) + tuple(r for r in chosen if r not in self.roles)
        self.post_message(self.Started(ordered))


def span_text(minutes: float) -> str:
    """A scenario's horizon as a briefing reads it: `21 days`, `2 h`, `45 min` (a tsunami's
    two hours are not `0.0833333 days`)."""
    days = minutes / 1440
    if days >= 1 and days == int(days):
        return f"{int(days)} day{'s' if days != 1 else ''}"
    if minutes >= 60:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"
