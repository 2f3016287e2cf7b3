"""Speed of the movement model on the bundled scenarios that use it (the tsunami and Sakishima).

Usage: python benchmarks/bench_movement.py [--runs N] [--scenario NAME]...

For each scenario: model events a second, milliseconds a run (whole runs: the
decision chain and the movement together), and, from one extra counted run,
the SimPy events a run processes. For Sakishima it also prints the movement's
completion (movement start to the last evacuee off the islands) of the
`unthreatened` variant, the run the island model's own benchmark used to time:
the whole population moved with no closures, so the network's pace alone
(`sakishima_calibration.py` checks that pace against the plan).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_run import counting_simpy_steps  # noqa: E402  (this folder is on the path when run as a script)

from sim.scenario.bundled import resolve  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402
from sim.simulation import Simulation  # noqa: E402

VARIANTS = {"sakishima": ("unthreatened",)}
"""Reforms each scenario is timed under (none for the others)."""


def time_runs(scenario, runs: int) -> tuple[list[float], int, object]:
    """Wall seconds of each seeded run, the model events of all of them, and the last result."""
    times, events, result = [], 0, None
    for seed in range(1, runs + 1):
        began = time.perf_counter()
        result = Simulation(scenario, seed=seed).run()
        times.append(time.perf_counter() - began)
        events += len(result.events)
    return times, events, result


def report(name: str, runs: int) -> None:
    reforms = VARIANTS.get(name, ())
    scenario = load_scenario(resolve(name), reforms=list(reforms))
    times, events, result = time_runs(scenario, runs)
    with counting_simpy_steps() as steps:
        Simulation(scenario, seed=1).run()
    label = name + (f" ({'+'.join(reforms)})" if reforms else "")
    print(
        f"{label}: {runs} runs, {events:,} events in {sum(times):.3f} s: {events / sum(times):,.0f} events/s, "
        f"{1000 * statistics.median(times):.1f} ms per run (median; min {1000 * min(times):.1f}, "
        f"max {1000 * max(times):.1f}); {steps[0]:,} SimPy events a run"
    )
    movement = result.metrics.get("movement") or {}
    if movement:
        print(
            f"  people {movement.get('population', 0):,}: moved {movement.get('moved', 0):,}, "
            f"exposed {movement.get('exposed', 0):,} (seed {runs})"
        )
    completion = result.metrics.get("evacuation.completion_hours")
    if completion is not None:
        print(f"  movement start to the last evacuee off the islands: {completion:.1f} h (seed {runs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="seeded runs to time per scenario (default 20)")
    parser.add_argument(
        "--scenario", action="append", default=[], help="bundled scenario (repeatable; default tsunami and sakishima)"
    )
    args = parser.parse_args()
    for name in args.scenario or ["tsunami", "sakishima"]:
        report(name, args.runs)


if __name__ == "__main__":
    main()
