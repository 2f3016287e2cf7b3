"""Median wall time of `ttxsim --help` and `ttxsim --version` beside bare `python -c pass`.

Each command runs as a fresh subprocess (what a user waits for), `--runs` times;
the medians are printed with the difference to bare Python, which is the part
this project controls. Target (issue 9): both commands under 0.2 s. The CPU
time (user + system of the child) is printed too: on a shared, loaded machine
wall time mostly measures the wait for a core, CPU time what the command costs.

    python benchmarks/bench_startup.py [--runs 15]

Runs `python -m sim`, equivalent to the `ttxsim` script, so it measures this
checkout whether or not it is installed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "ttxsim --help": [sys.executable, "-m", "sim", "--help"],
    "ttxsim --version": [sys.executable, "-m", "sim", "--version"],
}


def median_seconds(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU time of `runs` executions (one untimed warm-up fills the OS file cache)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    args = parser.parse_args()
    medians = {name: median_seconds(command, args.runs) for name, command in COMMANDS.items()}
    bare_wall, bare_cpu = medians["python -c pass"]
    load = os.getloadavg()[0]
    print(f"median of {args.runs} runs each (Python {sys.version.split()[0]}, {os.cpu_count()} cores, load {load:.1f})")
    print(f"  {'command':<18} {'wall':>8} {'over bare':>10} {'cpu':>8} {'over bare':>10}")
    for name, (wall, cpu) in medians.items():
        print(f"  {name:<18} {wall:>7.3f}s {wall - bare_wall:>+9.3f}s {cpu:>7.3f}s {cpu - bare_cpu:>+9.3f}s")


if __name__ == "__main__":
    main()
