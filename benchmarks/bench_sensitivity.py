"""Morris screening of every assumption of a scenario: wall time, CPU time and the top five.

    python benchmarks/bench_sensitivity.py [SCENARIO] [--n 10] [--jobs 2] [--metric M] [--top 5]

Runs `sim.api.sensitivity_analysis` (what `ttxsim sensitivity --method morris`
runs) with the default ranges and prints:

1. the number of parameters, design points and runs;
2. wall time and the CPU seconds of this process and its workers (on a
   shared machine the wall time depends on the load; CPU / jobs is the wall
   time the same design needs on otherwise idle cores);
3. the top parameters by mu* with sigma.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.api import sensitivity_analysis  # noqa: E402


def cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="sakishima")
    parser.add_argument("--n", type=int, default=10, help="Morris trajectories (the command's default: 10)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--metric", action="append", default=[])
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()

    start, cpu = time.perf_counter(), cpu_seconds()
    result = sensitivity_analysis(args.scenario, method="morris", metrics=args.metric, n=args.n, jobs=args.jobs)
    wall, used = time.perf_counter() - start, cpu_seconds() - cpu
    payload = result.payload
    print(f"{payload['title']}")
    print(f"parameters: {len(payload['parameters'])}, design points: {payload['points']}, runs: {payload['runs']}")
    print(
        f"wall time: {wall:.0f} s ({wall / 60:.1f} min) on {args.jobs} jobs; CPU: {used:.0f} s "
        f"(= {used / args.jobs / 60:.1f} min on {args.jobs} idle cores); load average now {os.getloadavg()[0]:.1f}"
    )
    for metric, entry in payload["metrics"].items():
        print(f"\n{metric}: top {args.top} by mu* (hours across each parameter's range)")
        for rank, row in enumerate((entry.get("ranking") or [])[: args.top], 1):
            print(f"  {rank}. {row['path']:<58} mu* {row['mu_star']:7.2f}  sigma {row['sigma']:7.2f}")
        if entry.get("note"):
            print(f"  ({entry['note']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
