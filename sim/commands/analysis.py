"""`ttxsim compare` and `ttxsim sweep`: many paired replications, statistics, plots.

The replications themselves run in `sim.runner.run_chunk` (the worker every backend
calls); the statistics, tables and plots live in `sim.analysis`. Top-level imports stay
light (argparse and `sim.cli` only): numpy, matplotlib, pyarrow and Dask are imported when
a command needs them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.cli import UsageError, print_json, scenario_argument

DEFAULT_REPLICATIONS = 100
EXIT_INTERRUPTED = 130


def _session_arm(journal_path: Path, scenario_path: Path | None, scenario_text: str, use_journal_scenario: bool):
    """The `session` arm of `ttxsim compare --decisions`: every input of a recorded
    session (decisions and injects; notes change nothing) on the session's scenario.

    Raises:
        UsageError: unreadable journal, a session without inputs, or a journal recorded
            on another scenario than the one given (unless `use_journal_scenario`).
    """
    import hashlib
    import json

    from sim.analysis.replications import Arm
    from sim.journal import Journal, JournalError, decision_script

    try:
        with Journal.open(journal_path) as journal:
            info = journal.info
            inputs = journal.inputs()
        script = {item.payload["decision"]: item for item in decision_script(journal_path)}
    except (JournalError, OSError) as error:
        raise UsageError(f"--decisions {journal_path}: {error}") from None
    given = hashlib.sha256(scenario_text.encode("utf-8")).hexdigest()
    if scenario_path is not None and not use_journal_scenario and given != info.scenario_sha256:
        raise UsageError(
            f"--decisions {journal_path}: the session was played on another scenario text than {scenario_path} "
            "(SHA-256 differs); give that scenario, or add --use-journal-scenario to compare on the session's own"
        )
    session: list[tuple[float, str, str]] = []
    for item in inputs:
        if item.kind == "decision":
            payload = script.get(item.payload["decision"], item).payload
        elif item.kind == "inject":
            payload = item.payload
        else:
            continue  # notes change nothing in the model
        session.append((item.time, item.kind, json.dumps(payload, sort_keys=True)))
    if not session:
        raise UsageError(f"--decisions {journal_path}: the session holds no decisions or injects made by people")
    owners = {json.loads(p).get("owner") for _, kind, p in session if kind == "decision"}
    roles = tuple(sorted((set(info.human_roles) | owners) - {None, "facilitator"}))
    return Arm(
        "session",
        info.playable_text,
        info.scenario_path or str(journal_path),
        tuple(info.reforms),
        session_inputs=tuple(session),
        human_roles=roles,
    )


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    scenario_argument(parser)
    parser.add_argument(
        "--replications",
        "-n",
        type=_positive_int,
        default=DEFAULT_REPLICATIONS,
        metavar="N",
        help=f"paired replications per arm (default {DEFAULT_REPLICATIONS})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="master seed; replication k uses a seed derived from it, the same in every arm (default 1)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        metavar="J",
        help="parallel workers (default: all local cores; 1 runs in this process)",
    )
    parser.add_argument(
        "--backend",
        choices=("local", "dask"),
        default="local",
        help="local processes (default) or a Dask distributed cluster (extra ttxsim[cluster])",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDR",
        default=None,
        help="Dask scheduler address, e.g. tcp://host:8786 (default: $DASK_SCHEDULER_ADDRESS if set, "
        "else a local cluster)",
    )
    parser.add_argument(
        "--scheduler-file",
        metavar="FILE",
        type=Path,
        default=None,
        help="Dask scheduler file, as written by dask scheduler --scheduler-file, dask-jobqueue or dask-mpi",
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object on stdout")
    parser.add_argument(
        "--plot", metavar="PATH", type=Path, default=None, help="write an overview figure to PATH (.png, .svg or .pdf)"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=None,
        help="write replications.csv/.parquet, curves, summary.json, figures and manifest.json into DIR",
    )
    parser.add_argument("--no-plots", action="store_true", help="with --out, write tables only (no matplotlib)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def register(subparsers: argparse._SubParsersAction) -> None:
    compare = subparsers.add_parser(
        "compare",
        help="baseline vs reforms over paired replications",
        description="Run the baseline and each reform over the same N paired replications (common random "
        "numbers) and report, per metric, mean, sd and 95 % CI per arm, and each reform's paired "
        "difference from the baseline with its CI and the share of replications where it did better.",
    )
    _common_arguments(compare)
    compare.add_argument(
        "--reform",
        action="append",
        default=[],
        metavar="NAME",
        help="a reform arm (repeatable); join names with + for a combined arm, e.g. a+b "
        "(--list-reforms lists the scenario's reforms)",
    )
    compare.add_argument(
        "--list-reforms",
        action="store_true",
        help="list the scenario's reforms (id and title; with --json, also the description), run nothing",
    )
    compare.add_argument(
        "--decide",
        action="append",
        default=[],
        metavar="DECISION=OPTION[@DELAY]",
        help="in every arm, take OPTION whenever DECISION comes up, after DELAY or the modelled delay (repeatable)",
    )
    compare.add_argument(
        "--decisions",
        type=Path,
        default=None,
        metavar="JOURNAL",
        help="add a 'session' arm: every input of a recorded session (ttxsim play / ttxsim run --journal), "
        "decisions with the class's own delays and injects at their clock time, replayed on every seed",
    )
    compare.add_argument(
        "--use-journal-scenario",
        action="store_true",
        help="with --decisions, run every arm on the scenario text stored in the journal "
        "(default: refuse a journal recorded on another scenario than FILE)",
    )
    compare.add_argument(
        "--precision",
        metavar="WIDTH",
        default=None,
        help="add replications until every 95 %% CI of --metric is at most this wide "
        "on each side, e.g. 2h or 90m (hours metrics) or a plain number",
    )
    compare.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="a metric to show in the table besides the headline ones and the scenario's own (repeatable); "
        "--precision waits for every one given (default: the scenario's headline time metric, as explain's); "
        "an unknown NAME is refused before anything runs, with the names the runs record",
    )
    compare.add_argument(
        "--max-replications", type=_positive_int, default=5000, metavar="N", help="cap for --precision (default 5000)"
    )
    compare.set_defaults(handler=run_compare)

    sweep = subparsers.add_parser(
        "sweep",
        help="replications over a grid of scenario parameter values",
        description="Run N paired replications at every value of one or more scenario parameters and "
        "report each metric's mean and 95 % CI per point, with the paired difference from the first point.",
    )
    _common_arguments(sweep)
    sweep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        required=True,
        help="a scenario value by dotted path (list items by id) and the values to try, "
        "e.g. decisions.evacuation_order.delay=2h,6h,12h (repeatable: full grid)",
    )
    sweep.add_argument(
        "--reform", action="append", default=[], metavar="NAME", help="apply this reform at every point (repeatable)"
    )
    sweep.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="metric for the table and the plot (repeatable; default: the scenario's own metrics and "
        "objectives, or a movement network's own figures when it declares none); an unknown NAME is "
        "refused before anything runs, with the names the runs record",
    )
    sweep.set_defaults(handler=run_sweep)


# ---------------------------------------------------------------------------
# Shared plumbing
# ---------------------------------------------------------------------------


def _read_scenario(file: Path | None) -> tuple[Path, str]:
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import read_scenario_text

    path = resolve(file)
    return path, read_scenario_text(path)


def _check_outputs(args: argparse.Namespace) -> None:
    from sim.analysis.plots import PlotError, require_matplotlib

    if args.plot is not None or (args.out is not None and not args.no_plots):
        try:
            require_matplotlib()
        except PlotError as error:
            raise UsageError(str(error)) from None
    if args.plot is not None and args.plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise UsageError(f"--plot {args.plot}: use a .png, .svg or .pdf file name")
    if args.out is not None:
        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"--out {args.out}: exists and is not a directory")
        args.out.mkdir(parents=True, exist_ok=True)


class RunFailure(Exception):
    """A run that cannot go on (a cluster that cannot take the work, an output that cannot
    be written): one sentence for the user, exit 1."""


def _backend(args: argparse.Namespace):
    from sim.analysis.backends import BackendError, ClusterError, make_backend

    for flag, value in (("--scheduler", args.scheduler), ("--scheduler-file", args.scheduler_file)):
        if value and args.backend != "dask":
            raise UsageError(f"{flag} needs --backend dask")
    if args.scheduler and args.scheduler_file:
        raise UsageError("give either --scheduler or --scheduler-file, not both")
    if args.scheduler_file is not None and not args.scheduler_file.is_file():
        raise UsageError(f"--scheduler-file {args.scheduler_file}: no such file")
    scheduler_file = None if args.scheduler_file is None else str(args.scheduler_file)
    try:
        return make_backend(args.backend, args.jobs, args.scheduler, scheduler_file)
    except ClusterError as error:
        raise RunFailure(str(error)) from None
    except BackendError as error:
        raise UsageError(str(error)) from None


def _failing_cleanly(handler):
    """Turn `RunFailure` and `OutputError` into one sentence on stderr and exit 1."""
    import functools

    @functools.wraps(handler)
    def wrapper(args: argparse.Namespace) -> int:
        from sim.files import OutputError

        try:
            return handler(args)
        except (RunFailure, OutputError) as error:
            if getattr(args, "debug", False):
                raise
            print(f"ttxsim: {error}", file=sys.stderr)
            return 1

    return wrapper


def _refuse_inputs(args: argparse.Namespace, inputs) -> None:
    """No output may overwrite an input (scenario, journal): checked before any run.

    Raises:
        OutputError: --plot names an input, or --out would write over one (a fixed
            table name, or a figure name for an input kept beside the results).
    """
    from sim.files import OutputError, refuse_overwriting_inputs

    inputs = [item for item in inputs if item is not None]
    outputs = [args.plot]
    if args.out is not None:
        outputs += [args.out / name for name in OUTPUT_NAMES]
        folder = args.out.resolve()
        for item in inputs:
            where = Path(item).resolve()
            if where.parent == folder and where.suffix.lower() in FIGURE_SUFFIXES:
                raise OutputError(f"--out {args.out}: figures written there could overwrite the input {item}")
    refuse_overwriting_inputs(outputs, inputs)


FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
OUTPUT_NAMES = (
    "replications.csv",
    "replications.parquet",
    "summary.json",
    "summary.txt",
    "curves.csv",
    "manifest.json",
    "overview.png",
    "overview.svg",
)
"""Fixed file names written into --out (the other figures are added by the plot module)."""


def precision_metric(scenario) -> str:
    """The metric `--precision` waits for by default: the scenario's headline time metric (the one
    `explain` splits), as the replications table names it."""
    from sim.analysis.explain import headline_metric

    name = headline_metric(scenario)
    if name.startswith("decision."):
        return f"decisions.{name.removeprefix('decision.')}.taken_hours"
    return name


def _table_metrics(scenario, requested: Sequence[str] = ()) -> list[str]:
    """Rows of the compare/sweep table: the movement network's own figures only for a scenario that
    declares nothing of its own, then its own metrics and objectives
    (`objectives.<id>`, as `run --json` reports them), then those asked for with --metric."""
    from sim.analysis.compare import HEADLINE_METRICS

    own = [m.id for m in scenario.metrics] + [f"objectives.{o.id}" for o in scenario.objectives]
    builtin = [] if own else list(HEADLINE_METRICS)
    return list(dict.fromkeys([*builtin, *own, *requested]))


def _refuse_unknown_metrics(requested: Sequence[str], arms, seed: int) -> None:
    """Refuse a --metric no replication would record, before any runs (exit 2, explain's wording),
    rather than run them all (or to the --max-replications cap) and then say so under the table."""
    if not requested:
        return
    from sim.analysis.metric_names import unknown_metric
    from sim.runner import metric_names, replication_seed

    known = metric_names(arms, replication_seed(seed, 0), requested)
    for metric in requested:
        if metric not in known:
            raise UsageError(unknown_metric(metric, known))


def _precision_target(text: str, metric: str) -> float:
    from sim.scenario.types import parse_duration

    text = text.strip()
    try:
        if metric.endswith("_hours") and any(c.isalpha() for c in text):
            value = parse_duration(text) / 60.0
        else:
            value = float(text)
    except ValueError:
        raise UsageError(f"--precision {text!r}: expected a width such as 2h, 90m or 0.5") from None
    if value <= 0:
        raise UsageError(f"--precision {text!r}: must be more than zero")
    return value


def _run(args, arms, backend, progress, precision=None):
    """Run the requested replications (`sim.api.run_experiment`, the API's own runner) and,
    with `precision` ({metric: target}, cap), more until every target is met."""
    from sim.api import Precision, run_experiment

    wanted = None if precision is None else Precision(*precision)
    rs = run_experiment(arms, args.replications, seed=args.seed, backend=backend, progress=progress, precision=wanted)
    return rs, (wanted.reached or None) if wanted is not None else None


def _write_outputs(
    args, rs, payload, table_text, scenario_path, scenario_text, scenario_id, backend, started, command, figures, extra
) -> list[str]:
    from sim.analysis import outputs

    out: Path = args.out
    metrics = list(payload["metrics"])
    files = [outputs.write_replications_csv(rs, out / "replications.csv", metrics).name]
    parquet = outputs.write_replications_parquet(rs, out / "replications.parquet", metrics)
    if parquet is not None:
        files.append(parquet.name)
    else:
        extra = {**extra, "parquet": "skipped: pyarrow is not installed (extra ttxsim[analysis])"}
    files.append(outputs.write_json(payload, out / "summary.json").name)
    files.append(outputs.write_text(table_text + "\n", out / "summary.txt").name)
    if figures is not None:
        files += figures(out)
    files.append("manifest.json")
    manifest = outputs.manifest(
        rs,
        command=command,
        argv=sys.argv,
        scenario_path=str(scenario_path),
        scenario_text=scenario_text,
        scenario_id=scenario_id,
        backend=backend.name,
        workers=backend.workers,
        started=started,
        files=files,
        extra={"arguments": _jsonable(vars(args)), **extra},
    )
    outputs.write_json(manifest, out / "manifest.json")
    return files


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if key == "handler" or callable(value):
            continue
        out[key] = str(value) if isinstance(value, Path) else value
    return out


def _finish(args, rs, progress, note="") -> int:
    if rs.failed:
        progress.finish(note)
        where = f", written to {args.out}" if args.out and rs.replications else ""
        print(f"ttxsim: {rs.failed} ({rs.replications} replications{where})", file=sys.stderr)
        return 1
    if rs.interrupted:
        progress.finish(note)
        where = f" in {args.out}" if args.out else ""
        print(f"ttxsim: interrupted; kept the {rs.replications} finished replications{where}", file=sys.stderr)
        return EXIT_INTERRUPTED
    progress.finish(note)
    return 0


# ---------------------------------------------------------------------------
# ttxsim compare
# ---------------------------------------------------------------------------


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _list_reforms(as_json: bool, scenario) -> int:
    """`compare --list-reforms`: what `--reform` may name, without running (as `sensitivity --list`
    lists the parameters): one line per reform, id and title; JSON adds the description."""
    from sim.text import terminal_safe

    reforms = [{"id": r.id, "title": r.title, "description": r.description} for r in scenario.reforms]
    if as_json:
        print_json({"scenario": scenario.scenario.id, "reforms": reforms})
        return 0
    count = f"{len(reforms)} reform{'s' if len(reforms) != 1 else ''}"
    lines = [f"{scenario.scenario.title}: {count}" + ("" if reforms else " (the scenario has no reforms:)")]
    width = max([len(r["id"]) for r in reforms] + [0]) + 2
    lines += [f"  {r['id']:<{width}}{r['title']}" for r in reforms]
    print(terminal_safe("\n".join(lines)))
    return 0


@_failing_cleanly
def run_compare(args: argparse.Namespace) -> int:
    from datetime import datetime

    from sim.analysis.compare import MetricTraits, compare, render_table
    from sim.analysis.outputs import curve_summary
    from sim.analysis.progress import Progress
    from sim.api import ExperimentError, reform_arms, with_forced
    from sim.scenario.loader import load_scenario_text

    started = datetime.now().astimezone()
    path, text = _read_scenario(args.file)
    if args.list_reforms:
        return _list_reforms(args.json, load_scenario_text(text, str(path)))
    _refuse_inputs(args, [path, args.decisions])
    _check_outputs(args)
    if args.use_journal_scenario and args.decisions is None:
        raise UsageError("--use-journal-scenario needs --decisions JOURNAL")
    session = None
    if args.decisions is not None:
        session = _session_arm(args.decisions, args.file, text, args.use_journal_scenario)
        if args.file is None or args.use_journal_scenario:
            # every arm on the session's own scenario: the class against the modelled policy
            path, text = Path(session.filename), session.scenario_text
            _refuse_inputs(args, [path])
    base = load_scenario_text(text, str(path))
    on_session_scenario = session is not None and (args.file is None or args.use_journal_scenario)
    try:
        arms = reform_arms(text, str(path), args.reform, session.reforms if on_session_scenario else ())
    except ExperimentError as error:
        raise UsageError(f"--{error}") from None
    if session is not None:
        arms.append(session)
    if args.decide:
        from sim.commands.decide import parse_decide

        arms = with_forced(arms, parse_decide(args.decide, base))
    _refuse_unknown_metrics(args.metric, arms, args.seed)
    metrics = list(dict.fromkeys(args.metric)) or [precision_metric(base)]
    precision = None
    if args.precision is not None:
        targets = {metric: _precision_target(args.precision, metric) for metric in metrics}
        precision = (targets, max(args.max_replications, args.replications))

    progress = Progress(f"paired replications x {len(arms)} arms", enabled=not args.quiet)
    with _backend(args) as backend:
        rs, reached = _run(args, arms, backend, progress, precision)
    if rs.replications == 0:
        code = _finish(args, rs, progress)
        return EXIT_INTERRUPTED if rs.interrupted else code or 1

    payload = compare(rs, traits=MetricTraits.of(base))
    payload = {"scenario": base.scenario.id, "seed": args.seed, **payload}
    if reached is not None:
        payload["precision"] = _rounded(reached)
    if rs.interrupted:
        payload["interrupted"] = True
    if rs.failed:
        payload["failed"] = rs.failed
    shown = _table_metrics(base, args.metric)
    title = f"{base.scenario.title}: {rs.replications} paired replications per arm, master seed {args.seed}" + (
        " (interrupted)" if rs.interrupted else ""
    )
    table = render_table(payload, shown, title, requested=args.metric)

    curves = curve_summary(rs)
    if args.out is not None:
        from sim.analysis import outputs

        def figures(out: Path) -> list[str]:
            files = [outputs.write_curves_csv(curves, out / "curves.csv").name] if curves else []
            if not args.no_plots:
                from sim.analysis.plots import comparison_figures, labels_for

                figures = comparison_figures(rs, payload, curves, out, shown, labels_for(base), args.metric)
                files += [p.name for p in figures]
            return files

        _write_outputs(
            args,
            rs,
            payload,
            table,
            path,
            text,
            base.scenario.id,
            backend,
            started,
            "compare",
            figures,
            {"precision": payload.get("precision")},
        )
    if args.plot is not None:
        from sim.analysis.plots import labels_for, overview_figure

        overview_figure(rs, payload, curves, args.plot, labels_for(base), shown, requested=args.metric)
    if args.json:
        print_json(payload)
    else:
        print(table)
        for metric, entry in (reached or {}).get("metrics", {}).items():
            if not entry["reached"]:
                print(
                    f"\nprecision: {metric} did not reach ±{entry['target_half_width']:g} within "
                    f"{rs.replications} replications (widest half-width "
                    f"{'-' if entry['half_width'] is None else format(entry['half_width'], '.2f')})"
                )
    return _finish(args, rs, progress)


# ---------------------------------------------------------------------------
# ttxsim sweep
# ---------------------------------------------------------------------------


@_failing_cleanly
def run_sweep(args: argparse.Namespace) -> int:
    from datetime import datetime

    from sim.analysis.compare import MetricTraits, compare, render_table
    from sim.analysis.progress import Progress
    from sim.analysis.sweep import SweepError, build_points, parse_param
    from sim.scenario.loader import load_scenario_text

    started = datetime.now().astimezone()
    path, text = _read_scenario(args.file)
    _refuse_inputs(args, [path])
    _check_outputs(args)
    base = load_scenario_text(text, str(path), args.reform)
    try:
        params = [parse_param(spec) for spec in args.param]
        arms = build_points(text, str(path), params, args.reform)
    except SweepError as error:
        raise UsageError(str(error)) from None
    _refuse_unknown_metrics(args.metric, arms, args.seed)

    progress = Progress(f"paired replications x {len(arms)} points", enabled=not args.quiet)
    with _backend(args) as backend:
        rs, _ = _run(args, arms, backend, progress)
    if rs.replications == 0:
        code = _finish(args, rs, progress)
        return EXIT_INTERRUPTED if rs.interrupted else code or 1

    comparison = compare(rs, traits=MetricTraits.of(base))
    points = [
        {
            "name": arm.name,
            "settings": [[p, v] for p, v in arm.settings],
            "settings_text": [[p.path, t] for p, t in zip(params, arm.setting_texts, strict=True)],
        }
        for arm in arms
    ]
    payload = {
        "scenario": base.scenario.id,
        "seed": args.seed,
        "reforms": list(args.reform),
        "parameters": [p.path for p in params],
        "points": [{"name": p["name"], "settings": dict(p["settings"])} for p in points],
        **comparison,
    }
    if rs.interrupted:
        payload["interrupted"] = True
    if rs.failed:
        payload["failed"] = rs.failed
    shown = list(dict.fromkeys(args.metric)) or _table_metrics(base)
    title = (
        f"{base.scenario.title}: sweep of {', '.join(p.path for p in params)}; "
        f"{rs.replications} paired replications per point, master seed {args.seed}"
        + (" (interrupted)" if rs.interrupted else "")
    )
    table = render_table(payload, shown, title, requested=args.metric)

    if args.out is not None:

        def figures(out: Path) -> list[str]:
            if args.no_plots:
                return []
            from sim.analysis.plots import labels_for, sweep_figure

            return [p.name for p in sweep_figure(points, payload, shown, out / "sweep", labels=labels_for(base))]

        _write_outputs(
            args,
            rs,
            payload,
            table,
            path,
            text,
            base.scenario.id,
            backend,
            started,
            "sweep",
            figures,
            {"parameters": [{"path": p.path, "values": list(p.texts)} for p in params]},
        )
    if args.plot is not None:
        from sim.analysis.plots import labels_for, sweep_figure

        sweep_figure(points, payload, shown, args.plot, formats=None, labels=labels_for(base))
    if args.json:
        print_json(payload)
    else:
        print(table)
    return _finish(args, rs, progress)
