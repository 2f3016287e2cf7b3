"""Time the evacuation model alone for the full default population.

Usage: python benchmarks/bench_evacuation.py [runs]

Prints the median wall time per run (construction + simulation until everyone
has reached a host prefecture or home) and the number of SimPy events one run
processes. Budget: well under 0.15 s on one core (a replication is 0.2 s).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import simpy
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.domain.evacuation import Evacuation
from sim.engine.streams import RandomStreams
from sim.scenario.evacuation import EvacuationConfig

PART = Path(__file__).resolve().parents[1] / "scenarios" / "sakishima.yaml"
START = 360.0
HORIZON = START + 21 * 1440.0


class CountingEnvironment(simpy.Environment):
    """Counts processed events (used for one extra run only, so timing stays clean)."""

    steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


def one_run(config: EvacuationConfig, env: simpy.Environment, seed: int) -> tuple[Evacuation, int]:
    emitted = []
    model = Evacuation(env, config, RandomStreams(seed), lambda kind, source, target=None, **data: emitted.append(kind))
    model.start_voluntary_departures()
    for municipality in model.municipalities:
        model.start_movement(municipality)
    env.run(until=HORIZON)
    return model, len(emitted)


def main(runs: int = 5) -> None:
    config = EvacuationConfig.model_validate(yaml.safe_load(PART.read_text(encoding="utf-8"))["evacuation"])
    times = []
    for seed in range(runs):
        began = time.perf_counter()
        model, emitted = one_run(config, simpy.Environment(initial_time=START), seed + 1)
        times.append(time.perf_counter() - began)
        assert model.complete
    counting = CountingEnvironment(initial_time=START)
    model, emitted = one_run(config, counting, 1)
    metrics = model.metrics()
    print(f"population        {metrics['population']:,}")
    print(f"completion        {metrics['completion_hours']:.1f} h")
    print(
        f"time per run      {statistics.median(times) * 1000:.1f} ms (median of {runs}; "
        f"min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"
    )
    print(f"simpy events      {counting.steps:,}")
    print(f"emitted events    {emitted:,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
