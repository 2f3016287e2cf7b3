"""`ttx play`: the facilitator console. Textual is imported only when it runs,
so `ttx --help` and `ttx validate` stay fast."""

from __future__ import annotations

import argparse

from sim.cli import scenario_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    play = subparsers.add_parser(
        "play",
        help="run a live tabletop session in the facilitator console",
        description=(
            "Open the facilitator console on a scenario (default: the bundled Sakishima "
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
        "--no-pause-on-decision",
        dest="pause_on_decision",
        action="store_false",
        help="keep the clock running when a human-played decision comes up",
    )
    play.set_defaults(handler=run_play)


def run_play(args: argparse.Namespace) -> int:
    from sim.cli import UsageError
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(resolve(args.file))  # ScenarioError -> exit 2 (sim.cli)
    known = {a.id for a in scenario.agencies}
    unknown = [role for role in args.role if role not in known]
    if unknown:
        raise UsageError(
            f"unknown role {', '.join(repr(r) for r in unknown)}; "
            f"roles are agency ids such as {', '.join(sorted(a.id for a in scenario.agencies if a.role)[:6])}"
        )
    from tui.app import TabletopApp

    app = TabletopApp(
        scenario,
        seed=args.seed,
        roles=tuple(dict.fromkeys(args.role)),
        pause_on_decision=args.pause_on_decision,
    )
    app.run()
    return 0
