"""`TabletopApp`: holds the scenario, the Simulation (once the briefing is done)
and the Session; screens drive them. Build one with `make_app()`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from textual import on
from textual.app import App
from textual.binding import Binding

from sim.scenario.schema import Scenario
from sim.simulation import Simulation
from tui.screens.briefing import BriefingScreen
from tui.screens.modals import ConfirmModal, HelpModal
from tui.session import FACILITATOR, Session, SessionInput

Starter = Callable[[tuple[str, ...]], tuple[Simulation, list[Callable[[SessionInput], None]], str | None]]
"""Given the human roles: the Simulation, extra input observers, and where the session is recorded."""


class TabletopApp(App):
    """The facilitator console."""

    CSS_PATH = "app.tcss"
    TITLE = "ttxsim"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+c", "quit_confirmed", "Quit", show=False, priority=True),
        Binding("f1", "help", "Help", show=False),
    ]

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 1,
        roles: tuple[str, ...] = (),
        pause_on_decision: bool = True,
        show_wall_clock: bool = True,
        observers: Iterable[Callable[[SessionInput], None]] = (),
        skip_briefing: bool = False,
        start: Starter | None = None,
        viewer: str | None = None,
    ) -> None:
        super().__init__()
        self.scenario = scenario
        self.seed = seed
        self.roles = roles
        self.pause_on_decision = pause_on_decision
        self.show_wall_clock = show_wall_clock
        """Off in tests and snapshots: wall-clock text is never deterministic."""
        self.observers = list(observers)
        """Callables that receive every `SessionInput` (the journal hooks in here)."""
        self.skip_briefing = skip_briefing
        self.start = start
        """Builds the run for the chosen human roles (the journaled one in `ttxsim play`);
        by default a plain `Simulation`."""
        self.viewer = viewer
        """The view to open (a resumed session's last view); None: the first --role, else the facilitator."""
        self.session: Session | None = None
        self.human_roles: frozenset[str] = frozenset(roles)

    @property
    def sim(self) -> Simulation | None:
        return None if self.session is None else self.session.sim

    def on_mount(self) -> None:
        self.title = self.scenario.scenario.title
        if self.skip_briefing:
            self.start_exercise(self.roles)
        else:
            self.push_screen(BriefingScreen(self.scenario, self.roles, self.seed))

    @on(BriefingScreen.Started)
    def _started(self, message: BriefingScreen.Started) -> None:
        self.start_exercise(message.human_roles)

    def start_exercise(self, human_roles: tuple[str, ...]) -> None:
        """Build the Simulation with the chosen human roles and open the exercise screen."""
        from tui.screens.exercise import ExerciseScreen

        self.human_roles = frozenset(human_roles)
        if self.start is None:
            sim, observers, record = Simulation(self.scenario, seed=self.seed, human_roles=human_roles), [], None
        else:
            sim, observers, record = self.start(tuple(human_roles))
        self.session = Session(sim, pause_on_decision=self.pause_on_decision, observers=[*self.observers, *observers])
        self.session.on_write_failed = self._write_failed
        self.session.on_write_recovered = self._write_recovered
        if record:
            self.sub_title = f"session journal: {record}"
            self.notify(f"Session journal: {record}", title="Recording", timeout=8, markup=False)
        known = {a.id for a in self.scenario.agencies} | {FACILITATOR}
        if self.viewer in known:
            viewer = self.viewer
        else:
            viewer = self.roles[0] if self.roles and self.roles[0] in self.human_roles else FACILITATOR
        self.session.set_view(viewer)
        screen = ExerciseScreen(self.session, viewer=viewer)
        if self.screen_stack and isinstance(self.screen, BriefingScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def _write_failed(self, error: BaseException, waiting: int) -> None:
        """A journal write failed: say so, and that nothing is lost (the session keeps the inputs)."""
        self.notify(
            f"Could not write to the session journal: {error}. {waiting} input(s) kept in memory and written "
            "as soon as writing works again (free some disk space); do not quit yet.",
            title="Not recorded yet",
            severity="error",
            timeout=20,
            markup=False,
        )

    def _write_recovered(self, written: int) -> None:
        self.notify(f"Session journal writable again: {written} kept input(s) written.", title="Recorded", timeout=8)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpModal):
            self.push_screen(HelpModal(self.pause_on_decision))

    def action_quit_confirmed(self) -> None:
        if isinstance(self.screen, ConfirmModal):
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.exit()

        body = "End the session and leave the console?"
        if self.session is not None and self.session.unsaved:
            body = (
                f"{len(self.session.unsaved)} input(s) could not be written to the session journal yet "
                f"({self.session.write_error}); quitting now loses them. " + body
            )
        self.push_screen(ConfirmModal("Quit?", body, yes="Quit", no="Stay"), done)


def make_app(
    scenario_path: str | Path | None = None,
    *,
    seed: int = 1,
    roles: tuple[str, ...] = (),
    **kwargs,
) -> TabletopApp:
    """Load a scenario (default: the bundled one) and build the app (Posting's `make_posting`)."""
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario

    return TabletopApp(load_scenario(resolve(scenario_path)), seed=seed, roles=roles, **kwargs)
