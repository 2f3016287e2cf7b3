"""`ttxsim explain`: where the hours of one run's time metric went, seam by seam."""

from __future__ import annotations

import argparse

from sim.cli import UsageError, print_json, scenario_argument
from sim.text import terminal_safe


def register(subparsers: argparse._SubParsersAction) -> None:
    explain = subparsers.add_parser(
        "explain",
        help="where the hours of a time metric went (critical path by seam)",
        description="Run a scenario once and split a time metric along its critical path into deliberation, "
        "messages, queues, office hours, the Cabinet calendar, transport capacity and closures, each "
        "attributed to an agency, channel or hub (the seam). The segments add up to the metric.",
    )
    scenario_argument(explain)
    explain.add_argument("--seed", type=int, default=1, help="master random seed (default 1)")
    explain.add_argument(
        "--reform", action="append", default=[], metavar="NAME", help="apply a named reform overlay (repeatable)"
    )
    explain.add_argument(
        "--metric",
        metavar="M",
        default=None,
        help="time metric to explain, e.g. evacuation.start_hours or decision.ID "
        "(default: the headline, evacuation clearance from T+0)",
    )
    explain.add_argument("--json", action="store_true", help="print one JSON object: metric, value_hours, segments")
    explain.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    from sim.analysis.explain import ExplainError, explain
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario
    from sim.simulation import Simulation

    scenario = load_scenario(resolve(args.file), reforms=args.reform)
    result = Simulation(scenario, seed=args.seed, reforms=args.reform).run()
    try:
        explanation = explain(scenario, result.events, args.metric)
    except ExplainError as error:
        raise UsageError(str(error)) from None
    if args.json:
        print_json(explanation.to_dict())
    else:
        print(terminal_safe(render(explanation, scenario.scenario.title, args.seed, args.reform)))
    return 0


def render(explanation, title: str, seed: int, reforms: list[str]) -> str:
    """The plain table: every segment, then the hours per seam and per kind."""
    value = explanation.value_hours
    lines = [
        title,
        f"  seed {seed}   reforms: {', '.join(reforms) or 'none'}",
        f"  {explanation.title} [{explanation.metric}]: {value:.1f} h",
        "",
        f"  {'from (h)':>9} {'hours':>7}  {'kind':<15} {'seam':<22} step",
    ]
    for s in explanation.segments:
        lines.append(f"  {s.start_hours:9.1f} {s.hours:7.2f}  {s.kind:<15} {s.seam:<22} {s.label}")
    total = sum(s.hours for s in explanation.segments)
    lines += [f"  {'':9} {total:7.2f}  total", "", "Which seam cost the most hours"]
    for seam, hours in explanation.by_seam():
        share = 100 * hours / value if value else 0.0
        lines.append(f"  {seam:<24} {hours:8.1f} h  {share:5.1f} %")
    lines += ["", "By kind of delay"]
    for kind, hours in explanation.by_kind():
        share = 100 * hours / value if value else 0.0
        lines.append(f"  {kind:<24} {hours:8.1f} h  {share:5.1f} %")
    return "\n".join(lines)
