"""Replication throughput of the default scenario: prints measured figures.

    python benchmarks/bench_replications.py [SCENARIO] [--n 100] [--paired 1000] [--reform NAME]

1. replications/second on 1 and on 2 processes (ratio measured in this run);
2. N paired replications (baseline + one reform) on 2 processes, wall time;
3. time per replication beside a bare SimPy loop with the same number of
   SimPy events (the engine's own overhead per event);
4. cost of a 10x larger population (every population's `people` and its
   turnout's `per_hour` in the movement network scaled by 10 in the raw
   scenario, so the same hours of turnout bring ten times the people)
   relative to the default; it should grow with vehicles moved, not with
   people.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.analysis.backends import InlineBackend, ProcessBackend  # noqa: E402
from sim.analysis.replications import Arm, run_replications  # noqa: E402
from sim.events import Kind  # noqa: E402
from sim.runner import replication_seed, run_chunk  # noqa: E402
from sim.scenario.bundled import resolve  # noqa: E402
from sim.scenario.loader import load_raw, load_scenario_text  # noqa: E402


def throughput(arms, n, backend, seed=1):
    start = time.perf_counter()
    rs = run_replications(arms, range(n), master_seed=seed, runner=run_chunk, backend=backend)
    elapsed = time.perf_counter() - start
    assert rs.replications == n
    return elapsed, rs


def scaled_text(text, filename, factor):
    """The scenario with every movement population (and its turnout rate) `factor` times larger."""
    raw, _ = load_raw(text, filename)
    for population in (raw.get("movement") or {}).get("populations") or []:
        population["people"] = int(population["people"]) * factor
        turnout = population.get("turnout") or {}
        if turnout.get("per_hour") is not None:
            turnout["per_hour"] = float(turnout["per_hour"]) * factor
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


def vehicle_trips(scenario, result) -> int:
    """Departures of vehicles: the cohorts that left on one link with vehicles at one minute rode one
    vehicle (links without vehicles, walking or driving, are left out)."""
    ridden = {link.id for link in scenario.movement.links if link.vehicles is not None}
    return len(
        {
            (e.data["link"], round(e.time))
            for e in result.events
            if e.kind is Kind.cohort_departed and e.data["link"] in ridden
        }
    )


def simpy_events(scenario, seed):
    """Run once and count the events SimPy scheduled (its event-id counter)."""
    from sim.simulation import Simulation

    simulation = Simulation(scenario, seed=seed)
    start = time.perf_counter()
    result = simulation.run()
    elapsed = time.perf_counter() - start
    scheduled = next(simulation._env._eid)  # benchmark only: SimPy's running event id
    return elapsed, scheduled, result


def bare_simpy(events):
    import simpy

    env = simpy.Environment()

    def loop(env, n):
        for _ in range(n):
            yield env.timeout(1)

    env.process(loop(env, events))
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start


def per_run(scenario, seeds):
    times, counts, results = [], [], []
    for seed in seeds:
        elapsed, scheduled, result = simpy_events(scenario, seed)
        times.append(elapsed)
        counts.append(scheduled)
        results.append(result)
    return sum(times) / len(times), sum(counts) / len(counts), results


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def machine_ceiling(n: int = 3_000_000, tasks: int = 8) -> float:
    """How much two processes can gain here at all: the same CPU-bound loop run
    `tasks` times in one process and then on two. A shared or throttled host
    shows up as a ceiling well below 2."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    for _ in range(tasks):
        _spin(n)
    one = time.perf_counter() - start
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [1000, 1000]))  # start the workers first
        start = time.perf_counter()
        list(pool.map(_spin, [n] * tasks))
        two = time.perf_counter() - start
    return one / two


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=None)
    parser.add_argument("--n", type=int, default=100, help="replications for the 1 vs 2 process ratio")
    parser.add_argument("--paired", type=int, default=1000, help="paired replications for the timed run")
    parser.add_argument("--reform", default="integrated_authority")
    args = parser.parse_args()

    path = resolve(args.scenario)
    text = path.read_text(encoding="utf-8")
    scenario = load_scenario_text(text, str(path))
    print(f"scenario: {path} ({'with' if scenario.movement is not None else 'WITHOUT'} a movement network)")
    base = [Arm("baseline", text, str(path))]

    # warm-up (imports, first parse)
    throughput(base, 4, InlineBackend())
    t1, _ = throughput(base, args.n, InlineBackend())
    with ProcessBackend(2) as pool:
        throughput(base, 4, pool)
        t2, _ = throughput(base, args.n, pool)
    r1, r2 = args.n / t1, args.n / t2
    print(f"1 process : {r1:8.1f} replications/s ({args.n} in {t1:.2f} s)")
    print(f"2 processes: {r2:8.1f} replications/s ({args.n} in {t2:.2f} s)")
    print(f"speed-up on 2 processes: {r2 / r1:.2f}x")
    print(f"ceiling on this machine (pure-Python loop, 1 vs 2 processes): {machine_ceiling():.2f}x")

    if args.paired:
        arms = [*base, Arm(args.reform, text, str(path), (args.reform,))]
        with ProcessBackend(2) as pool:
            tp, _rs = throughput(arms, args.paired, pool)
        print(
            f"{args.paired} paired replications (baseline + {args.reform}) on 2 processes: {tp:.1f} s "
            f"({2 * args.paired / tp:.1f} runs/s)"
        )

    seeds = [replication_seed(1, k) for k in range(10)]
    per, scheduled, results = per_run(scenario, seeds)
    bare = bare_simpy(int(scheduled))
    log = sum(len(r.events) for r in results) / len(results)
    print(f"time per replication: {1000 * per:.1f} ms; {scheduled:,.0f} SimPy events, {log:,.0f} logged events")
    print(
        f"bare SimPy loop with {scheduled:,.0f} events: {1000 * bare:.2f} ms -> model costs {per / bare:.0f}x "
        f"the bare kernel ({1e6 * per / scheduled:.1f} us per event vs {1e6 * bare / scheduled:.2f} us)"
    )

    if scenario.movement is not None:
        big = load_scenario_text(scaled_text(text, str(path), 10), f"{path} x10")
        big_per, big_scheduled, big_results = per_run(big, seeds)
        people = [r.metrics["movement"]["population"] for r in (results[0], big_results[0])]
        print(
            f"10x population ({people[0]:,} -> {people[1]:,} people): {1000 * big_per:.1f} ms per replication, "
            f"{big_per / per:.2f}x the default; SimPy events {scheduled:,.0f} -> {big_scheduled:,.0f}; "
            f"vehicle trips {vehicle_trips(scenario, results[0]):,} -> {vehicle_trips(big, big_results[0]):,}"
        )
    else:
        print("10x population: skipped (the scenario has no movement network)")


if __name__ == "__main__":
    main()
