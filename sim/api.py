"""The Python API for notebooks: load, run, replicate, compare, rank assumptions.

```python
import sim
scenario = sim.load_scenario("exercise.yaml")      # a path, or a bundled scenario's name
result = sim.run(scenario, seed=1)                 # one run: RunResult
events = result.events_frame()                     # its event log as a DataFrame
runs = sim.replicate(scenario, n=20)               # one row per replication
table = sim.compare(scenario, reforms=["my_reform"], n=20)  # a reform id of the scenario
```

The command line calls the same functions: `ttxsim compare` and `ttxsim sweep`
build their arms with `reform_arms` and run them with `run_experiment`,
`ttxsim sensitivity` runs `sensitivity_analysis`; the DataFrames here hold the
same numbers as the CLI's JSON and CSV for the same seeds (the tests check it).

pandas (the `analysis` extra) is imported only by the functions that return
DataFrames; `sim.run` and `sim.load_scenario` need nothing extra.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from sim.analysis.replications import Arm, ReplicationSet
    from sim.scenario.schema import Scenario
    from sim.simulation import RunResult

from sim.frames import PANDAS_HINT, events_frame, pandas_module  # noqa: F401 (sim.api.events_frame stays public)


class ExperimentError(ValueError):
    """A request that cannot be run: an unknown reform, metric or decision; one sentence."""


# ---------------------------------------------------------------------------
# Scenarios: names, paths and the text each loaded scenario came from
# ---------------------------------------------------------------------------

_SOURCES: dict[int, tuple[weakref.ref, str, str]] = {}
"""id(scenario) -> (weak reference, YAML text, file name) of scenarios loaded here,
so replications ship the author's own text to workers, not a re-dump."""


def load_scenario(name_or_path: str | Path, reforms: Sequence[str] = ()) -> Scenario:
    """A validated scenario from a bundled scenario's name (e.g. `"tsunami"`) or a YAML file path.

    Args:
        name_or_path: a file path, or the name of a bundled scenario with or
            without `.yaml` (works after a normal, non-editable install).
        reforms: reform ids to apply, in order.

    Raises:
        ScenarioError: the file is missing or invalid (every problem, one per line).
    """
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario_text, read_scenario_text

    path = resolve(name_or_path)
    text = read_scenario_text(path)
    scenario = load_scenario_text(text, str(path), reforms)
    if not reforms:  # with reforms the text is not this scenario's; it is dumped when needed
        _remember(scenario, text, str(path))
    return scenario


def scenario_from_text(text: str, filename: str = "<scenario>", reforms: Sequence[str] = ()) -> Scenario:
    """A validated scenario from YAML text; the API's functions then run exactly this text."""
    scenario = _validated(text, filename, reforms)
    if not reforms:
        _remember(scenario, text, filename)
    return scenario


def _remember(scenario: Scenario, text: str, filename: str) -> None:
    for key in [k for k, (ref, _, _) in _SOURCES.items() if ref() is None]:
        del _SOURCES[key]
    _SOURCES[id(scenario)] = (weakref.ref(scenario), text, filename)


def scenario_source(scenario: Scenario | str | Path) -> tuple[str, str]:
    """(YAML text, file name) for a scenario given as a name, a path or a loaded `Scenario`.

    A `Scenario` built in code (or loaded with reforms) is dumped to YAML; loading
    that text gives an equal scenario, so every arm runs the same model.
    """
    from sim.scenario.schema import Scenario

    if isinstance(scenario, Scenario):
        entry = _SOURCES.get(id(scenario))
        if entry is not None and entry[0]() is scenario:
            return entry[1], entry[2]
        import yaml

        data = scenario.model_dump(
            mode="json", by_alias=True, exclude_unset=True
        )  # unset, not None: a patch may set a value to null
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True), f"<{scenario.scenario.id}>"
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import read_scenario_text

    path = resolve(scenario)
    return read_scenario_text(path), str(path)


def _validated(text: str, filename: str, reforms: Sequence[str] = ()) -> Scenario:
    from sim.scenario.loader import load_scenario_text

    return load_scenario_text(text, filename, reforms)


# ---------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------


def run(
    scenario: Scenario | str | Path,
    *,
    seed: int = 1,
    reforms: Sequence[str] = (),
    decide: Mapping[str, str | tuple[str, str | float | None]] | None = None,
) -> RunResult:
    """One headless run to the horizon with the modelled decision makers.

    Args:
        scenario: a loaded scenario, a bundled name or a path.
        seed: master seed (the same seed gives the same events).
        reforms: reform ids to apply first.
        decide: force choices: `{decision: option}` takes that option whenever the
            decision comes up, after its modelled delay; `{decision: (option, "2h")}`
            after the given delay (minutes or a duration text).

    Returns:
        The `RunResult`: `metrics` as in `ttxsim run --json`, `events`, and
        `events_frame()` for a DataFrame of the event log.
    """
    from sim.simulation import Simulation

    text, filename = scenario_source(scenario)
    model = _validated(text, filename, reforms)
    forced = forced_choices(model, decide)
    kwargs = {"forced": forced} if forced else {}
    return Simulation(model, seed=seed, reforms=reforms, **kwargs).run()


def forced_choices(model: Scenario, decide: Mapping[str, Any] | None) -> dict[str, tuple[str, float | None]]:
    """`decide` as the engine's forced choices {decision: (option, delay minutes or None)}.

    Raises:
        ExperimentError: an unknown decision or option, or an unreadable delay.
    """
    from sim.scenario.types import parse_duration

    if not decide:
        return {}
    options = {d.id: [o.id for o in d.options] for d in model.decisions}
    forced: dict[str, tuple[str, float | None]] = {}
    for decision, choice in decide.items():
        option, delay = (choice, None) if isinstance(choice, str) else tuple(choice)
        if decision not in options:
            raise ExperimentError(f"decide: unknown decision {decision!r}; decisions: {', '.join(options)}")
        if option not in options[decision]:
            raise ExperimentError(
                f"decide: decision {decision!r} has no option {option!r}; options: {', '.join(options[decision])}"
            )
        try:
            minutes = None if delay is None else parse_duration(delay)
        except ValueError as error:
            raise ExperimentError(f"decide: {decision}: {error}") from None
        forced[decision] = (option, minutes)
    return forced


# ---------------------------------------------------------------------------
# Replications: the one way to build arms and run them (CLI and API)
# ---------------------------------------------------------------------------


def reform_arms(text: str, filename: str, reforms: Sequence[str], base_reforms: Sequence[str] = ()) -> list[Arm]:
    """The baseline arm and one arm per reform name (`a+b` combines), each validated.

    Raises:
        ExperimentError: an empty name or `baseline` given as a reform.
        ScenarioError: an unknown reform, or a reform that breaks the scenario.
    """
    from sim.analysis.replications import BASELINE, Arm

    arms = [Arm(BASELINE, text, filename, tuple(base_reforms))]
    for name in dict.fromkeys(reforms):
        parts = tuple(part.strip() for part in name.split("+") if part.strip())
        if not parts:
            raise ExperimentError(f"reform {name!r}: give a reform name")
        if name == BASELINE:
            raise ExperimentError("reform 'baseline': the baseline arm is always run; name a reform")
        _validated(text, filename, parts)  # unknown reform -> ScenarioError
        arms.append(Arm(name, text, filename, parts))
    return arms


def with_forced(arms: Sequence[Arm], forced: Mapping[str, tuple[str, float | None]]) -> list[Arm]:
    """The arms with the same forced choices in each (`decide=` / `--decide`)."""
    import dataclasses

    if not forced:
        return list(arms)
    items = tuple((d, o, t) for d, (o, t) in sorted(forced.items()))
    return [dataclasses.replace(arm, forced=items) for arm in arms]


@dataclass
class Precision:
    """`--precision`: add replications until every metric's widest 95 % half-width is within its target."""

    targets: dict[str, float]
    cap: int
    reached: dict[str, Any] = field(default_factory=dict)


def run_experiment(
    arms: Sequence[Arm],
    n: int,
    *,
    seed: int,
    backend: Any,
    progress: Callable[[int, int], None] | None = None,
    precision: Precision | None = None,
    arms_per_task: int | None = None,
) -> ReplicationSet:
    """Replications 0..n-1 of every arm (paired: common random numbers), then, with
    `precision`, more in batches until each target is met or the cap is reached
    (what happened is left in `precision.reached`)."""
    from sim.analysis.compare import next_batch, widest_half_width
    from sim.analysis.replications import run_replications
    from sim.runner import run_chunk

    kwargs = {"master_seed": seed, "runner": run_chunk, "backend": backend, "progress": progress}
    rs = run_replications(arms, range(n), arms_per_task=arms_per_task, **kwargs)
    if precision is None or rs.interrupted or rs.failed:
        return rs
    minimum = max(10, 2 * backend.workers)
    while not rs.interrupted and not rs.failed:
        more = max(
            next_batch(rs, m, t, minimum=minimum, maximum_total=precision.cap) for m, t in precision.targets.items()
        )
        if more <= 0:
            break
        start = max(rs.indices) + 1
        rs = run_replications(arms, range(start, start + more), into=rs, **kwargs)
    per_metric = {}
    for metric, target in precision.targets.items():
        width = widest_half_width(rs, metric)
        per_metric[metric] = {
            "target_half_width": target,
            "half_width": width,
            "reached": width is not None and width <= target,
        }
    first = next(iter(per_metric))
    precision.reached = {
        "metric": first,
        **per_metric[first],
        "reached": all(entry["reached"] for entry in per_metric.values()),
        "max_replications": precision.cap,
        "metrics": per_metric,
    }
    return rs


def _backend(backend: str, jobs: int | None):
    from sim.analysis.backends import make_backend

    return make_backend(backend, jobs)


def replications_frame(rs: ReplicationSet, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The replications.csv table as a DataFrame (the same columns, None as NaN/None)."""
    from sim.analysis.compare import ordered_metrics
    from sim.analysis.outputs import replication_rows

    pd = pandas_module()
    names = ordered_metrics(rs.metric_names()) if metrics is None else list(metrics)
    header, rows = replication_rows(rs, names)
    frame = pd.DataFrame(rows, columns=header)
    for name in names:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    return frame


def comparison_frame(payload: Mapping[str, Any]) -> pd.DataFrame:
    """The `ttxsim compare --json` payload as one row per (metric, arm).

    Columns: metric, arm, mean, sd, ci95_low, ci95_high, n, missing, and for every
    arm but the first the paired difference from it: diff_mean, diff_sd,
    diff_ci95_low, diff_ci95_high, diff_n, better_share, worse_share.
    """
    pd = pandas_module()
    rows = []
    for metric, entry in payload["metrics"].items():
        for arm, row in entry.items():
            ci = row.get("ci95") or [None, None]
            out = {
                "metric": metric,
                "arm": arm,
                "mean": row["mean"],
                "sd": row["sd"],
                "ci95_low": ci[0],
                "ci95_high": ci[1],
                "n": row["n"],
                "missing": row["missing"],
            }
            diff = row.get("difference")
            if diff is not None:
                dci = diff.get("ci95") or [None, None]
                out.update(
                    diff_mean=diff["mean"],
                    diff_sd=diff["sd"],
                    diff_ci95_low=dci[0],
                    diff_ci95_high=dci[1],
                    diff_n=diff["n"],
                    better_share=diff["better_share"],
                    worse_share=diff["worse_share"],
                )
            rows.append(out)
    columns = ["metric", "arm", "mean", "sd", "ci95_low", "ci95_high", "n", "missing"]
    columns += ["diff_mean", "diff_sd", "diff_ci95_low", "diff_ci95_high", "diff_n", "better_share", "worse_share"]
    frame = pd.DataFrame(rows, columns=columns)
    for name in columns[2:]:
        kind = "Int64" if name in ("n", "missing", "diff_n") else float  # counts stay whole numbers
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(kind)
    frame.attrs.update({k: v for k, v in payload.items() if k != "metrics"})
    return frame


def replicate(
    scenario: Scenario | str | Path,
    n: int = 100,
    *,
    seed: int = 1,
    reforms: Sequence[str] = (),
    decide: Mapping[str, Any] | None = None,
    jobs: int | None = 1,
    backend: str = "local",
) -> pd.DataFrame:
    """`n` replications of one configuration: one row per replication.

    Columns as replications.csv: replication, seed, arm, events, every numeric
    metric (NaN = did not happen), then each decision's chosen option and who
    chose it (`decisions.ID.option`, `decisions.ID.by`). Replication k uses the
    seed `ttxsim compare --seed SEED` gives replication k, so the rows equal the
    baseline rows of that command.
    """
    from sim.analysis.replications import BASELINE, Arm

    text, filename = scenario_source(scenario)
    model = _validated(text, filename, reforms)
    arms = with_forced([Arm(BASELINE, text, filename, tuple(reforms))], forced_choices(model, decide))
    with _backend(backend, jobs) as runner:
        rs = run_experiment(arms, n, seed=seed, backend=runner)
    _raise_if_incomplete(rs)
    frame = replications_frame(rs)
    frame.attrs.update({"scenario": model.scenario.id, "seed": seed, "reforms": list(reforms)})
    return frame


def compare(
    scenario: Scenario | str | Path,
    reforms: Sequence[str] = (),
    n: int = 100,
    *,
    seed: int = 1,
    decide: Mapping[str, Any] | None = None,
    metrics: Sequence[str] | None = None,
    jobs: int | None = 1,
    backend: str = "local",
) -> pd.DataFrame:
    """Baseline versus each reform over `n` paired replications: one row per (metric, arm).

    The numbers are those of `ttxsim compare --reform ... -n N --seed SEED --json`
    (see `comparison_frame` for the columns); `frame.attrs` holds scenario,
    seed and replications. `metrics` keeps only those metrics (default: all).
    """
    from sim.analysis.compare import MetricTraits
    from sim.analysis.compare import compare as compare_payload

    text, filename = scenario_source(scenario)
    model = _validated(text, filename)
    arms = with_forced(reform_arms(text, filename, reforms), forced_choices(model, decide))
    with _backend(backend, jobs) as runner:
        rs = run_experiment(arms, n, seed=seed, backend=runner)
    _raise_if_incomplete(rs)
    payload = {
        "scenario": model.scenario.id,
        "seed": seed,
        **compare_payload(rs, metrics, traits=MetricTraits.of(model)),
    }
    return comparison_frame(payload)


def _raise_if_incomplete(rs: ReplicationSet) -> None:
    if rs.interrupted:
        raise KeyboardInterrupt
    if rs.failed:
        raise RuntimeError(rs.failed)


# ---------------------------------------------------------------------------
# Sensitivity of assumptions (`ttxsim sensitivity`)
# ---------------------------------------------------------------------------

DEFAULT_TRAJECTORIES = 10
"""Morris trajectories by default: r(k+1) runs; 10 is the usual screening size."""
DEFAULT_SOBOL_BASE = 64
"""Sobol base sample by default (a power of two): n(k+2) runs, so name a subset with --params."""
HEADLINE_TIME_METRICS = ("evacuation.finished_hours", "clearance_hours")
"""The default metric when the scenario has it: islands cleared, hours after T+0."""


@dataclass
class SensitivityResult:
    """What `sensitivity_analysis` produced: the JSON payload and the tables behind it."""

    payload: dict[str, Any]
    parameters: list[Any]
    design: Any
    """The design matrix (numpy), one row per point, one column per parameter."""
    means: dict[str, list[float]]
    """Per metric, the mean over replications at each design point (NaN: never happened)."""
    missing: dict[str, list[int]]
    rs: ReplicationSet | None

    def ranking_frame(self) -> pd.DataFrame:
        """One row per (metric, parameter), most influential first within each metric."""
        pd = pandas_module()
        rows = []
        for metric, entry in self.payload["metrics"].items():
            for rank, row in enumerate(entry.get("ranking") or [], 1):
                rows.append({"metric": metric, "rank": rank, **row})
        return pd.DataFrame(rows)

    def design_frame(self) -> pd.DataFrame:
        """One row per design point: the factor of every parameter, then each metric's mean and missing count."""
        pd = pandas_module()
        return pd.DataFrame(design_rows(self)[1], columns=design_rows(self)[0])


def design_rows(result: SensitivityResult) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of the design table (design.csv)."""
    header = ["point", *[p.path for p in result.parameters]]
    for metric in result.means:
        header += [f"{metric} (mean)", f"{metric} (missing)"]
    rows = []
    for i, row in enumerate(result.design):
        out: list[Any] = [i, *[round(float(v), 9) for v in row]]
        for metric in result.means:
            mean = result.means[metric][i] if i < len(result.means[metric]) else None
            out += [None if mean is None or mean != mean else round(mean, 6), result.missing[metric][i]]
        rows.append(out)
    return header, rows


def default_metric(model: Scenario, names: Sequence[str]) -> str:
    """The scenario's headline time metric: islands cleared after T+0, else its first own metric.

    Raises:
        ExperimentError: neither exists (the message lists a few metrics to choose from).
    """
    for name in HEADLINE_TIME_METRICS:
        if name in names:
            return name
    for metric in getattr(model, "metrics", None) or []:
        if metric.id in names:
            return metric.id
    sample = ", ".join(n for n in names if n.endswith("_hours"))[:300]
    raise ExperimentError(f"this scenario has no headline time metric; name one with --metric (e.g. {sample})")


def sensitivity_analysis(
    scenario: Scenario | str | Path,
    *,
    method: str = "morris",
    metrics: Sequence[str] = (),
    params: Sequence[str] = (),
    exclude: Sequence[str] = (),
    n: int | None = None,
    replications: int = 1,
    seed: int = 1,
    reforms: Sequence[str] = (),
    jobs: int | None = 1,
    backend: Any = "local",
    progress: Callable[[int, int], None] | None = None,
    censor: bool | None = False,
) -> SensitivityResult:
    """Rank the scenario's assumptions by their effect on `metrics` (Morris or Sobol, SALib).

    Args:
        method: `morris` (screening: mu*, sigma) or `sobol` (S1, ST with 95 % intervals).
        metrics: metric names (default: the headline time metric).
        params: globs over parameter paths (default: every assumption).
        exclude: globs of parameters to leave as written.
        n: Morris trajectories (default 10) or the Sobol base sample (default 64,
            rounded up to a power of two).
        replications: runs per design point; point p, replication k uses the seed
            of replication k at every point (common random numbers).
        backend: `local`, `dask`, or a backend object (`sim.analysis.backends`).
        censor: an hours metric that did not happen in a run (the run reached its
            horizon first) counts as the horizon in hours after T+0, a lower bound;
            the payload counts such runs (`censored_runs`). Without it, a metric that
            did not happen at some design point gets no indices. None (the CLI's
            default): censor only an hours metric that would otherwise get no indices.

    Raises:
        ExperimentError: no parameters, an unknown metric, a glob that matches nothing,
            or a range that makes the scenario invalid.
    """
    import time

    from sim.analysis import sensitivity as sa
    from sim.analysis.replications import Arm
    from sim.runner import metric_names, replication_seed

    if method not in sa.METHODS:
        raise ExperimentError(f"unknown method {method!r} (choose {' or '.join(sa.METHODS)})")
    try:
        sa.require_salib()
    except sa.SensitivityError as error:
        raise ExperimentError(str(error)) from None
    started = time.perf_counter()
    text, filename = scenario_source(scenario)
    model = _validated(text, filename, reforms)
    raw = sa.base_raw(text, filename, reforms)
    try:
        parameters = sa.select(sa.find_parameters(model, raw), params, exclude)
    except sa.SensitivityError as error:
        raise ExperimentError(str(error)) from None
    if not parameters:
        raise ExperimentError(f"{filename}: no number in this scenario is marked as an assumption: to vary")

    # ~0.4 s: learn the metric names before the design, as compare does (`critical_path.*` too)
    names = metric_names([Arm("probe", text, filename, tuple(reforms))], replication_seed(seed, 0))
    chosen = list(dict.fromkeys(metrics)) or [default_metric(model, names)]
    for metric in chosen:
        if metric not in names:
            from sim.analysis.metric_names import unknown_metric

            raise ExperimentError(unknown_metric(metric, names))
    try:
        sa.check_extremes(raw, parameters, filename)
    except sa.SensitivityError as error:
        raise ExperimentError(str(error)) from None
    size = n or (DEFAULT_TRAJECTORIES if method == "morris" else DEFAULT_SOBOL_BASE)
    x = sa.design(method, parameters, size, seed)
    arms = [
        Arm(f"p{i}", text, filename, tuple(reforms), patches=sa.point_patches(raw, parameters, row))
        for i, row in enumerate(x)
    ]
    owned = isinstance(backend, str)
    runner = _backend(backend, jobs) if owned else backend
    try:
        per_task = max(1, min(50, len(arms) // max(1, runner.workers * 8)))
        rs = run_experiment(arms, replications, seed=seed, backend=runner, progress=progress, arms_per_task=per_task)
    finally:
        if owned:
            runner.close()
    values: dict[str, dict[str, list[float | None]]] = {m: {} for m in chosen}
    keep = set(rs.indices)
    for record in rs.records:
        if record.index in keep:
            for metric in chosen:
                values[metric].setdefault(record.arm, []).append(record.metrics.get(metric))
    means, missing, out = {}, {}, {}
    complete = not rs.interrupted and not rs.failed and rs.replications == replications
    for metric in chosen:
        per_point = [values[metric].get(arm.name, []) for arm in arms]
        censor_at = round(model.scenario.horizon / 60.0, 4) if censor and metric.endswith("_hours") else None
        means[metric], missing[metric] = sa.point_means(per_point, censor_at)
        if censor is None and metric.endswith("_hours") and any(v != v for v in means[metric]):
            censor_at = round(model.scenario.horizon / 60.0, 4)  # auto: rather a lower bound than no indices
            means[metric], missing[metric] = sa.point_means(per_point, censor_at)
        never = sum(1 for v in means[metric] if v != v)
        entry: dict[str, Any] = {"missing_points": never, "missing_runs": sum(missing[metric])}
        if censor_at is not None:
            entry["censored_runs"] = sum(missing[metric])
            entry["censored_at_hours"] = censor_at
            if entry["censored_runs"]:
                entry["note"] = (
                    f"in {entry['censored_runs']} of {len(rs.records)} runs the metric did not happen before the "
                    f"horizon and counts as {censor_at:g} h (a lower bound)"
                )
        if not complete:
            entry["note"] = "the design did not finish; no indices"
        elif never:
            entry["note"] = (
                f"the metric did not happen at {never} of {len(arms)} design points; no indices "
                "(add --censor to count such runs as the horizon, choose a metric that always happens, "
                "or narrow the ranges)"
            )
        else:
            entry["ranking"] = sa.analyze(method, parameters, x, means[metric], seed)
        out[metric] = entry
    title = (
        f"{model.scenario.title}: {method.capitalize()} sensitivity of {len(parameters)} assumptions, "
        f"{len(arms)} design points x {replications} replication{'s' if replications != 1 else ''}, "
        f"master seed {seed}"
    )
    payload = {
        "scenario": model.scenario.id,
        "title": title,
        "method": method,
        "seed": seed,
        "reforms": list(reforms),
        "n": size if method == "morris" else sa.sobol_base(size),
        "replications": replications,
        "points": len(arms),
        "runs": len(rs.records),
        "parameters": [p.as_dict() for p in parameters],
        "metrics": out,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if rs.interrupted:
        payload["interrupted"] = True
    if rs.failed:
        payload["failed"] = rs.failed
    return SensitivityResult(payload, parameters, x, means, missing, rs)


sensitivity = sensitivity_analysis
"""`sim.sensitivity(scenario, method=..., params=[...], n=...)`: the notebook name of `sensitivity_analysis`."""
