"""Time one full default replication beside a bare SimPy loop with as many events.

Prints both figures and their ratio, measured in the same process and
interleaved (one full run, then one bare loop, repeated), so a burst of load on
a shared machine slows both alike and the ratio stays meaningful on any
machine. Targets: a full default replication in at most 0.2 s on one core
(issue 3); at most 9.0x the bare loop, goal 2x (issue 11).

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


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved_medians(first, second, repeat: int) -> tuple[float, float]:
    """Median seconds of `first` and of `second`, timed alternately."""
    a, b = [], []
    for _ in range(repeat):
        a.append(seconds(first))
        b.append(seconds(second))
    return statistics.median(a), statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    scenario = load_scenario(default_scenario())
    simpy_events, model_events = count_simpy_events(scenario)
    seeds = iter(range(10**6))
    full, bare = interleaved_medians(
        lambda: Simulation(scenario, seed=next(seeds)).run(), lambda: bare_loop(simpy_events), args.repeat
    )
    print(f"simpy events per run      {simpy_events:,}")
    print(f"model events per run      {model_events:,}")
    print(f"full default replication  {full * 1000:.1f} ms (median of {args.repeat})")
    print(f"bare SimPy loop           {bare * 1000:.1f} ms (same number of events)")
    print(f"ratio                     {full / bare:.1f}x")
    print(f"target <= 200 ms          {'met' if full <= 0.2 else 'NOT met'}")
    print(f"target <= 9.0x            {'met' if full / bare <= 9.0 else 'NOT met'} (goal 2x)")


if __name__ == "__main__":
    main()
