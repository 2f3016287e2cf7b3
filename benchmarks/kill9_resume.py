"""Acceptance: kill -9 a scripted session at N random points, resume each, compare.

    python benchmarks/kill9_resume.py [N] [--seed S]

Prints one line per kill and the figure `K of N identical` (events and inputs
equal to the uninterrupted run, and `ttxsim replay` verifies the journal).
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.property.test_resume_kill import SCRIPT, STEPS, _record, kill_and_resume  # noqa: E402


def main() -> int:
    args = sys.argv[1:]
    count = int(args[0]) if args and args[0].isdigit() else 20
    rng = random.Random(int(args[args.index("--seed") + 1]) if "--seed" in args else None)
    folder = Path(tempfile.mkdtemp(prefix="ttxsim-kill9-"))
    reference_path = folder / "reference.ttxj"
    subprocess.run([sys.executable, str(SCRIPT), str(reference_path)], check=True, capture_output=True)
    reference = _record(reference_path)
    identical = interrupted = 0
    started = time.perf_counter()
    for index in range(count):
        lines, delay = rng.randint(1, STEPS + 1), rng.uniform(0, 0.004)
        path = folder / f"kill{index:02d}.ttxj"
        cut, held = kill_and_resume(path, lines, delay)
        interrupted += cut
        with_journal = _record(path)
        verified = (
            subprocess.run(
                [sys.executable, "-m", "sim.cli", "replay", str(path)], cwd=ROOT, capture_output=True, text=True
            ).returncode
            == 0
        )
        same = with_journal == reference and verified
        identical += same
        print(
            f"kill {index + 1:2d}: after {lines:3d} ticks + {delay * 1000:.1f} ms "
            f"({'mid-session, ' + str(held) + ' inputs journaled' if cut else 'had finished'}) -> resumed: "
            f"{len(with_journal[0])} events, {len(with_journal[1])} inputs, replay {'ok' if verified else 'FAIL'}: "
            f"{'identical' if same else 'DIFFERENT'}"
        )
    print(
        f"{identical} of {count} identical, {interrupted} of {count} killed mid-session ({time.perf_counter() - started:.1f} s; journals in {folder})"
    )
    return 0 if identical == count else 1


if __name__ == "__main__":
    raise SystemExit(main())
