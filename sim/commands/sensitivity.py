"""`ttxsim sensitivity`: which assumptions the results depend on (Morris or Sobol).

The work is `sim.api.sensitivity_analysis` (the notebook API runs the same);
this module reads the arguments, prints the ranking and writes the files.
Top-level imports stay light: SALib, numpy and matplotlib load when the
command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli import UsageError, print_json, scenario_argument
from sim.commands.analysis import EXIT_INTERRUPTED, _failing_cleanly, _positive_int

OUTPUT_NAMES = (
    "sensitivity.json",
    "summary.txt",
    "parameters.csv",
    "design.csv",
    "design.parquet",
    "indices.csv",
    "replications.csv",
    "replications.parquet",
    "manifest.json",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sensitivity",
        help="rank the scenario's assumptions by their effect on a metric (Morris, Sobol)",
        description="Vary every number the scenario marks with `assumption:` over a range (delays x0.5-x2, "
        "probabilities ±50 % clipped to [0, 1], counts x0.5-x2, each cut to what the scenario allows, "
        "e.g. a state variable's min and max; --list says which ranges were narrowed), run the design "
        "with common random numbers and rank the assumptions: Morris mu* and sigma, or Sobol first-order "
        "and total indices with 95 % intervals. Time points, including a condition's after and by, are "
        "never varied. See docs/analyst-guide.md.",
    )
    scenario_argument(parser)
    parser.add_argument("--method", choices=("morris", "sobol"), default="morris", help="default morris")
    parser.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="M",
        help="metric to explain (repeatable; default: the scenario's headline time metric)",
    )
    parser.add_argument(
        "--params",
        action="append",
        default=[],
        metavar="GLOB",
        help="only parameters whose path matches, e.g. 'decisions.*' or '*.handling' (repeatable)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave these parameters as written, e.g. '*.residents' (repeatable)",
    )
    parser.add_argument(
        "-n",
        type=_positive_int,
        default=None,
        metavar="N",
        help="Morris trajectories (default 10: 10 x (k+1) points) or Sobol base sample "
        "(default 64, a power of two: N x (k+2) points)",
    )
    parser.add_argument(
        "--replications",
        "-r",
        type=_positive_int,
        default=1,
        metavar="R",
        help="runs per design point, the same seeds at every point (default 1)",
    )
    parser.add_argument(
        "--censor",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="an hours metric that did not happen before the horizon counts as the horizon, a lower bound, "
        "and the output counts such runs; by default only a metric that did not happen at some design point "
        "(which would get no indices); --no-censor: such a metric gets no indices",
    )
    parser.add_argument("--seed", type=int, default=1, help="master seed for the design and the runs (default 1)")
    parser.add_argument(
        "--reform", action="append", default=[], metavar="NAME", help="apply this reform first (repeatable)"
    )
    parser.add_argument("--jobs", "-j", type=_positive_int, default=None, metavar="J", help="parallel workers")
    parser.add_argument("--backend", choices=("local", "dask"), default="local", help="local processes or Dask")
    parser.add_argument("--scheduler", metavar="ADDR", default=None, help="Dask scheduler address")
    parser.add_argument("--scheduler-file", metavar="FILE", type=Path, default=None, help="Dask scheduler file")
    parser.add_argument("--list", action="store_true", help="list the parameters and their ranges, run nothing")
    parser.add_argument("--top", type=_positive_int, default=10, metavar="K", help="rows in the table (default 10)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object on stdout")
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=None,
        help="write sensitivity.json, design and replication tables (CSV, Parquet), indices, figures, manifest",
    )
    parser.add_argument("--no-plots", action="store_true", help="with --out, write tables only")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    parser.set_defaults(handler=run_sensitivity)


@_failing_cleanly
def run_sensitivity(args: argparse.Namespace) -> int:
    from datetime import datetime

    from sim.analysis.plots import labels_for
    from sim.analysis.progress import Progress
    from sim.api import ExperimentError, scenario_from_text, sensitivity_analysis
    from sim.commands.analysis import _backend, _check_outputs, _read_scenario

    started = datetime.now().astimezone()
    path, _text = _read_scenario(args.file)
    _refuse_inputs(args, path)
    if args.list:
        return _list(args, path)
    # Loaded once: the design, the labels and the manifest all use this text, even if the
    # file changes while a long design runs.
    scenario = scenario_from_text(_text, str(path))
    label = labels_for(scenario_from_text(_text, str(path), args.reform) if args.reform else scenario)
    args.plot = None
    _check_outputs(args)
    progress = Progress("design-point runs", enabled=not args.quiet)
    try:
        with _backend(args) as backend:
            result = sensitivity_analysis(
                scenario,
                method=args.method,
                metrics=args.metric,
                params=args.params,
                exclude=args.exclude,
                n=args.n,
                replications=args.replications,
                seed=args.seed,
                reforms=args.reform,
                backend=backend,
                progress=progress,
                censor=args.censor,
            )
            backend_name, workers = backend.name, backend.workers
    except ExperimentError as error:
        raise UsageError(str(error)) from None
    progress.finish()
    payload = result.payload
    from sim.analysis.sensitivity import render_table

    table = render_table(payload, top=args.top, label=label.metric)
    if args.out is not None and result.rs is not None and result.rs.records:
        _write(args, result, table, path, _text, backend_name, workers, started, label)
    if args.json:
        print_json(payload)
    else:
        print(table)
    if payload.get("failed"):
        print(f"ttxsim: {payload['failed']}", file=sys.stderr)
        return 1
    if payload.get("interrupted"):
        print("ttxsim: interrupted; no indices from an unfinished design", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _refuse_inputs(args: argparse.Namespace, path: Path) -> None:
    from sim.files import refuse_overwriting_inputs

    if args.out is not None:
        refuse_overwriting_inputs([args.out / name for name in OUTPUT_NAMES], [path])


def _list(args: argparse.Namespace, path: Path) -> int:
    from sim.analysis import sensitivity as sa
    from sim.scenario.loader import load_scenario, read_scenario_text

    text = read_scenario_text(path)
    model = load_scenario(path, args.reform)
    raw = sa.base_raw(text, str(path), args.reform)
    try:
        parameters = sa.select(sa.find_parameters(model, raw), args.params, args.exclude)
    except sa.SensitivityError as error:
        raise UsageError(str(error)) from None
    if args.json:
        print_json({"scenario": model.scenario.id, "parameters": [p.as_dict() for p in parameters]})
        return 0
    width = max([len(p.path) for p in parameters] + [9]) + 2
    print(f"{model.scenario.title}: {len(parameters)} assumption parameters")
    if not parameters:
        print("(no number sits in a block with `assumption:`; see docs/analyst-guide.md, section 10)")
        return 0
    print(f"  {'parameter':<{width}}{'kind':<13}{'as written':>11}{'low':>9}{'high':>9}")
    for p in parameters:
        narrowed = f"  narrowed: {p.narrowed}" if p.narrowed else ""
        print(f"  {p.path:<{width}}{p.kind:<13}{p.baseline:>11.3g}{p.low:>9.3g}{p.high:>9.3g}{narrowed}")
    narrowed = sum(1 for p in parameters if p.narrowed)
    if narrowed:
        print(
            f"({narrowed} ranges narrowed to what the scenario allows: a field's bounds, a state variable's min and max)"
        )
    return 0


def _write(args, result, table, path, text, backend_name, workers, started, label) -> None:
    from sim.analysis import outputs
    from sim.analysis.compare import ordered_metrics
    from sim.api import design_rows

    out: Path = args.out
    files = [outputs.write_json(result.payload, out / "sensitivity.json").name]
    files.append(outputs.write_text(table + "\n", out / "summary.txt").name)
    params = result.payload["parameters"]
    keys = ["path", "kind", "baseline", "low", "high", "label", "assumption", "narrowed"]
    files.append(outputs.write_csv(out / "parameters.csv", keys, [[p[k] for k in keys] for p in params]).name)
    header, rows = design_rows(result)
    files.append(outputs.write_csv(out / "design.csv", header, rows).name)
    parquet = outputs.write_table_parquet(out / "design.parquet", header, rows)
    if parquet is not None:
        files.append(parquet.name)
    index_rows, index_header = [], ["metric", "rank", "path", "label"]
    for metric, entry in result.payload["metrics"].items():
        for rank, row in enumerate(entry.get("ranking") or [], 1):
            extra = [k for k in row if k not in ("path", "label")]
            for key in extra:
                if key not in index_header:
                    index_header.append(key)
            index_rows.append({"metric": metric, "rank": rank, **row})
    files.append(
        outputs.write_csv(
            out / "indices.csv", index_header, [[r.get(k) for k in index_header] for r in index_rows]
        ).name
    )
    rs = result.rs
    metrics = ordered_metrics(rs.metric_names())
    files.append(outputs.write_replications_csv(rs, out / "replications.csv", metrics).name)
    parquet = outputs.write_replications_parquet(rs, out / "replications.parquet", metrics)
    if parquet is not None:
        files.append(parquet.name)
    if not args.no_plots:
        from sim.analysis.plots import sensitivity_figure

        for metric, entry in result.payload["metrics"].items():
            if entry.get("ranking"):
                files += [p.name for p in sensitivity_figure(result.payload, metric, out, label)]
    files.append("manifest.json")
    manifest = outputs.manifest(
        rs,
        command="sensitivity",
        argv=sys.argv,
        scenario_path=str(path),
        scenario_text=text,
        scenario_id=result.payload["scenario"],
        backend=backend_name,
        workers=workers,
        started=started,
        files=files,
        extra={
            "method": result.payload["method"],
            "design": "design.csv: one row per point (parameter factors, then each metric's mean)",
            "design_seed": result.payload["seed"],
            "parameters": params,
        },
        list_arms=False,
    )
    outputs.write_json(manifest, out / "manifest.json")
