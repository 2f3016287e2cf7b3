"""Sakishima's calibration figures on the movement network: the bundled scenario, and any other files.

For the bundled scenarios/sakishima.yaml, then each `--files` file (a Sakishima variant with the
same reforms and links): mean completion (movement start to the last evacuee off the islands) over
seeds of the `unthreatened` variant, each airport's and the sea lift's people a full day against
the plan, and the `peacetime_capacity` variant's completion in days; plus SimPy events and
milliseconds a run.

    python benchmarks/sakishima_calibration.py [--seeds 30] [--files A.yaml B.yaml]

Acceptance (issue 11): mean completion 120-168 h over 30 seeds; every hub within 5 % of the
plan; the peacetime variant 12-14 days.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_run import counting_simpy_steps  # noqa: E402  (this folder is on the path when run as a script)

from sim.engine.clock import Clock  # noqa: E402
from sim.events import Kind  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402
from sim.simulation import Simulation  # noqa: E402

PLAN_DAILY = {"ishigaki_air": 10485, "miyako_air": 6645, "shimojishima_air": 2832, "ishigaki_sea": 420}
"""People a day each hub carries in the municipal plan (facts §1.5)."""

NETWORK_HUBS = {
    "ishigaki_air": ("ishigaki_air_b787", "ishigaki_air_b737"),
    "miyako_air": ("miyako_air_b787", "miyako_air_b737"),
    "shimojishima_air": ("shimojishima_air",),
    "ishigaki_sea": ("ishigaki_sea",),
}
"""The links that make up each of the plan's lifts (an airport's aircraft types, the chartered ships)."""

DAY = 1440.0
BUNDLED = ROOT / "scenarios" / "sakishima.yaml"


def network_figures(scenario, result) -> tuple[float | None, dict[str, float | None]]:
    """Completion hours and each hub's mean people per full day, from the network's events."""
    offset = Clock(scenario.scenario.start).offset
    completed = next((e for e in result.events if e.kind == Kind.movement_completed), None)
    start = next((e.time for e in result.events if e.kind == Kind.movement_started), None)
    hours = completed.data["hours"] if completed is not None else None
    hub_of = {link: hub for hub, links in NETWORK_HUBS.items() for link in links}
    daily: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for e in result.events:
        if e.kind == Kind.cohort_departed and e.data["link"] in hub_of:
            daily[hub_of[e.data["link"]]][math.floor((e.time + offset) / DAY)] += e.data["people"]
    return hours, {hub: _full_day_mean(daily.get(hub, {}), start, offset) for hub in NETWORK_HUBS}


def _full_day_mean(daily: dict[int, int], start: float | None, offset: float) -> float | None:
    """As the island model: calendar days after the movement's first day and before the last day anyone left."""
    if not daily:
        return None
    first, last = min(daily), max(daily)
    if start is not None:
        first = max(first, math.floor((start + offset) / DAY))
    full = [daily.get(d, 0) for d in range(first + 1, last)]
    return sum(full) / len(full) if full else None


def run_counted(scenario, seed: int):
    """One run, its SimPy event count and its wall time in ms."""
    with counting_simpy_steps() as steps:
        began = time.perf_counter()
        result = Simulation(scenario, seed=seed).run()
        elapsed = (time.perf_counter() - began) * 1000.0
    return result, steps[0], elapsed


def report(path: Path, seeds: int) -> None:
    scenario = load_scenario(path, reforms=["unthreatened"])
    if scenario.movement is None:
        raise SystemExit(f"{path} has no movement network (`movement:`); nothing to calibrate.")
    completions, clearances, per_hub, steps, ms = [], [], defaultdict(list), [], []
    for seed in range(seeds):
        result, n, elapsed = run_counted(scenario, seed)
        hours, hubs = network_figures(scenario, result)
        completions.append(hours)
        clearances.append(result.metrics.get("clearance_hours"))
        for hub, value in hubs.items():
            if value is not None:
                per_hub[hub].append(value)
        steps.append(n)
        ms.append(elapsed)
    done = [h for h in completions if h is not None]
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"{shown}  ({seeds} seeds of 'unthreatened')")
    if done:
        print(
            f"  completion: mean {statistics.mean(done):.1f} h, median {statistics.median(done):.1f}, "
            f"min {min(done):.1f}, max {max(done):.1f} ({len(done)}/{seeds} completed)  target 120-168"
        )
        over = [f"{seed} ({h:.1f} h)" for seed, h in enumerate(completions) if h is not None and h > 168]
        print(f"  seeds above the plan's 168 h: {', '.join(over) or 'none'}")
    cleared = [h for h in clearances if h is not None]
    if cleared:
        print(f"  clearance from T+0: mean {statistics.mean(cleared):.1f} h ({len(cleared)}/{seeds} runs)")
    for hub, planned in PLAN_DAILY.items():
        values = per_hub.get(hub)
        if values:
            mean = statistics.mean(values)
            print(f"  {hub:18} {mean:8.0f} a full day  plan {planned:6}  {100 * (mean / planned - 1):+5.1f} %")
        else:
            print(f"  {hub:18} no full day")
    peace = load_scenario(path, reforms=["unthreatened", "peacetime_capacity"])
    days = []
    for seed in range(min(seeds, 5)):
        hours, _hubs = network_figures(peace, Simulation(peace, seed=seed).run())
        if hours is not None:
            days.append(hours / 24.0)
    if days:
        print(f"  peacetime_capacity: {statistics.mean(days):.1f} days (mean of {len(days)} seeds)  target 12-14")
    print(f"  SimPy events a run: {statistics.mean(steps):,.0f}; {statistics.median(ms):.0f} ms a run (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--files", nargs="+", type=Path, default=[], help="further Sakishima files to measure")
    args = parser.parse_args()
    for path in dict.fromkeys([BUNDLED, *(p.resolve() for p in args.files)]):
        report(path, args.seeds)


if __name__ == "__main__":
    main()
