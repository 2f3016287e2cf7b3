"""`ttxsim replay`, `ttxsim report`, `ttxsim msel export|import` and `ttxsim journal`: the exercise record.

Heavy imports (sqlite3 journal code, matplotlib, openpyxl) happen inside the
handlers, so `ttxsim --help` and `ttxsim validate` stay fast.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from sim.cli import EXIT_FAILURE, UsageError, print_json, scenario_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    replay = subparsers.add_parser(
        "replay",
        help="re-run a session journal and verify its event stream",
        description="Re-run a session journal (same scenario, seed and inputs) and check that the event stream "
        "is identical. Exit 0 when it is, 1 with the first divergence otherwise.",
    )
    replay.add_argument("journal", type=Path, metavar="FILE", help="session journal (.ttxj)")
    replay.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    replay.set_defaults(handler=run_replay)

    report = subparsers.add_parser(
        "report",
        help="write the after-action report of a session",
        description="Write the HSEEP after-action report / improvement plan of a session journal as one HTML "
        "file (plots inline) or Markdown, plus <name>-improvement-plan.csv beside it.",
    )
    report.add_argument("journal", type=Path, metavar="FILE", help="session journal (.ttxj)")
    report.add_argument("--out", type=Path, required=True, metavar="PATH", help="aar.html or aar.md")
    report.add_argument(
        "--late-factor",
        type=float,
        default=2.0,
        metavar="X",
        help="a decision later than X times its expected time is rated M, not S (default 2)",
    )
    report.set_defaults(handler=run_report)

    msel = subparsers.add_parser(
        "msel",
        help="export or import the MSEL as a spreadsheet",
        description="Exchange a scenario's Master Scenario Events List (injects) with CSV/XLSX spreadsheets "
        "in the HSEEP/FEMA column order.",
    )
    actions = msel.add_subparsers(dest="msel_command", metavar="ACTION")
    export = actions.add_parser(
        "export",
        help="write the scenario's injects to msel.csv or msel.xlsx",
        description="Write the scenario's injects to a CSV or XLSX sheet.",
    )
    scenario_argument(export)
    export.add_argument("--out", type=Path, required=True, metavar="PATH", help="msel.csv or msel.xlsx")
    export.set_defaults(handler=run_msel_export)
    load = actions.add_parser(
        "import",
        help="replace a scenario's injects with a sheet",
        description="Read a CSV/XLSX MSEL and, with --into, replace that scenario file's "
        "injects: section (the rest of the file is kept as it is). Without --into, only "
        "check the sheet.",
    )
    load.add_argument("sheet", type=Path, metavar="SHEET", help="msel.csv or msel.xlsx")
    load.add_argument("--into", type=Path, default=None, metavar="FILE", help="scenario YAML to update")
    load.add_argument(
        "--encoding",
        default=None,
        metavar="NAME",
        help="a CSV's text encoding, e.g. cp932 for Japanese Excel (default: UTF-8, with or without BOM)",
    )
    load.set_defaults(handler=run_msel_import)
    msel.set_defaults(handler=lambda args: _usage(msel))

    journal = subparsers.add_parser(
        "journal",
        help="list session journals or show one",
        description="Without FILE, list the journals in the sessions folder (newest first; sessions recorded "
        "before the rename to ttxsim are listed too). With FILE, show its configuration and inputs. Journals are "
        "only read, never changed. With --salvage, copy every input of a damaged journal up to its first "
        "unreadable row into a new journal that replays and resumes.",
    )
    journal.add_argument("journal", type=Path, nargs="?", default=None, metavar="FILE")
    journal.add_argument("--json", action="store_true", help="print JSON on stdout")
    journal.add_argument(
        "--salvage",
        type=Path,
        default=None,
        metavar="FILE",
        help="damaged journal to salvage (with --out)",
    )
    journal.add_argument("--out", type=Path, default=None, metavar="NEW", help="new journal written by --salvage")
    journal.set_defaults(handler=run_journal)


def _when(timestamp: float, form: str = "%Y-%m-%dT%H:%M:%S") -> str:
    """A journal's wall-clock time as text; a damaged value reads as "?" rather than failing."""
    try:
        return datetime.fromtimestamp(timestamp).strftime(form)
    except (OverflowError, OSError, ValueError):
        return "?"


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _open_journal(path: Path):
    from sim.journal import Journal, JournalError

    try:
        return Journal.open(path)
    except JournalError as error:
        raise UsageError(str(error)) from None


def run_replay(args: argparse.Namespace) -> int:
    from sim.journal import JournalError, replay

    try:
        outcome = replay(args.journal)
    except JournalError as error:
        raise UsageError(str(error)) from None
    if args.json:
        print_json(
            {
                "identical": outcome.identical,
                "stored_events": outcome.stored,
                "replayed_events": outcome.replayed,
                "inputs": outcome.inputs,
                "closed": outcome.closed,
                "divergence": None
                if outcome.divergence is None
                else {
                    "index": outcome.divergence.index,
                    "journal": outcome.divergence.expected,
                    "replay": outcome.divergence.actual,
                },
            }
        )
    if outcome.divergence is not None:
        if not args.json:
            print(f"{args.journal}: NOT identical; {outcome.divergence.describe()}")
        return EXIT_FAILURE
    if not args.json:
        tail = (
            ""
            if outcome.closed or outcome.replayed == outcome.stored
            else (
                f" (session not closed: the journal holds the first {outcome.stored}, the re-run regenerated "
                f"{outcome.replayed - outcome.stored} more)"
            )
        )
        print(f"{args.journal}: identical: {outcome.stored} events, {outcome.inputs} inputs{tail}")
    return 0


def aar_from_journal(path: Path, late_factor: float = 2.0):
    """Rebuild a session from its journal and assemble its AAR."""
    from sim.analysis.report import build_aar
    from sim.journal import Journal, replay

    with Journal.open(path) as journal:
        info = journal.info
        entries = journal.entries()
    outcome = replay(path)
    simulation = outcome.simulation
    pauses = sum(1 for e in entries if e.kind == "pause" and e.payload.get("paused"))
    session = {
        "Session journal": str(path),
        "Session started": _when(info.created, "%Y-%m-%d %H:%M"),
        "Session ended cleanly": "yes" if info.closed else "no (resumed or crashed)",
        "Inputs": f"{len([e for e in entries if e.kind in ('inject', 'decision', 'note')])} "
        f"({pauses} pauses, {sum(1 for e in entries if e.kind == 'speed')} speed changes)",
        "Replay check": "identical event stream" if outcome.identical else outcome.divergence.describe(),
        "Scenario file": f"{info.scenario_path} (sha256 {info.scenario_sha256[:12]}...)",
        "ttxsim version": info.version,
    }
    return build_aar(
        simulation.scenario,
        simulation.events,
        simulation.inputs,
        simulation.metrics(),
        seed=info.seed,
        reforms=info.reforms,
        human_roles=info.human_roles,
        session=session,
        late_factor=late_factor,
        end=simulation.now,
    )


def run_report(args: argparse.Namespace) -> int:
    from sim.analysis.report import write_report
    from sim.files import OutputError, refuse_overwriting_inputs
    from sim.journal import JournalError, lock_path

    if args.out.suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
        raise UsageError(f"--out {args.out}: use a .html or .md file")
    plan = args.out.with_name(f"{args.out.stem}-improvement-plan.csv")
    try:
        refuse_overwriting_inputs([args.out, plan], [args.journal, lock_path(args.journal)])
    except OutputError as error:
        raise UsageError(str(error)) from None
    try:
        aar = aar_from_journal(args.journal, args.late_factor)
    except JournalError as error:
        raise UsageError(str(error)) from None
    try:
        written = write_report(aar, args.out)  # atomic; missing folders are made
    except OutputError as error:
        print(f"ttxsim: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print("\n".join(str(p) for p in written))
    return 0


def run_msel_export(args: argparse.Namespace) -> int:
    from sim.files import OutputError
    from sim.msel import export_msel
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario

    if args.out.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(f"--out {args.out}: use a .csv or .xlsx file")
    scenario = load_scenario(resolve(args.file))
    try:
        export_msel(scenario, args.out)
    except ValueError as error:
        raise UsageError(str(error)) from None
    except OutputError as error:
        print(f"ttxsim: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"{args.out}: {len(scenario.injects)} injects")
    return 0


def run_msel_import(args: argparse.Namespace) -> int:
    from sim.files import OutputError
    from sim.msel import import_msel

    try:
        injects = import_msel(args.sheet, into=args.into, encoding=args.encoding)
    except OutputError as error:
        print(f"ttxsim: {error}", file=sys.stderr)
        return EXIT_FAILURE
    where = f"written to {args.into}" if args.into else "checked (use --into FILE to write them)"
    print(f"{args.sheet}: {len(injects)} injects {where}")
    return 0


def run_journal(args: argparse.Namespace) -> int:
    if args.salvage is not None:
        return run_salvage(args)
    if args.out is not None:
        raise UsageError("--out goes with --salvage FILE")
    if args.journal is None:
        return run_sessions(args)
    from sim.journal import JournalError

    try:
        with _open_journal(args.journal) as journal:
            info = journal.info
            entries = journal.entries()
            events = len(journal.event_lines())
    except JournalError as error:
        raise UsageError(str(error)) from None
    payload = {
        "path": str(info.path),
        "scenario": info.scenario_id,
        "scenario_path": info.scenario_path,
        "scenario_sha256": info.scenario_sha256,
        "seed": info.seed,
        "reforms": list(info.reforms),
        "human_roles": list(info.human_roles),
        "version": info.version,
        "mode": info.mode,
        "created": _when(info.created),
        "reached_minutes": info.reached,
        "closed": info.closed,
        "events": events,
        "inputs": [{"kind": e.kind, "sim_time": e.sim_time, "wall_time": e.wall_time, **e.payload} for e in entries],
    }
    if args.json:
        print_json(payload)
    else:
        for key, value in payload.items():
            if key != "inputs":
                print(f"{key:<16} {value}")
        print(f"inputs ({len(entries)}):")
        for e in entries:
            wall = _when(e.wall_time, "%H:%M:%S")
            print(f"  {e.sim_time:>9.1f} min  {wall}  {e.kind:<8} {e.payload}")
    return 0


def run_sessions(args: argparse.Namespace) -> int:
    """List the sessions folder (and the one used before the rename to ttxsim), newest first, read-only."""
    from sim.journal import Journal, JournalError, session_folders, writer_of

    folders = session_folders()
    files = [path for folder in folders if folder.is_dir() for path in folder.glob("*.ttxj")]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    rows = []
    for path in files:
        row: dict = {"path": str(path)}
        try:
            with Journal.open(path) as journal:
                info = journal.info
                count = len(journal.entries())
        except JournalError as error:
            row.update(state="unreadable", problem=str(error))
            rows.append(row)
            continue
        writer = writer_of(path)
        row.update(
            scenario=info.scenario_id,
            seed=info.seed,
            created=_when(info.created),
            inputs=count,
            closed=info.closed,
            state="closed" if info.closed else ("in use" if writer else "crashed"),
        )
        rows.append(row)
    if args.json:
        print_json({"folder": str(folders[0]), "folders": [str(f) for f in folders], "sessions": rows})
        return 0
    print(f"sessions folder: {folders[0]}")
    for row in rows:
        if row["state"] == "unreadable":
            print(f"  {'unreadable':<19}  {row['path']}  (ttxsim journal --salvage {row['path']} --out NEW)")
            continue
        print(
            f"  {row['created']}  {row['scenario']:<12} seed {row['seed']:<4} {row['inputs']:>4} inputs "
            f"{row['state']:<9} {row['path']}"
        )
    return 0


def run_salvage(args: argparse.Namespace) -> int:
    from sim.journal import JournalError, JournalWriteError, salvage

    if args.out is None:
        raise UsageError("--salvage FILE needs --out NEW (the damaged journal itself is never changed)")
    if args.journal is not None:
        raise UsageError("give the journal to salvage once, after --salvage")
    try:
        outcome = salvage(args.salvage, args.out)
    except JournalWriteError as error:
        print(f"ttxsim: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except JournalError as error:
        raise UsageError(str(error)) from None
    if outcome.dropped is None:
        print(f"{outcome.out}: every input kept ({outcome.kept}); resume with: ttxsim play --resume {outcome.out}")
    else:
        reason = str(outcome.dropped).split("; ")[0]
        print(
            f"{outcome.out}: {outcome.kept} inputs kept, stopped at: {reason}; "
            f"resume with: ttxsim play --resume {outcome.out}"
        )
    return 0
