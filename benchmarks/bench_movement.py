"""Events per second of the movement model on the bundled tsunami scenario.

Usage: python benchmarks/bench_movement.py [--runs N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.scenario.loader import load_scenario
from sim.simulation import Simulation

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="seeded runs to time (default 20)")
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "tsunami.yaml")
    events = 0
    started = time.perf_counter()
    for seed in range(1, args.runs + 1):
        events += len(Simulation(scenario, seed=seed).run().events)
    elapsed = time.perf_counter() - started
    print(
        f"tsunami: {args.runs} runs, {events:,} events in {elapsed:.3f} s: "
        f"{events / elapsed:,.0f} events/s, {1000 * elapsed / args.runs:.1f} ms per run"
    )


if __name__ == "__main__":
    main()
