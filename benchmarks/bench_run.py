"""Time one full replication (of the default scenario, or another) beside a bare SimPy loop with as many events.

Prints both figures and their ratio, measured in the same process and
interleaved (one full run, then one bare loop, repeated), so a burst of load on
a shared machine slows both alike and the ratio stays meaningful on any
machine. The ratio is the engine's cost per SimPy event against SimPy's own:
dropping cheap events does not lower it (the bare loop shrinks too); less work,
Python overhead and allocation per event do. Targets: a full default replication in at most 0.2 s on one core
(issue 3); at most 9.0x the bare loop, goal 2x (issue 11).

    python benchmarks/bench_run.py [--repeat 21] [--scenario NAME_OR_FILE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.scenario.bundled import resolve
from sim.scenario.loader import load_scenario
from sim.scenario.problems import ScenarioError
from sim.simulation import Simulation


@contextmanager
def counting_simpy_steps() -> Iterator[list[int]]:
    """Count every SimPy step taken inside the block: yields a one-item list holding the count
    (the engine's loop looks `simpy.Environment.step` up when a run starts, so it sees the wrapper)."""
    original = simpy.Environment.step
    count = [0]

    def counting_step(env):
        count[0] += 1
        original(env)

    simpy.Environment.step = counting_step
    try:
        yield count
    finally:
        simpy.Environment.step = original


def count_simpy_events(scenario) -> tuple[int, int]:
    """SimPy events processed and model events emitted by one run (untimed)."""
    with counting_simpy_steps() as steps:
        result = Simulation(scenario, seed=1).run()
    return steps[0], len(result.events)


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
    parser.add_argument(
        "--repeat", type=int, default=21, help="timed pairs; the medians steady as it grows (default 21)"
    )
    parser.add_argument(
        "--scenario", metavar="NAME_OR_FILE", help="a bundled scenario's name or a scenario file (default: the default)"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        scenario = load_scenario(resolve(args.scenario))
    except ScenarioError as error:
        parser.exit(2, f"{parser.prog}: {error}\n")
    simpy_events, model_events = count_simpy_events(scenario)
    seeds = iter(range(10**6))
    full, bare = interleaved_medians(
        lambda: Simulation(scenario, seed=next(seeds)).run(), lambda: bare_loop(simpy_events), args.repeat
    )
    print(f"simpy events per run      {simpy_events:,}")
    print(f"model events per run      {model_events:,}")
    print(f"full default replication  {full * 1000:.1f} ms (median of {args.repeat})")
    print(f"bare SimPy loop           {bare * 1000:.1f} ms (same number of events)")
    print(
        f"per SimPy event           {full / simpy_events * 1e6:.2f} us (bare loop {bare / simpy_events * 1e6:.2f} us)"
    )
    print(f"ratio                     {full / bare:.1f}x")
    print(f"target <= 200 ms          {'met' if full <= 0.2 else 'NOT met'}")
    print(f"target <= 9.0x            {'met' if full / bare <= 9.0 else 'NOT met'} (goal 2x)")


if __name__ == "__main__":
    main()
