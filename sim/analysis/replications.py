"""Paired replications with common random numbers, run in chunks on any backend.

An experiment is a set of *arms* (the baseline, each reform, each point of a
sweep) and a set of replication indices. Replication k of every arm uses the
same derived seed, so every arm sees the same random draws wherever the arms
do not differ (common random numbers; the engine's per-stream seeding keeps a
reform from reshuffling the streams it does not touch).

Rules kept here:

* This module knows nothing about the engine. Running one chunk of
  replications is the job of a *runner* (a picklable callable, in practice
  `sim.runner.run_chunk`), passed in by the caller. That keeps
  `sim.analysis` free of simpy and of `sim.simulation` (style.md 2.2, 2.9).
* A task is a chunk of replication indices for *all* arms, so whatever
  finishes, finishes as complete pairs; Ctrl-C keeps every finished chunk.
* Results are records (compact dicts of numbers), never event logs, and are
  sorted by (replication, arm) whatever order the backend returned them in,
  so the same seeds give the same numbers with any backend or worker count.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BASELINE = "baseline"

SKIPPED_KEYS = frozenset({"series", "per_day"})
"""Metric sub-trees that are time series, not scalars; curves are taken separately."""
TEXT_KEYS = frozenset({"option", "by", "status", "answer"})
"""Metric leaves that hold text (a chosen option, who chose it). Left out of the numbers even
when None (not taken), or a run where a decision never came up would turn them into a
numeric column; the choices are kept apart (`decision_choices`)."""


@dataclass(frozen=True, slots=True)
class Arm:
    """One configuration to replicate: scenario text plus reforms (and sweep settings).

    The scenario travels as YAML text, not a path, so a remote Dask worker
    needs no shared file system; workers parse each distinct arm once.
    """

    name: str
    scenario_text: str
    filename: str = "<scenario>"
    reforms: tuple[str, ...] = ()
    settings: tuple[tuple[str, Any], ...] = ()
    """Sweep parameters of this arm, as (path, value) pairs (already in the text)."""
    setting_texts: tuple[str, ...] = ()
    """The sweep values as the user wrote them (`2h`), in `settings` order."""
    session_inputs: tuple[tuple[float, str, str], ...] = ()
    """Inputs people made in a recorded session (`compare --decisions`), as
    (time, kind, JSON payload) with kind `decision` or `inject`: replayed on every
    seed instead of the modelled policy for the session's human roles."""
    human_roles: tuple[str, ...] = ()
    """Roles the modelled policy leaves to `session_inputs` (the session's players)."""
    forced: tuple[tuple[str, str, float | None], ...] = ()
    """`--decide`: (decision, option, delay or None) taken whenever the decision comes up."""
    patches: tuple[tuple[str, Any], ...] = ()
    """Values set on the raw scenario (after `reforms`) before it is validated, as
    (dotted path, value) pairs: a sensitivity design point. Unlike `settings` they are
    not in `scenario_text`, so thousands of points share one text (parsed once per worker)."""

    @property
    def text_key(self) -> str:
        """The identity of the scenario text and reforms (what a worker parses once)."""
        digest = hashlib.sha256(self.scenario_text.encode()).hexdigest()[:16]
        return f"{digest}:{'+'.join(self.reforms)}"

    @property
    def key(self) -> str:
        """A stable identity for caching the parsed scenario in a worker."""
        if not self.patches:
            return self.text_key
        patched = hashlib.sha256(repr(self.patches).encode()).hexdigest()[:16]
        return f"{self.text_key}:{patched}"


@dataclass(frozen=True, slots=True)
class Task:
    """What one worker call runs: replications `indices` of every arm."""

    arms: tuple[Arm, ...]
    indices: tuple[int, ...]
    master_seed: int
    curve_step_hours: float = 1.0


@dataclass(frozen=True, slots=True)
class Record:
    """The compact result of one replication of one arm."""

    arm: str
    index: int
    seed: int
    metrics: dict[str, float | None]
    """Flattened numeric metrics (`evacuation.completion_hours`); None = did not happen."""
    curve: tuple[float, ...] | None = None
    """People still in danger on the curve grid (hours after T+0), if the scenario moves people."""
    events: int = 0
    choices: dict[str, str | None] = field(default_factory=dict)
    """What was decided and by whom: `decisions.ID.option` and `decisions.ID.by`
    (None when the decision was not taken). Strings, so kept apart from `metrics`."""
    curve_step_hours: float | None = None
    """Hours between the curve's samples (`curve_step`), or None for the set's own step."""


@dataclass
class ReplicationSet:
    """All records of an experiment, sorted by replication then arm order."""

    arms: tuple[Arm, ...]
    master_seed: int
    records: list[Record] = field(default_factory=list)
    requested: int = 0
    interrupted: bool = False
    curve_step_hours: float = 1.0
    failed: str | None = None
    """Why chunks could not be finished (a worker crashed twice), or None; what finished is kept."""

    @property
    def arm_names(self) -> list[str]:
        return [arm.name for arm in self.arms]

    @property
    def indices(self) -> list[int]:
        """Replication indices finished in every arm (complete pairs only)."""
        per_arm = {name: set() for name in self.arm_names}
        for record in self.records:
            per_arm[record.arm].add(record.index)
        common = set.intersection(*per_arm.values()) if per_arm else set()
        return sorted(common)

    @property
    def replications(self) -> int:
        return len(self.indices)

    def add(self, records: Iterable[Record]) -> None:
        order = {name: i for i, name in enumerate(self.arm_names)}
        self.records.extend(records)
        self.records.sort(key=lambda r: (r.index, order[r.arm]))

    def by_arm(self, arm: str) -> list[Record]:
        """Records of one arm for the complete replications, in index order."""
        keep = set(self.indices)
        return [r for r in self.records if r.arm == arm and r.index in keep]

    def values(self, arm: str, metric: str) -> list[float | None]:
        return [r.metrics.get(metric) for r in self.by_arm(arm)]

    def metric_names(self) -> list[str]:
        """Every metric seen in any record, in first-seen order."""
        seen: dict[str, None] = {}
        for record in self.records:
            for name in record.metrics:
                seen.setdefault(name, None)
        return list(seen)

    def choice_names(self) -> list[str]:
        """Every choice column seen in any record (`decisions.ID.option`, `.by`), in first-seen order."""
        seen: dict[str, None] = {}
        for record in self.records:
            for name in record.choices:
                seen.setdefault(name, None)
        return list(seen)

    def seeds(self) -> dict[int, int]:
        return {r.index: r.seed for r in self.records}


# ---------------------------------------------------------------------------
# Pure helpers used by the runner
# ---------------------------------------------------------------------------


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float | None]:
    """Numeric leaves of a nested metrics dict as dotted names.

    Strings (options, statuses) and lists are left out; `None` stays `None`
    (a metric that did not happen). Booleans are not numbers here.
    """
    flat: dict[str, float | None] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if key in SKIPPED_KEYS or (prefix and key in TEXT_KEYS):
            continue
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, name + "."))
        elif value is None:
            flat[name] = None
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float) and math.isfinite(value):
            flat[name] = value
    return flat


def decision_choices(decisions: Mapping[str, Any] | None) -> dict[str, str | None]:
    """`decisions.ID.option` and `decisions.ID.by` of a run's `metrics["decisions"]`.

    `flatten_metrics` keeps numbers only, so without this the chosen options (and
    whether a person or the modelled policy chose) never reached replications.csv.
    """
    out: dict[str, str | None] = {}
    for decision, entry in (decisions or {}).items():
        if not isinstance(entry, Mapping):
            continue
        out[f"decisions.{decision}.option"] = entry.get("option")
        out[f"decisions.{decision}.by"] = entry.get("by")
    return out


SHORT_HORIZON_HOURS = 6.0
"""Scenarios shorter than this (a tsunami's two hours) get their curves sampled every minute."""


def curve_step(horizon_hours: float, step_hours: float) -> float:
    """Hours between curve samples: `step_hours`, or a minute at most for a scenario shorter than
    `SHORT_HORIZON_HOURS`, whose whole movement would otherwise fall between two hourly samples."""
    return min(step_hours, 1 / 60) if horizon_hours < SHORT_HORIZON_HOURS else step_hours


def curve_grid(horizon_hours: float, step_hours: float) -> list[float]:
    """Hours after T+0 at which curves are sampled: 0, step, ..., up to the horizon."""
    count = math.floor(horizon_hours / step_hours + 1e-9) + 1
    return [round(i * step_hours, 6) for i in range(count)]


def resample_step(
    hours: Sequence[float], values: Sequence[float], grid: Sequence[float], before: float
) -> tuple[float, ...]:
    """A step series (value changes at `hours[i]`) read at every grid time.

    Args:
        hours: change times, ascending.
        values: the value from each change time on.
        grid: the times to read at, ascending.
        before: the value before the first change time.
    """
    out: list[float] = []
    i, current = 0, before
    for t in grid:
        while i < len(hours) and hours[i] <= t:
            current = values[i]
            i += 1
        out.append(float(current))
    return tuple(out)


def chunk_indices(indices: Sequence[int], chunk_size: int) -> list[tuple[int, ...]]:
    return [tuple(indices[i : i + chunk_size]) for i in range(0, len(indices), chunk_size)]


def default_chunk_size(replications: int, workers: int, arms: int) -> int:
    """Chunks small enough to balance load and report progress, big enough to
    amortise the per-task cost: about eight tasks per worker, at most 100 runs each."""
    per_task = math.ceil(replications / max(1, workers * 8))
    return max(1, min(per_task, max(1, 100 // max(1, arms))))


ProgressCallback = Callable[[int, int], None]
"""Called with (replications done, replications planned)."""


def run_replications(
    arms: Sequence[Arm],
    indices: Sequence[int],
    *,
    master_seed: int,
    runner: Callable[[Task], list[Record]],
    backend: Any,
    chunk_size: int | None = None,
    curve_step_hours: float = 1.0,
    into: ReplicationSet | None = None,
    progress: ProgressCallback | None = None,
    arms_per_task: int | None = None,
) -> ReplicationSet:
    """Run replications `indices` of every arm on `backend` and collect the records.

    Args:
        arms: the arms; the first is the reference (baseline) arm.
        indices: replication indices to run (replication k uses seed derive(S, k)).
        master_seed: S.
        runner: picklable callable that runs one `Task` and returns its records.
        backend: object with `map_unordered(fn, tasks)` yielding results as they finish
            and `workers` (see `backends.py`).
        chunk_size: replications per task (default: `default_chunk_size`).
        into: an existing set to extend (the precision loop adds batches).
        progress: callback after every finished chunk.
        arms_per_task: split the arms too (a sensitivity design has thousands of
            points): each task runs this many arms; progress then counts runs
            (arm x replication), not complete replications.

    Returns:
        The set, sorted by replication. On Ctrl-C the set holds every finished
        chunk and `interrupted` is True; the KeyboardInterrupt is not re-raised.
        When the backend cannot finish some chunks (`WorkerCrashed`), the set
        holds every finished chunk and `failed` says why.
    """
    from sim.analysis.backends import WorkerCrashed

    result = into if into is not None else ReplicationSet(tuple(arms), master_seed, curve_step_hours=curve_step_hours)
    result.requested += len(indices)
    if arms_per_task:
        size = chunk_size or len(indices)
        groups = [tuple(arms[i : i + arms_per_task]) for i in range(0, len(arms), arms_per_task)]
        done = 0
        planned = len(arms) * len(indices)
    else:
        size = chunk_size or default_chunk_size(len(indices), getattr(backend, "workers", 1), len(arms))
        groups = [tuple(arms)]
        done = result.replications
        planned = done + len(indices)
    tasks = [
        Task(group, chunk, master_seed, curve_step_hours)
        for chunk in chunk_indices(list(indices), size)
        for group in groups
    ]
    if progress:
        progress(done, planned)
    try:
        for records in backend.map_unordered(runner, tasks):
            result.add(records)
            done += len(records) if arms_per_task else len({r.index for r in records})
            if progress:
                progress(done, planned)
    except KeyboardInterrupt:
        result.interrupted = True
    except WorkerCrashed as error:
        result.failed = str(error)
    return result
