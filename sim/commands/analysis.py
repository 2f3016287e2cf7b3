"""`ttxsim compare` and `ttxsim sweep`: many paired replications, statistics, plots.

This module is the one place where the analysis meets the engine: `run_chunk`
(the worker every backend calls) builds `Simulation`s and hands back compact
records; everything else lives in `sim.analysis`, which never imports the
engine. Top-level imports stay light (argparse and `sim.cli` only): numpy,
matplotlib, pyarrow and Dask are imported when a command needs them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.cli import UsageError, print_json, scenario_argument

DEFAULT_REPLICATIONS = 100
DEFAULT_PRECISION_METRIC = "evacuation.completion_hours"
EXIT_INTERRUPTED = 130


# ---------------------------------------------------------------------------
# The worker (runs in worker processes / on Dask workers)
# ---------------------------------------------------------------------------

_SCENARIOS: dict[str, Any] = {}
"""Parsed scenarios per arm key, so a worker parses each arm once."""


def replication_seed(master_seed: int, index: int) -> int:
    """The seed of replication `index`: the same for every arm (common random numbers)."""
    from sim.engine.streams import derive_seed

    return derive_seed(master_seed, f"replication:{index}")


_RAWS: dict[str, Any] = {}
"""Raw (reform-patched) mappings per arm text key, for arms with design-point `patches`."""


def _scenario_for(arm) -> Any:
    """The validated scenario of an arm, parsed once per worker.

    Arms with `patches` (sensitivity design points: thousands per run) are not
    cached; their base mapping is, so each point costs a copy and a validation
    (~35 ms on the bundled default scenario) instead of a YAML parse (~350 ms).
    """
    if arm.patches:
        from sim.analysis.sensitivity import base_raw, patched_scenario

        base = _RAWS.get(arm.text_key)
        if base is None:
            base = _RAWS[arm.text_key] = base_raw(arm.scenario_text, arm.filename, arm.reforms)
        return patched_scenario(base, arm.patches, arm.filename)
    scenario = _SCENARIOS.get(arm.key)
    if scenario is None:
        from sim.scenario.loader import load_scenario_text

        scenario = _SCENARIOS[arm.key] = load_scenario_text(arm.scenario_text, arm.filename, arm.reforms)
    return scenario


def evacuation_curve(evacuation: dict[str, Any] | None, grid: list[float]) -> tuple[float, ...] | None:
    """People still to move at each grid hour (after T+0), from the run's series."""
    from sim.analysis.replications import resample_step

    if not evacuation:
        return None
    series = evacuation.get("series") or {}
    hours, remaining = series.get("hours") or [], series.get("remaining") or []
    if not hours or len(hours) != len(remaining):
        return None
    before = evacuation.get("population")
    return resample_step(hours, remaining, grid, remaining[0] if before is None else before)


def run_chunk(task) -> list:
    """Run replications `task.indices` of every arm; return one `Record` per run."""
    from sim.analysis.explain import segment_metrics
    from sim.analysis.replications import Record, curve_grid, decision_choices, derived_metrics, flatten_metrics

    _crash_hook(task)
    records = []
    scenarios = [(arm, _scenario_for(arm)) for arm in task.arms]
    for index in task.indices:
        seed = replication_seed(task.master_seed, index)
        for arm, scenario in scenarios:
            result = run_arm(arm, seed, scenario)
            grid = curve_grid(scenario.scenario.horizon / 60.0, task.curve_step_hours)
            curve = evacuation_curve(result.metrics.get("evacuation"), grid)
            flat = flatten_metrics(result.metrics)
            flat.update(derived_metrics(flat))
            flat.update(segment_metrics(scenario, result.events))  # where the hours went, per kind
            choices = decision_choices(result.metrics.get("decisions"))
            records.append(Record(arm.name, index, seed, flat, curve, len(result.events), choices))
    return records


CRASH_HOOK = "TTXSIM_TEST_CRASH_CHUNK"
"""Test hook: `INDEX[:FLAGFILE]` makes the worker process that runs the chunk starting at
replication INDEX exit abruptly (as a segfault or the OOM killer would). With FLAGFILE it
crashes only while FLAGFILE does not exist and creates it, i.e. once."""


def _crash_hook(task) -> None:
    import os

    spec = os.environ.get(CRASH_HOOK)
    if not spec or not task.indices:
        return
    index, _, flag = spec.partition(":")
    if int(index) != task.indices[0]:
        return
    if flag:
        try:
            with open(flag, "x"):
                pass
        except FileExistsError:
            return
    os._exit(70)


def run_arm(arm, seed: int, scenario=None):
    """One replication of one arm on `seed` (the `RunResult`).

    A session arm (`compare --decisions`) replays every input of the recorded
    session: decisions and injects (ad hoc ones included) in the order the
    session made them. Injects fire at the session's clock time; a decision
    is answered `waited` minutes after it comes up in this run (the class's
    latency on this seed's timeline). On the session's own seed that is the
    session itself, input for input, so the arm reproduces the class's run.
    """
    from sim.simulation import Simulation

    scenario = _scenario_for(arm) if scenario is None else scenario
    forced = {decision: (option, delay) for decision, option, delay in arm.forced}
    if not arm.session_inputs:
        return Simulation(scenario, seed=seed, reforms=arm.reforms, forced=forced).run()
    simulation = Simulation(scenario, seed=seed, reforms=arm.reforms, human_roles=arm.human_roles, forced=forced)
    replay_session_inputs(simulation, arm.session_inputs)
    return simulation.result()


def replay_session_inputs(simulation, inputs) -> None:
    """Run `simulation` to its horizon, applying recorded (time, kind, JSON payload) inputs.

    Ready inputs at one instant are applied in the session's order. A scripted
    decision that never comes up, or is no longer pending when due, is left out.
    """
    import json

    from sim.journal import TIME_TOLERANCE
    from sim.scenario.schema import Inject

    items = [(n, time, kind, json.loads(payload)) for n, (time, kind, payload) in enumerate(inputs)]
    injects = [(n, time, payload) for n, time, kind, payload in items if kind == "inject"]
    decisions = {payload["decision"]: (n, time, payload) for n, time, kind, payload in items if kind == "decision"}
    end = simulation.horizon

    def due() -> list[tuple[float, int, str, Any]]:
        out = [(time, n, "inject", payload) for n, time, payload in injects]
        for view in simulation.view().decisions:
            item = decisions.get(view.id)
            if item is None or view.status != "pending" or view.came_up_at is None:
                continue
            n, time, payload = item
            when = _decision_due(view.came_up_at, time, payload.get("waited"))
            out.append((when, n, "decision", payload))
        return [entry for entry in out if entry[0] <= end + TIME_TOLERANCE]

    while True:
        pending = due()
        ready = sorted(
            (n, kind, payload) for when, n, kind, payload in pending if when <= simulation.now + TIME_TOLERANCE
        )
        for n, kind, payload in ready:
            if kind == "inject":
                injects.remove(next(item for item in injects if item[0] == n))
                simulation.apply(Inject.model_validate(payload))
            else:
                del decisions[payload["decision"]]
                simulation.decide(payload["decision"], payload["option"], payload["role"])
        if ready:
            continue
        if simulation.now >= end - TIME_TOLERANCE:
            break
        upcoming = [when for when, *_ in pending]
        next_event = simulation.next_event_time()
        simulation.advance(min([*upcoming, *([next_event] if next_event is not None else []), end]))


SAME_INSTANT = 1e-3
"""Minutes within which a decision counts as coming up when it did in the session:
the journal keeps `waited` to three decimals."""


def _decision_due(came_up: float, session_time: float, waited: float | None) -> float:
    """When a scripted decision is answered in this run.

    `waited` minutes after it comes up here (the class's latency on this run's
    timeline); at the session's own clock time when it comes up when it did in
    the session (the same seed), so that run is reproduced exactly; at the
    session's time, or when it comes up if later, when the latency is unknown.
    """
    if waited is None:
        return max(came_up, session_time)
    if abs(came_up - (session_time - float(waited))) <= SAME_INSTANT:
        return max(came_up, session_time)
    return came_up + float(waited)


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
        help="a reform arm (repeatable); join names with + for a combined arm, e.g. a+b",
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
        f"--precision waits for every one given (default {DEFAULT_PRECISION_METRIC})",
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
        "objectives, and the headline metrics of an evacuation)",
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


def _table_metrics(scenario, requested: Sequence[str] = ()) -> list[str]:
    """Rows of the compare/sweep table: the built-in headline metrics only where they apply (an
    evacuation, or nothing of the scenario's own), then its own metrics and objectives
    (`objectives.<id>`, as `run --json` reports them), then those asked for with --metric."""
    from sim.analysis.compare import HEADLINE_METRICS

    own = [m.id for m in scenario.metrics] + [f"objectives.{o.id}" for o in scenario.objectives]
    builtin = list(HEADLINE_METRICS) if scenario.evacuation is not None or not own else []
    return list(dict.fromkeys([*builtin, *own, *requested]))


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
    metrics = list(dict.fromkeys(args.metric)) or [DEFAULT_PRECISION_METRIC]
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
