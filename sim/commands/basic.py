"""`ttxsim validate`, `ttxsim schema` and `ttxsim run`: the headless basics."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli import non_negative_hours, print_json, scenario_argument
from sim.text import duration_text, metric_text, terminal_safe


def register(subparsers: argparse._SubParsersAction) -> None:
    validate = subparsers.add_parser(
        "validate",
        help="check scenario files",
        description="Check scenario files. Prints FILE:LINE:COL: field.path: message per problem on "
        "stderr and exits 2 if any file is invalid. Logic warnings (parts that can never happen) are printed "
        "as FILE:LINE:COL: field.path: warning: message; with --strict they are errors.",
    )
    validate.add_argument(
        "files", nargs="+", metavar="FILE", help="scenario YAML files or bundled scenario names (e.g. tsunami)"
    )
    validate.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout instead: files, ok, problems and warnings (file, line, col, path, message)",
    )
    validate.add_argument(
        "--strict",
        action="store_true",
        help="treat logic warnings (decisions that never come up, injects that never fire, ...) as errors",
    )
    validate.set_defaults(handler=run_validate)

    schema = subparsers.add_parser(
        "schema",
        help="print the scenario JSON Schema",
        description="Print the JSON Schema of scenario files, for editor completion and checking "
        "(point an editor at the file written with --out: '# yaml-language-server: $schema=FILE').",
    )
    schema.add_argument("--markdown", action="store_true", help="print the field reference as Markdown instead")
    schema.add_argument(
        "--out", type=Path, metavar="FILE", help="write to FILE (replaced atomically) instead of printing"
    )
    schema.set_defaults(handler=run_schema)

    run = subparsers.add_parser(
        "run",
        help="run one scenario headless",
        description="Run a scenario once with modelled decision makers and print a summary "
        "(or one JSON object with --json).",
    )
    scenario_argument(run)
    run.add_argument("--seed", type=int, default=1, help="master random seed (default 1)")
    run.add_argument(
        "--until",
        type=non_negative_hours,
        default=None,
        metavar="HOURS",
        help="stop after this many simulated hours (default: the scenario horizon)",
    )
    run.add_argument(
        "--reform",
        action="append",
        default=[],
        metavar="NAME",
        help="apply a named reform overlay (repeatable; 'ttxsim compare FILE --list-reforms' lists them)",
    )
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run.add_argument(
        "--decide",
        action="append",
        default=[],
        metavar="DECISION=OPTION[@DELAY]",
        help="take OPTION whenever DECISION comes up, after DELAY (e.g. 2h) or the modelled delay (repeatable)",
    )
    run.add_argument("--events", metavar="PATH", help="also write the event log as JSON lines to PATH")
    run.add_argument(
        "--journal",
        metavar="FILE",
        nargs="?",
        const="",
        default=None,
        help="record the run in a session journal (SQLite); without FILE, in the sessions folder",
    )
    run.set_defaults(handler=run_run)


def run_validate(args: argparse.Namespace) -> int:
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import ScenarioError, load_raw, load_scenario_text, read_scenario_text
    from sim.scenario.logic import logic_warnings

    problems = []
    warnings = []
    files = [resolve(file) for file in args.files]
    for file in files:
        try:
            text = read_scenario_text(file)
            scenario = load_scenario_text(text, str(file))
        except ScenarioError as error:
            problems += error.problems
            if not args.json:
                print(terminal_safe(str(error)), file=sys.stderr)
            continue
        found = logic_warnings(scenario, load_raw(text, str(file))[1])
        warnings += found
        if not args.json:
            for warning in found:
                line = str(warning) if args.strict else _as_warning(warning)
                print(terminal_safe(line), file=sys.stderr)
            if not (found and args.strict):
                more = f", {len(found)} warning{'s' if len(found) != 1 else ''}" if found else ""
                print(
                    f"{terminal_safe(str(file))}: ok ({len(scenario.agencies)} agencies, "
                    f"{len(scenario.decisions)} decisions, {len(scenario.injects)} injects, "
                    f"{len(scenario.reforms)} reforms{more})"
                )
    failed = bool(problems) or (args.strict and bool(warnings))
    if args.json:

        def rows(items):
            return [{"file": p.file, "line": p.line, "col": p.col, "path": p.path, "message": p.message} for p in items]

        print_json(
            {
                "files": [str(file) for file in files],
                "ok": not failed,
                "problems": rows(problems + (warnings if args.strict else [])),
                "warnings": rows([] if args.strict else warnings),
            }
        )
    return 2 if failed else 0


def _as_warning(problem) -> str:
    where = f"{problem.file}:{problem.line}:{problem.col}:"
    return (
        f"{where} {problem.path}: warning: {problem.message}" if problem.path else f"{where} warning: {problem.message}"
    )


def run_schema(args: argparse.Namespace) -> int:
    from sim.scenario import reference

    text = reference.markdown() if args.markdown else reference.json_schema_text()
    if args.out is None:
        print(text)
    else:
        from sim.files import write_atomic

        write_atomic(args.out, text + "\n")
    return 0


def run_run(args: argparse.Namespace) -> int:
    from sim.cli import UsageError
    from sim.files import OutputError, refuse_overwriting_inputs
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario
    from sim.simulation import Simulation

    try:
        refuse_overwriting_inputs([args.events, args.journal or None], [resolve(args.file)])
    except OutputError as error:
        raise UsageError(str(error)) from None  # a wrong command line: exit 2, nothing written
    journal = journal_error = None
    if args.journal is not None:
        if args.decide:
            raise UsageError("--decide cannot be recorded in a journal yet; run without --journal")
        from sim.journal import JournalError, JournalWriteError, start_session

        try:
            simulation, journal = start_session(
                resolve(args.file), seed=args.seed, reforms=args.reform, journal_path=args.journal or None, mode="run"
            )
        except JournalWriteError as error:  # full disk, read-only folder: run anyway, fail at the end
            journal_error = error
        except JournalError as error:
            raise UsageError(str(error)) from None
    if journal is None:
        scenario = load_scenario(resolve(args.file), reforms=args.reform)
        from sim.commands.decide import parse_decide

        forced = parse_decide(args.decide, scenario)
        simulation = Simulation(scenario, seed=args.seed, reforms=args.reform, forced=forced)
    if args.until is not None:
        simulation.advance(args.until * 60.0)
        result = simulation.result()
    else:
        result = simulation.run()
    if journal is not None:
        try:
            journal.close(simulation.now)
            print(f"journal: {terminal_safe(str(journal.path))}", file=sys.stderr)
        except JournalError as error:
            journal_error = error
    if args.events:
        from sim.files import atomic_writer

        with atomic_writer(args.events) as out:
            for event in result.events:
                out.write(event.to_json() + "\n")
    if args.json:
        print_json(result.summary())  # JSON escapes control characters and lone surrogates itself
    else:
        print(terminal_safe(render_summary(result, simulation)))
    if journal_error is not None:
        print(f"ttxsim: {terminal_safe(str(journal_error))}", file=sys.stderr)
        return 1
    return 0


def render_summary(result, simulation) -> str:
    """A readable summary of one run (scenario text raw: the caller makes it `terminal_safe`)."""
    metrics = result.metrics
    lines = [
        f"{simulation.scenario.scenario.title}",
        f"  seed {result.seed}   reforms: {', '.join(result.reforms) or 'none'}   "
        f"simulated to {simulation.clock.label(simulation.now)}   {len(result.events):,} events",
        *([f"  forced: {_forced_text(result.forced)}"] if result.forced else []),
        "",
    ]
    movement = metrics.get("movement")
    if movement is not None:
        lines += _movement_lines(simulation.scenario, movement, result.events)
    lines += _scenario_metric_lines(simulation.scenario, metrics)
    lines.append("Decisions (first taken, after T+0)")
    for decision_id, row in metrics["decisions"].items():
        lines.append(_decision_line(decision_id, row).rstrip())
    return "\n".join(lines)


def _forced_text(forced) -> str:
    """The `--decide` choices as given (`a=x, b=y@2 h`), so a forced run does not read as a plain one."""
    return ", ".join(
        f"{decision}={option}" + ("" if delay is None else f"@{duration_text(delay / 60)}")
        for decision, (option, delay) in forced.items()
    )


def _decision_line(decision_id: str, row: dict) -> str:
    """One decision: its status, when it was first taken and the option. A repeatable decision
    taken more than once (or taken and due again) says how many times and the last option and
    time instead, so its first taking, which set the rest of the run going, is not hidden behind
    its last, nor a re-opened one read as an answer still to come."""
    times = row.get("times")
    first = row.get("first_taken_hours", row["taken_hours"])
    head = f"  {decision_id:<34} {row['status']:<8} {duration_text(first):>9}  "
    if not times or (times == 1 and row["status"] == "taken"):
        return head + (row["option"] or "")
    count = f"{times} time{'s' if times != 1 else ''}"
    return head + f"taken {count}, last {row['option']} at {duration_text(row['taken_hours'])}"


def _movement_lines(scenario, movement: dict, events) -> list[str]:
    """The movement network's ledger, when it started and completed, and each area: its people safe
    of its total (and caught, if any) and when its last person was safe or caught, in hours after
    the movement started (as the completion) and after T+0 (as the report's clock), each line
    naming its reference, from the run's events."""
    from sim.analysis.areas import area_progress, movement_times

    times = movement_times(events)
    origin = times.started
    lines = [
        "Movement",
        f"  safe                 {movement['moved']:,} of {movement['population']:,}",
        f"  exposed              {movement['exposed']:,}",
        f"  still in danger      {movement['in_danger']:,}",
        f"  movement starts      {_hours(None if origin is None else origin / 60.0)} after T+0",
        f"  completion           {_hours(times.completion_hours)} after movement start",
    ]
    areas = area_progress(scenario, events)
    width = max([len(a.title) for a in areas] + [10])
    for area in areas:
        caught = f"   {area.exposed:,} caught" if area.exposed else ""
        if area.finished is None:
            done = "not done"
        elif origin is None or area.finished < origin:
            done = f"done {_hours(area.finished / 60.0)} after T+0"
        else:  # both references: the completion's (movement start) and the report's clock (T+0)
            since_start, since_zero = _hours((area.finished - origin) / 60.0), _hours(area.finished / 60.0)
            done = f"done {since_start} after movement start ({since_zero} after T+0)"
        lines.append(f"    {area.title:<{width}} {area.safe:>7,} of {area.population:>7,} safe{caught}   {done}")
    lines.append("")
    return lines


def _scenario_metric_lines(scenario, metrics: dict) -> list[str]:
    """The scenario's own metrics (id, value, title) and objectives (met or not), as `run --json` reports them."""
    lines = []
    if scenario.metrics:
        lines.append("Metrics")
        lines += [
            f"  {m.id:<34} {metric_text(m.kind, metrics.get(m.id)):>14}  {m.title or ''}".rstrip()
            for m in scenario.metrics
        ]
        lines.append("")
    if scenario.objectives:
        lines.append("Objectives")
        results = metrics.get("objectives") or {}
        for objective in scenario.objectives:
            met = {1: "met", 0: "not met"}.get(results.get(objective.id), "-")
            lines.append(f"  {objective.id:<34} {met:>14}  {objective.title or ''}".rstrip())
        lines.append("")
    return lines


def _hours(value: float | None) -> str:
    return duration_text(value)
