"""Time one full default replication beside a bare SimPy loop with as many events.

Prints both figures and their ratio, measured in the same process, so the ratio
is meaningful on any machine. Target (issue 3): a full default replication in at
most 0.2 s on one core.

    python benchmarks/bench_run.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.scenario.bundled import default_scenario
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation


def count_simpy_events(scenario) -> tuple[int, int]:
    """SimPy events processed and model events emitted by one run (untimed)."""
    original = simpy.Environment.step
    steps = 0

    def counting_step(env):
        nonlocal steps
        steps += 1
        original(env)

    simpy.Environment.step = counting_step
    try:
        result = Simulation(scenario, seed=1).run()
    finally:
        simpy.Environment.step = original
    return steps, len(result.events)


def bare_loop(events: int) -> None:
    env = simpy.Environment()

    def ticker():
        for _ in range(events):
            yield env.timeout(1)

    env.process(ticker())
    env.run()


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    scenario = load_scenario(default_scenario())
    simpy_events, model_events = count_simpy_events(scenario)
    seeds = iter(range(10**6))
    full = median_seconds(lambda: Simulation(scenario, seed=next(seeds)).run(), args.repeat)
    bare = median_seconds(lambda: bare_loop(simpy_events), args.repeat)
    print(f"simpy events per run      {simpy_events:,}")
    print(f"model events per run      {model_events:,}")
    print(f"full default replication  {full * 1000:.1f} ms (median of {args.repeat})")
    print(f"bare SimPy loop           {bare * 1000:.1f} ms (same number of events)")
    print(f"ratio                     {full / bare:.1f}x")
    print(f"target <= 200 ms          {'met' if full <= 0.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
