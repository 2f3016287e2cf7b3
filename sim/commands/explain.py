"""`ttxsim explain`: where the hours of one run's time metric went, seam by seam."""

from __future__ import annotations

import argparse
import sys

from sim.cli import UsageError, print_json, scenario_argument
from sim.text import duration_text, in_minutes, terminal_safe


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
        help="time metric to explain: one of the scenario's own time, span or event-time metrics, or decision.ID "
        "(default: the headline, the scenario's metric of its movement's completion from T+0 if it has one)",
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
    """The plain table: every segment, then the time per seam and per kind, in minutes when the
    metric is under two hours (a tsunami's order takes 11 min, not '0.2 h'), else in hours."""
    value = explanation.value_hours
    unit, scale = time_unit(value)
    width = max(9, len(f"from ({unit})"))
    lines = [
        title,
        f"  seed {seed}   reforms: {', '.join(reforms) or 'none'}",
        f"  {explanation.title} [{explanation.metric}]: {duration_text(value)}",
        "",
        f"  {f'from ({unit})':>{width}} {'hours' if unit == 'h' else unit:>7}  {'kind':<15} {'seam':<22} step",
    ]
    for s in explanation.segments:
        lines.append(
            f"  {s.start_hours * scale:{width}.1f} {s.hours * scale:7.2f}  {s.kind:<15} {s.seam:<22} {s.label}"
        )
    total = sum(s.hours for s in explanation.segments)
    lines += [
        f"  {'':{width}} {total * scale:7.2f}  total",
        "",
        f"Which seam cost the most {'hours' if unit == 'h' else 'minutes'}",
    ]
    for seam, hours in explanation.by_seam():
        share = 100 * hours / value if value else 0.0
        lines.append(f"  {seam:<24} {hours * scale:8.1f} {unit}  {share:5.1f} %")
    lines += ["", "By kind of delay"]
    for kind, hours in explanation.by_kind():
        share = 100 * hours / value if value else 0.0
        lines.append(f"  {kind:<24} {hours * scale:8.1f} {unit}  {share:5.1f} %")
    return "\n".join(lines)


def time_unit(hours: float | None) -> tuple[str, float]:
    """`("min", 60.0)` for a metric under two hours, else `("h", 1.0)`: the unit the tables use."""
    return ("min", 60.0) if in_minutes(hours) else ("h", 1.0)


def _runs(path, reforms: list[str], seeds: list[int]):
    """The scenario with `reforms` applied and each paired seed's event log."""
    from sim.scenario.loader import load_scenario
    from sim.simulation import Simulation

    scenario = load_scenario(path, reforms=reforms)
    return scenario, [Simulation(scenario, seed=seed, reforms=reforms).run().events for seed in seeds]


def _explained(scenario, runs, metric: str):
    """Explanations of `metric` over the runs; runs that never reached it are counted, not explained."""
    from sim.analysis.explain import ExplainError, explain

    explanations, missing = [], 0
    for events in runs:
        try:
            explanations.append(explain(scenario, events, metric))
        except ExplainError:
            missing += 1
    return explanations, missing


def _first_that_happened(scenario, runs):
    """The headline metric with its explanations, or, if it happened in none of the runs (a tsunami
    where 90 % are never safe), the first of the scenario's time metrics that did: one metric for
    every run, so the means compare. Returns (metric, explanations, runs that never reached it)."""
    from sim.analysis.explain import headline_metric, time_metrics

    headline = headline_metric(scenario)
    for metric in [headline, *(m for m in time_metrics(scenario) if m != headline)]:
        explanations, missing = _explained(scenario, runs, metric)
        if explanations:
            return metric, explanations, missing
    return headline, [], len(runs)


def run_replications(args: argparse.Namespace) -> int:
    """Mean time per kind and per seam over paired runs, and how the reforms shift them."""
    from sim.analysis.explain import headline_metric, shifts
    from sim.engine.streams import derive_seed
    from sim.scenario.bundled import resolve

    path = resolve(args.file)
    seeds = [derive_seed(args.seed, f"replication:{i}") for i in range(args.replications)]
    scenario, base_runs = _runs(path, [], seeds)
    metric = args.metric
    if metric is None:
        metric, base, base_missing = _first_that_happened(scenario, base_runs)
        if metric != headline_metric(scenario):
            print(
                terminal_safe(
                    f"ttxsim: note: '{headline_metric(scenario)}' did not happen in any of the "
                    f"{args.replications} runs; explaining '{metric}' (choose with --metric)"
                ),
                file=sys.stderr,
            )
    else:
        base, base_missing = _explained(scenario, base_runs, metric)
    reformed, reform_missing = None, 0
    if args.reform:
        reformed_scenario, reformed_runs = _runs(path, args.reform, seeds)
        reformed, reform_missing = _explained(reformed_scenario, reformed_runs, metric)
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
    unit, scale = time_unit(value)
    lines = [
        scenario.scenario.title,
        f"  {metric}: mean over {len(base)} runs"
        + (f" ({base_missing} never got there)" if base_missing else "")
        + f": {duration_text(value)}"
        + (f"; with {arm}: {duration_text(reform_value)}" if reform_value is not None else ""),
    ]
    per_run = "mean hours per run" if unit == "h" else "mean minutes per run"
    for title, rows, field in (("By kind of delay", kinds, "kind"), ("By seam", seams, "seam")):
        header = f"  {field:<24} {'baseline':>9}" + (f" {'reform':>9} {'shift':>8}" if arm else "")
        lines += ["", f"{title} ({per_run})", header]
        for row in rows:
            line = f"  {row.key:<24} {row.baseline_hours * scale:9.1f}"
            if arm:
                line += f" {row.reform_hours * scale:9.1f} {row.shift_hours * scale:+8.1f}"
            lines.append(line)
    print(terminal_safe("\n".join(lines)))
    return 0
