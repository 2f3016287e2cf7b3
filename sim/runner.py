"""The replication worker: one chunk of paired replications run in a worker process or on a
Dask worker, handed back as compact records.

This is the one place where the analysis meets the engine: `run_chunk` builds `Simulation`s
and returns `Record`s; `sim.analysis` never imports the engine. It sits below both doors
that use it, the Python API (`sim.api`) and the command line (`sim.commands.analysis`), so
neither imports the other.
"""

from __future__ import annotations

from typing import Any

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


def movement_curve(scenario, events, grid: list[float]) -> tuple[float, ...] | None:
    """People still in danger (neither safe nor caught) at each grid hour after T+0, from the run's
    `cohort_arrived` and `people_exposed` events; None for a scenario without a movement network."""
    from sim.analysis.curves import in_danger_steps
    from sim.analysis.replications import resample_step

    steps = in_danger_steps(scenario, events)
    if steps is None:
        return None
    hours, left = steps
    return resample_step(hours, left, grid, left[0])


def run_chunk(task) -> list:
    """Run replications `task.indices` of every arm; return one `Record` per run."""
    from sim.analysis.replications import Record, curve_grid, curve_step, decision_choices

    _crash_hook(task)
    records = []
    scenarios = [(arm, _scenario_for(arm)) for arm in task.arms]
    for index in task.indices:
        seed = replication_seed(task.master_seed, index)
        for arm, scenario in scenarios:
            result = run_arm(arm, seed, scenario)
            horizon = scenario.scenario.horizon / 60.0
            step = curve_step(horizon, task.curve_step_hours)
            grid = curve_grid(horizon, step)
            curve = movement_curve(scenario, result.events, grid)
            flat = recorded_metrics(scenario, result)
            choices = decision_choices(result.metrics.get("decisions"))
            records.append(Record(arm.name, index, seed, flat, curve, len(result.events), choices, step))
    return records


def recorded_metrics(scenario, result) -> dict[str, float | None]:
    """The numbers a replication records of one run: its metrics flattened, and where the hours
    of its headline went, per kind (`critical_path.KIND_hours`)."""
    from sim.analysis.explain import segment_metrics
    from sim.analysis.replications import flatten_metrics

    flat = flatten_metrics(result.metrics)
    flat.update(segment_metrics(scenario, result.events))
    return flat


def metric_names(arms, seed: int, wanted=()) -> list[str]:
    """The metrics replications of `arms` record, from one run of the first arm on `seed` (and one of
    each further arm while some name in `wanted` is still missing: a reform may add a decision).
    Every run of an arm records the same names (a metric that did not happen is there as a miss),
    so this is what `--metric` may name, known before the replications start (~0.1-0.5 s a run)."""
    names: dict[str, None] = {}
    for number, arm in enumerate(arms):
        if number and all(name in names for name in wanted):
            break
        scenario = _scenario_for(arm)
        names.update(dict.fromkeys(recorded_metrics(scenario, run_arm(arm, seed, scenario))))
    return list(names)


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
