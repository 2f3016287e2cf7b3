"""Files beside the results: per-replication tables, curves, manifest.

Everything a figure is drawn from is written next to it, with a manifest that
names the scenario (path and SHA-256), the reforms or sweep settings, the
master seed, every replication's seed and the package versions, so any number
or figure can be produced again (desmod's results.yaml idea, style.md 2.2).

CSV needs nothing; Parquet is written when pyarrow is installed (the
`analysis` extra) and skipped with a note in the manifest otherwise.

Every file is written atomically (`sim.files`): a full disk or a crash leaves
the previous file whole. CSV cells that come from scenarios (arm names, sweep
values) pass through `spreadsheet_safe`, so a spreadsheet never runs them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.analysis.replications import ReplicationSet
from sim.analysis.stats import quantile
from sim.files import atomic_writer, write_atomic
from sim.text import spreadsheet_safe

PACKAGES = ("ttxsim", "simpy", "pydantic", "pyyaml", "numpy", "matplotlib", "pyarrow", "dask", "distributed")
BAND = (0.05, 0.95)
"""The curve band: 90% of replications lie inside it."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


# ---------------------------------------------------------------------------
# Curves: people still to move, median and 90% band per arm
# ---------------------------------------------------------------------------


def curve_summary(rs: ReplicationSet) -> dict[str, dict[str, list[float] | int]]:
    """Per arm: grid hours, median, 5% and 95% of people still in danger.

    Arms whose runs have no curve (no movement network) are left out.
    """
    out: dict[str, dict[str, Any]] = {}
    for arm in rs.arm_names:
        records = [r for r in rs.by_arm(arm) if r.curve]
        curves = [r.curve for r in records if r.curve]
        if not curves:
            continue
        length = min(len(c) for c in curves)
        median, low, high = [], [], []
        for i in range(length):
            column = sorted(c[i] for c in curves)
            median.append(quantile(column, 0.5))
            low.append(quantile(column, BAND[0]))
            high.append(quantile(column, BAND[1]))
        step = next((r.curve_step_hours for r in records if r.curve_step_hours), rs.curve_step_hours)
        hours = [round(i * step, 6) for i in range(length)]
        out[arm] = {"hours": hours, "median": median, "p05": low, "p95": high, "n": len(curves)}
    return out


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def replication_rows(rs: ReplicationSet, metrics: Sequence[str]) -> tuple[list[str], list[list[Any]]]:
    """The per-replication table (header, rows): replications.csv, .parquet and `sim.replicate()`.

    Columns: replication, seed, arm, the sweep settings, events, the metrics (numbers;
    None = did not happen), then each decision's chosen option and who chose it
    (`decisions.ID.option`; `decisions.ID.by`: `policy` for the modelled decision maker,
    `human:ROLE` for a person, `rule` for a skipped decision).
    """
    setting_paths: list[str] = []
    for arm in rs.arms:
        for path, _ in arm.settings:
            if path not in setting_paths:
                setting_paths.append(path)
    choices = rs.choice_names()
    header = ["replication", "seed", "arm", *setting_paths, "events", *metrics, *choices]
    settings = {arm.name: dict(arm.settings) for arm in rs.arms}
    rows = []
    keep = set(rs.indices)
    for r in rs.records:
        if r.index not in keep:
            continue
        arm_settings = settings[r.arm]
        rows.append(
            [
                r.index,
                r.seed,
                r.arm,
                *[_cell(arm_settings.get(p)) for p in setting_paths],
                r.events,
                *[r.metrics.get(m) for m in metrics],
                *[r.choices.get(c) for c in choices],
            ]
        )
    return header, rows


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _csv_cell(value: Any) -> Any:
    """A CSV cell: empty for None, untrusted text neutralised for spreadsheets."""
    return "" if value is None else spreadsheet_safe(value)


def write_csv(path: Path, header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> Path:
    """A CSV file written atomically, every cell made safe for spreadsheets."""
    with atomic_writer(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([_csv_cell(v) for v in header])
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
    return path


def write_replications_csv(rs: ReplicationSet, path: Path, metrics: Sequence[str]) -> Path:
    """One row per (replication, arm); an empty cell is a metric that did not happen."""
    header, rows = replication_rows(rs, metrics)
    return write_csv(path, header, rows)


def write_replications_parquet(rs: ReplicationSet, path: Path, metrics: Sequence[str]) -> Path | None:
    """The same table as Parquet (nulls kept as nulls); None when pyarrow is missing."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    header, rows = replication_rows(rs, metrics)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    arrays = {}
    for name, column in zip(header, columns, strict=True):
        if name in metrics:
            arrays[name] = pa.array([None if v is None else float(v) for v in column], type=pa.float64())
        elif name in ("replication", "events"):
            arrays[name] = pa.array(list(column), type=pa.int64())
        elif name == "seed":
            arrays[name] = pa.array(list(column), type=pa.uint64())
        else:
            arrays[name] = pa.array([None if v is None else str(v) for v in column], type=pa.string())
    buffer = io.BytesIO()
    pq.write_table(pa.table(arrays), buffer)
    write_atomic(path, buffer.getvalue())
    return path


def write_table_parquet(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path | None:
    """Any table as Parquet: a column of numbers (or None) is float64, anything else text.

    None when pyarrow is missing (the CSV beside it has the same rows).
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    arrays = {}
    for name, column in zip(header, columns, strict=True):
        numeric = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in column)
        if numeric:
            arrays[str(name)] = pa.array([None if v is None else float(v) for v in column], type=pa.float64())
        else:
            arrays[str(name)] = pa.array([None if v is None else str(v) for v in column], type=pa.string())
    buffer = io.BytesIO()
    pq.write_table(pa.table(arrays), buffer)
    write_atomic(path, buffer.getvalue())
    return path


def write_curves_csv(curves: dict[str, dict[str, Any]], path: Path) -> Path:
    rows = [
        [arm, hour, curve["median"][i], curve["p05"][i], curve["p95"][i], curve["n"]]
        for arm, curve in curves.items()
        for i, hour in enumerate(curve["hours"])
    ]
    return write_csv(path, ["arm", "hours", "median", "p05", "p95", "replications"], rows)


def write_json(payload: Any, path: Path) -> Path:
    write_atomic(path, json.dumps(payload, indent=2) + "\n")
    return path


def write_text(text: str, path: Path) -> Path:
    write_atomic(path, text)
    return path


def manifest(
    rs: ReplicationSet,
    *,
    command: str,
    argv: Sequence[str],
    scenario_path: str,
    scenario_text: str,
    scenario_id: str | None,
    backend: str,
    workers: int,
    started: datetime,
    files: Sequence[str],
    extra: dict[str, Any] | None = None,
    list_arms: bool = True,
) -> dict[str, Any]:
    """The experiment manifest: everything needed to produce these results again.

    `list_arms=False` (a sensitivity design: thousands of points that share one
    scenario text) names the arm count instead of listing every arm; the design
    table beside the manifest holds each point.
    """
    seeds = rs.seeds()
    indices = rs.indices
    if list_arms:
        arms: Any = [
            {
                "name": arm.name,
                "reforms": list(arm.reforms),
                "settings": dict(arm.settings),
                "scenario_sha256": sha256_text(arm.scenario_text),
            }
            for arm in rs.arms
        ]
    else:
        arms = {"count": len(rs.arms), "reforms": list(rs.arms[0].reforms) if rs.arms else []}
    return {
        "command": command,
        "argv": list(argv),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "started": started.astimezone(UTC).isoformat(timespec="seconds"),
        "scenario": {"path": scenario_path, "id": scenario_id, "sha256": sha256_text(scenario_text)},
        "arms": arms,
        "master_seed": rs.master_seed,
        "seed_rule": "replication k uses seed derive_seed(master_seed, 'replication:k') (sim.engine.streams)",
        "replications": len(indices),
        "requested": rs.requested,
        "interrupted": rs.interrupted,
        "replication_seeds": {str(k): seeds[k] for k in indices},
        "backend": backend,
        "workers": workers,
        "packages": package_versions(),
        "platform": {"system": platform.system(), "machine": platform.machine(), "executable": sys.executable},
        "files": list(files),
        **(extra or {}),
    }
