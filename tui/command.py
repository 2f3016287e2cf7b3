"""`ttxsim play`: the facilitator console. Textual is imported only when it runs,
so `ttxsim --help` and `ttxsim validate` stay fast."""

from __future__ import annotations

import argparse
import os
import sys

from sim.cli import scenario_argument

PAUSE_FLAG = "--pause-on-decision"
"""`ttxsim play`'s option that stops the clock when a person's decision comes up (said once:
the parser and the in-app help both use it)."""


def decision_clock_text(pause_on_decision: bool) -> str:
    """What the clock does when a person's decision comes up, in this session."""
    if pause_on_decision:
        return f"When a person's decision comes up the clock stops until it is answered ({PAUSE_FLAG})."
    return (
        "When a person's decision comes up the clock keeps running while they decide "
        f"(deliberation costs time; play {PAUSE_FLAG} stops it instead)."
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    play = subparsers.add_parser(
        "play",
        help="run a live tabletop session in the facilitator console",
        description=(
            "Open the facilitator console on a scenario (default: the bundled default "
            "scenario). Roles given with --role are played by people: their decisions wait "
            "for an answer in the console. Without --role the facilitator sees everything "
            "and picks the human-played roles on the briefing screen (default: none)."
        ),
    )
    scenario_argument(play)
    play.add_argument("--seed", type=int, default=1, help="master random seed (default 1)")
    play.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLE",
        help="agency id played by a person (repeatable); the first is the initial role view",
    )
    play.add_argument(
        "--journal",
        metavar="FILE",
        default=None,
        help="where to record the session (default: a new file in the sessions folder)",
    )
    play.add_argument(
        "--resume",
        metavar="FILE",
        default=None,
        help="resume a recorded session exactly where it stopped (after a crash or quit)",
    )
    play.add_argument(
        PAUSE_FLAG,
        dest="pause_on_decision",
        action="store_true",
        help="stop the clock whenever a human-played decision comes up (by default it keeps running: "
        "deliberation costs time, as it would in a real crisis)",
    )
    play.set_defaults(handler=run_play)


def journal_observer(journal, simulation):
    """The journal's console observer, plus the console view: a `view` input is stored as a
    console entry (`pause` kind, payload `{"view": ...}` without `paused`), which replay ignores
    and `play --resume` reads to reopen the view the session was in."""
    observe = journal.observer(simulation)

    def observer(item) -> None:
        if item.kind == "view":
            journal.record_console("pause", item.sim_time, view=item.payload["view"])
        else:
            observe(item)

    return observer


def last_view(journal) -> str | None:
    """The console view a journaled session was last in (None for sessions recorded before views were)."""
    views = [entry.payload["view"] for entry in journal.entries() if entry.kind == "pause" and "view" in entry.payload]
    return str(views[-1]) if views else None


def run_play(args: argparse.Namespace) -> int:
    from sim.cli import UsageError
    from sim.journal import JournalError, ReplayDivergence, resume, start_session
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario
    from tui.session import FACILITATOR, WRITE_ERRORS

    journals = []

    if args.resume is not None:
        try:
            simulation, journal = resume(args.resume)
        except (JournalError, ReplayDivergence, OSError) as error:
            raise UsageError(f"cannot resume {args.resume}: {error}") from None
        journals.append(journal)
        scenario = simulation.scenario
        roles = tuple(sorted(simulation.human_roles))
        viewer = last_view(journal) or FACILITATOR

        def start(_human_roles):
            return simulation, [journal_observer(journal, simulation)], str(journal.path)

        seed = simulation.seed
    else:
        path = resolve(args.file)
        scenario = load_scenario(path)  # ScenarioError -> exit 2 (sim.cli)
        known = {a.id for a in scenario.agencies}
        unknown = [role for role in args.role if role not in known]
        if unknown:
            raise UsageError(
                f"unknown role {', '.join(repr(r) for r in unknown)}; "
                f"roles are agency ids such as {', '.join(sorted(a.id for a in scenario.agencies if a.role)[:6])}"
            )
        roles = tuple(dict.fromkeys(args.role))
        seed = args.seed
        if args.journal and os.path.exists(args.journal):  # a second console on one journal: exit 2, not unrecorded
            raise UsageError(f"{args.journal} exists already; resume that session with --resume {args.journal}")
        viewer = None

        def start(human_roles):
            try:
                simulation, journal = start_session(
                    path, seed=seed, human_roles=human_roles, journal_path=args.journal, mode="play"
                )
            except JournalError as error:  # keep playing; say so loudly
                from sim.simulation import Simulation

                return Simulation(scenario, seed=seed, human_roles=human_roles), [], f"NOT RECORDED ({error})"
            journals.append(journal)
            return simulation, [journal_observer(journal, simulation)], str(journal.path)

    from tui.app import TabletopApp

    app = TabletopApp(
        scenario,
        seed=seed,
        roles=roles,
        pause_on_decision=args.pause_on_decision,
        skip_briefing=args.resume is not None,
        start=start,
        viewer=viewer,
    )
    clean = False
    status = 0
    try:
        app.run()
        clean = True
    finally:
        now = app.sim.now if app.sim is not None else None
        session = app.session
        if session is not None and session.unsaved:
            session.retry_unsaved()
        if session is not None and session.unsaved:
            print(
                f"{len(session.unsaved)} input(s) could not be written to the session journal ({session.write_error})",
                file=sys.stderr,
            )
            status = 1
        for journal in journals:
            try:
                journal.close(now, finished=clean and status == 0)
            except WRITE_ERRORS as error:
                print(f"session journal {journal.path}: not closed cleanly ({error})", file=sys.stderr)
                status = 1
            print(f"session journal: {journal.path}  (resume with: ttxsim play --resume {journal.path})")
    return status
