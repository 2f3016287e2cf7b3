"""Acceptance: kill -9 a scripted session at N random points, resume each, compare.

    python benchmarks/kill9_resume.py [N] [--seed S]

A kill point is the number of journal writes (events and inputs) the session makes
before it SIGKILLs itself, drawn from `--seed` (default 1), so any line can be
re-run: `python tests/scripted_session.py J --kill-after K`, then `--resume`.
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

from tests.property.test_resume_kill import _record, kill_and_resume, run_reference  # noqa: E402


def main() -> int:
    args = sys.argv[1:]
    count = int(args[0]) if args and args[0].isdigit() else 20
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="ttxsim-kill9-"))
    reference, writes = run_reference(folder / "reference.ttxj")
    print(f"seed {seed}: the uninterrupted session makes {writes} journal writes")
    identical = interrupted = 0
    started = time.perf_counter()
    for index in range(count):
        kill_after = rng.randint(1, writes + 1)
        path = folder / f"kill{index:02d}.ttxj"
        cut, held = kill_and_resume(path, kill_after)
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
            f"kill {index + 1:2d}: after write {kill_after:4d} "
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
