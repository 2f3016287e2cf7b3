"""Paired replications: CRN seeds, chunking, backends give identical numbers, Ctrl-C keeps results.

The dask test needs the optional `cluster` extra: it is skipped (with a reason)
only when `distributed` is not installed, and runs whenever it is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.analysis.backends import InlineBackend, ProcessBackend, make_backend
from sim.analysis.replications import (
    Arm,
    Record,
    ReplicationSet,
    chunk_indices,
    curve_grid,
    flatten_metrics,
    run_replications,
)
from sim.runner import replication_seed, run_chunk

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"


def _arms() -> list[Arm]:
    text = MINIMAL.read_text(encoding="utf-8")
    return [Arm("baseline", text, str(MINIMAL)), Arm("fast_instruction", text, str(MINIMAL), ("fast_instruction",))]


def _numbers(rs: ReplicationSet) -> list[tuple]:
    return [(r.arm, r.index, r.seed, sorted(r.metrics.items(), key=lambda kv: kv[0]), r.events) for r in rs.records]


def test_flatten_keeps_numbers_and_nulls_only():
    """Numeric leaves become dotted names; None stays None; strings, bools and series go."""
    flat = flatten_metrics(
        {
            "movement": {
                "population": 10,
                "series": {"hours": [0, 1]},
                "by_area": {"a": {"moved": 4}},
            },
            "clearance_hours": None,
            "consultation": {"decision_hours": 2.5, "answer": "yes"},
            "flag": True,
        }
    )
    assert flat == {
        "movement.population": 10,
        "movement.by_area.a.moved": 4,
        "clearance_hours": None,
        "consultation.decision_hours": 2.5,
    }


def test_chunks_and_grid():
    """Chunks cover every index once, in order; the curve grid spans the horizon."""
    assert chunk_indices([0, 1, 2, 3, 4], 2) == [(0, 1), (2, 3), (4,)]
    assert curve_grid(3.0, 1.0) == [0.0, 1.0, 2.0, 3.0]


def test_replication_k_uses_the_same_seed_in_every_arm():
    """Common random numbers: replication k of every arm runs with one derived seed."""
    rs = run_replications(_arms(), range(3), master_seed=7, runner=run_chunk, backend=InlineBackend())
    for k in range(3):
        seeds = {r.seed for r in rs.records if r.index == k}
        assert seeds == {replication_seed(7, k)}
    assert len({replication_seed(7, k) for k in range(3)}) == 3


def test_reform_shortens_its_decision_in_every_pair():
    """A reform that only shortens one delay never makes that decision later (CRN pairs)."""
    rs = run_replications(_arms(), range(8), master_seed=1, runner=run_chunk, backend=InlineBackend())
    base = rs.values("baseline", "decisions.evacuation_instruction.taken_hours")
    fast = rs.values("fast_instruction", "decisions.evacuation_instruction.taken_hours")
    pairs = [(b, f) for b, f in zip(base, fast, strict=True) if b is not None and f is not None]
    assert pairs
    assert all(f < b for b, f in pairs)


def test_jobs_1_and_jobs_2_give_identical_numbers():
    """The same seeds give the same records in one process and on a two-process pool."""
    arms = _arms()
    one = run_replications(arms, range(12), master_seed=3, runner=run_chunk, backend=InlineBackend())
    with ProcessBackend(2) as pool:
        two = run_replications(arms, range(12), master_seed=3, runner=run_chunk, backend=pool, chunk_size=2)
    assert _numbers(one) == _numbers(two)
    assert one.indices == list(range(12))


@pytest.mark.slow
def test_dask_backend_gives_identical_numbers():
    """A local Dask cluster gives the same records as one process (needs the cluster extra)."""
    pytest.importorskip("distributed", reason="optional extra ttxsim[cluster] (dask.distributed) not installed")
    arms = _arms()
    one = run_replications(arms, range(6), master_seed=5, runner=run_chunk, backend=InlineBackend())
    with make_backend("dask", jobs=2) as dask:
        other = run_replications(arms, range(6), master_seed=5, runner=run_chunk, backend=dask, chunk_size=2)
    assert _numbers(one) == _numbers(other)


def test_interrupt_keeps_the_finished_chunks():
    """Ctrl-C during a run keeps every finished chunk as complete pairs and flags the set."""
    calls = []

    def runner(task):
        calls.append(task.indices)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return [Record(arm.name, k, k, {"x": float(k)}) for k in task.indices for arm in task.arms]

    rs = run_replications(_arms(), range(10), master_seed=1, runner=runner, backend=InlineBackend(), chunk_size=2)
    assert rs.interrupted
    assert rs.indices == [0, 1, 2, 3]
    assert rs.values("fast_instruction", "x") == [0.0, 1.0, 2.0, 3.0]


def test_incomplete_pairs_are_left_out():
    """A replication finished in only one arm is not part of the results."""
    rs = ReplicationSet((Arm("a", ""), Arm("b", "")), 1)
    rs.add([Record("a", 0, 1, {"x": 1.0}), Record("b", 0, 1, {"x": 2.0}), Record("a", 1, 2, {"x": 3.0})])
    assert rs.indices == [0]
    assert rs.values("a", "x") == [1.0]


@pytest.mark.slow
def test_ctrl_c_on_the_command_line_writes_partial_results(tmp_path):
    """SIGINT to `ttxsim compare --jobs 2` exits 130 and leaves a manifest of the finished replications."""
    out = tmp_path / "run"
    # The child announces each finished chunk on stderr, so the interrupt lands after
    # real work and before the end, whatever the machine's speed (no wall-clock sleep).
    code = (
        "import sys\n"
        "from sim.analysis import progress\n"
        "shown = progress.Progress.__call__\n"
        "def announce(self, done, planned):\n"
        "    shown(self, done, planned)\n"
        "    if done:\n"
        "        print(f'finished {done}', file=sys.stderr, flush=True)\n"
        "progress.Progress.__call__ = announce\n"
        "from sim.cli import main\n"
        "sys.exit(main())\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "compare",
            str(MINIMAL),
            "--reform",
            "fast_instruction",
            "-n",
            "200000",
            "--jobs",
            "2",
            "--out",
            str(out),
            "--no-plots",
            "--json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stderr.readline()
    assert first.startswith("finished "), first
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=120)
    stderr = first + rest
    assert proc.returncode == 130, stderr
    assert "interrupted; kept the" in stderr
    assert "Traceback" not in stderr
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["interrupted"] is True
    assert 0 < manifest["replications"] < 200000
    assert json.loads(stdout)["interrupted"] is True
    assert (out / "replications.csv").read_text().count("\n") == 2 * manifest["replications"] + 1


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux core count")
def test_default_backend_uses_all_cores():
    """Without --jobs the local backend uses every available core."""
    backend = make_backend("local")
    try:
        assert backend.workers == len(os.sched_getaffinity(0))
    finally:
        backend.close()


def test_a_short_play_samples_its_curve_every_minute_and_the_curve_is_people_still_in_danger():
    """The tsunami's movement is over within the hour: its curve is sampled per minute (hourly it was
    two points), starts at everyone and ends at nobody in danger, as its events say."""
    from sim.analysis.curves import in_danger_steps
    from sim.analysis.outputs import curve_summary
    from sim.analysis.replications import ReplicationSet, Task, curve_step
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario
    from sim.simulation import Simulation

    assert curve_step(2.0, 1.0) == 1 / 60 and curve_step(504.0, 1.0) == 1.0
    path = resolve("tsunami")
    arm = Arm("baseline", path.read_text(encoding="utf-8"), str(path))
    (record,) = run_chunk(Task((arm,), (0,), 1, 1.0))
    scenario = load_scenario(path)
    assert record.curve_step_hours == 1 / 60 and len(record.curve) == int(scenario.scenario.horizon) + 1
    _hours, left = in_danger_steps(scenario, Simulation(scenario, seed=record.seed).run().events)
    assert record.curve[0] == left[0] == sum(p.people for p in scenario.movement.populations)
    assert record.curve[-1] == left[-1] == 0
    rs = ReplicationSet((arm,), 1)
    rs.add([record])
    assert curve_summary(rs)["baseline"]["hours"][:3] == [0.0, round(1 / 60, 6), round(2 / 60, 6)]
