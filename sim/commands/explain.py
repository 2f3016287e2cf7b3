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
    explain.add_argument(
        "-n",
        "--replications",
        type=int,
        default=1,
        metavar="N",
        help="with N > 1: mean hours per kind and per seam over N paired runs (seeds derived from --seed), "
        "baseline beside the --reform arm",
    )
    explain.add_argument("--json", action="store_true", help="print one JSON object: metric, value_hours, segments")
    explain.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    from sim.analysis.explain import ExplainError, explain
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario
    from sim.simulation import Simulation

    if args.replications < 1:
        raise UsageError(f"--replications must be 1 or more, got {args.replications}")
    if args.replications > 1:
        return run_replications(args)
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


def _arm(path, reforms: list[str], seeds: list[int], metric: str | None):
    """Explanations of `metric` over paired seeds; runs that never reached it are counted, not explained."""
    from sim.analysis.explain import ExplainError, default_metric, explain
    from sim.scenario.loader import load_scenario
    from sim.simulation import Simulation

    scenario = load_scenario(path, reforms=reforms)
    explanations, missing = [], 0
    for seed in seeds:
        events = Simulation(scenario, seed=seed, reforms=reforms).run().events
        try:
            explanations.append(explain(scenario, events, metric or default_metric(scenario, events)))
        except ExplainError:
            missing += 1
    return scenario, explanations, missing


def run_replications(args: argparse.Namespace) -> int:
    """Mean hours per kind and per seam over paired runs, and how the reforms shift them."""
    from sim.analysis.explain import headline_metric, shifts
    from sim.engine.streams import derive_seed
    from sim.scenario.bundled import resolve

    path = resolve(args.file)
    seeds = [derive_seed(args.seed, f"replication:{i}") for i in range(args.replications)]
    metric = args.metric
    if metric is None:
        from sim.scenario.loader import load_scenario

        metric = headline_metric(load_scenario(path))  # one metric for every run, so the means compare
    scenario, base, base_missing = _arm(path, [], seeds, metric)
    reformed, reform_missing = None, 0
    if args.reform:
        _, reformed, reform_missing = _arm(path, args.reform, seeds, metric)
    if not base:
        raise UsageError(f"'{metric}' did not happen in any of the {args.replications} runs")
    kinds, seams = shifts(base, reformed, "kind"), shifts(base, reformed, "seam")
    value = round(sum(e.value_hours for e in base) / len(base), 4)
    reform_value = round(sum(e.value_hours for e in reformed) / len(reformed), 4) if reformed else None
    if args.json:
        print_json(
            {
                "metric": metric,
                "replications": args.replications,
                "reforms": list(args.reform),
                "value_hours": {"baseline": value, "reform": reform_value},
                "runs_without_metric": {"baseline": base_missing, "reform": reform_missing},
                "by_kind": [s.to_dict("kind") for s in kinds],
                "by_seam": [s.to_dict("seam") for s in seams],
            }
        )
        return 0
    arm = "+".join(args.reform) if args.reform else None
    lines = [
        scenario.scenario.title,
        f"  {metric}: mean over {len(base)} runs"
        + (f" ({base_missing} never got there)" if base_missing else "")
        + f": {value:.1f} h"
        + (f"; with {arm}: {reform_value:.1f} h" if reform_value is not None else ""),
    ]
    for title, rows, field in (("By kind of delay", kinds, "kind"), ("By seam", seams, "seam")):
        header = f"  {field:<24} {'baseline':>9}" + (f" {'reform':>9} {'shift':>8}" if arm else "")
        lines += ["", title + " (mean hours per run)", header]
        for row in rows:
            line = f"  {row.key:<24} {row.baseline_hours:9.1f}"
            if arm:
                line += f" {row.reform_hours:9.1f} {row.shift_hours:+8.1f}"
            lines.append(line)
    print(terminal_safe("\n".join(lines)))
    return 0
