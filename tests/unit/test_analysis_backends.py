"""Where chunks run: a crashed local worker, and Dask clusters whose workers cannot run ttxsim.

The local-pool tests crash a worker deterministically through the
`TTXSIM_TEST_CRASH_CHUNK` hook (`os._exit` in the worker that starts a given
chunk), never by timing. The Dask tests start a real scheduler on 127.0.0.1
and real worker processes, and run `ttxsim compare` as a user would.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.analysis.backends import unfit_workers
from sim.runner import CRASH_HOOK

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = str(ROOT / "tests" / "data" / "minimal.yaml")


def _ttxsim(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *argv],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# ---------------------------------------------------------------------------
# Local pool: a crashed child
# ---------------------------------------------------------------------------

COMPARE = ["compare", MINIMAL, "--reform", "fast_instruction", "-n", "8", "--seed", "5", "-q"]


@pytest.mark.slow
def test_a_crashed_worker_chunk_is_retried_and_the_results_are_complete(tmp_path):
    """One worker dies on one chunk: the chunk runs again, the numbers equal an undisturbed run."""
    flag = tmp_path / "crashed-once"
    crashed = _ttxsim(*COMPARE, "--jobs", "2", "--json", env={CRASH_HOOK: f"3:{flag}"})
    assert crashed.returncode == 0, crashed.stderr
    assert flag.exists()  # the worker did crash
    inline = _ttxsim(*COMPARE, "--jobs", "1", "--json")
    assert json.loads(crashed.stdout) == json.loads(inline.stdout)


@pytest.mark.slow
def test_a_chunk_that_crashes_twice_fails_in_one_sentence_and_keeps_what_finished(tmp_path):
    """A chunk whose worker crashes on every try: exit 1, one sentence, finished replications written."""
    out = tmp_path / "results"
    result = _ttxsim(*COMPARE, "--jobs", "2", "--out", str(out), "--no-plots", env={CRASH_HOOK: "3"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "crashed twice" in lines[0] and "Traceback" not in result.stderr
    with (out / "replications.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    done = {int(row["replication"]) for row in rows}
    assert done and 3 not in done
    assert f"({len(done)} replications" in lines[0]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["replications"] == len(done)


# ---------------------------------------------------------------------------
# Dask
# ---------------------------------------------------------------------------


def test_unfit_workers_names_each_reason():
    hidden = Exception(repr(ModuleNotFoundError("No module named 'sim'")))  # as a worker sends it back
    answers = {"tcp://b:2": hidden, "tcp://a:1": "0.0.9", "tcp://c:3": "1.0"}
    assert unfit_workers(answers, "1.0") == {
        "tcp://a:1": "has sim 0.0.9, not 1.0",
        "tcp://b:2": "cannot import sim (No module named 'sim')",
    }


HIDE_SIM = """
import importlib.abc, sys

class HideSim(importlib.abc.MetaPathFinder):
    # A worker environment without ttxsim: 'sim' cannot be imported.
    def find_spec(self, name, path=None, target=None):
        if name == "sim" or name.startswith("sim."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, HideSim())
from distributed.cli.dask_worker import main
sys.argv = ["dask-worker", *sys.argv[1:]]
main()
"""


def _wait_for(path: Path, deadline: float) -> None:
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear")
        time.sleep(0.05)


@pytest.fixture
def cluster(tmp_path):
    """A real scheduler on 127.0.0.1 and a way to add worker processes to it."""
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    _wait_for(scheduler_file, time.monotonic() + 60)
    address = json.loads(scheduler_file.read_text())["address"]

    def add_worker(*, without_sim: bool) -> None:
        code = ["-c", HIDE_SIM] if without_sim else ["-m", "distributed.cli.dask_worker"]
        argv = [sys.executable, *code, address, "--no-nanny", "--nthreads", "1", "--host", "127.0.0.1"]
        processes.append(subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(len(processes) - 1, timeout=60)

    try:
        yield address, scheduler_file, add_worker
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
def test_dask_worker_without_the_package_fails_within_seconds(cluster):
    """The only worker cannot import sim: exit 1 within 30 s, one sentence naming the worker."""
    address, _, add_worker = cluster
    add_worker(without_sim=True)
    started = time.monotonic()
    result = _ttxsim("compare", MINIMAL, "-n", "2", "-q", "--backend", "dask", "--scheduler", address, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert elapsed < 30
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "1 of 1 Dask workers cannot run ttxsim" in lines[0]
    assert "cannot import sim (No module named 'sim')" in lines[0]
    assert "tcp://127.0.0.1:" in lines[0]


@pytest.mark.slow
def test_dask_scheduler_file_and_environment_address(cluster):
    """--scheduler-file and DASK_SCHEDULER_ADDRESS reach the cluster; the numbers equal a local run.

    A second worker that lacks the package is then named, not silently dropped.
    """
    address, scheduler_file, add_worker = cluster
    add_worker(without_sim=False)
    argv = ["compare", MINIMAL, "--reform", "fast_instruction", "-n", "4", "-q", "--json"]
    local = json.loads(_ttxsim(*argv, "-j", "1").stdout)
    by_file = _ttxsim(*argv, "--backend", "dask", "--scheduler-file", str(scheduler_file))
    assert by_file.returncode == 0, by_file.stderr
    assert json.loads(by_file.stdout) == local
    by_env = _ttxsim(*argv, "--backend", "dask", env={"DASK_SCHEDULER_ADDRESS": address})
    assert by_env.returncode == 0, by_env.stderr
    assert json.loads(by_env.stdout) == local

    add_worker(without_sim=True)
    mixed = _ttxsim(*argv, "--backend", "dask", env={"DASK_SCHEDULER_ADDRESS": address})
    assert mixed.returncode == 1
    assert "1 of 2 Dask workers cannot run ttxsim" in mixed.stderr


@pytest.mark.slow
def test_dask_scheduler_without_workers_fails_within_seconds(cluster):
    """DASK_SCHEDULER_ADDRESS is honoured (no local cluster is started): no worker, exit 1."""
    address, _, _ = cluster
    started = time.monotonic()
    result = _ttxsim("compare", MINIMAL, "-n", "2", "-q", "--backend", "dask", env={"DASK_SCHEDULER_ADDRESS": address})
    assert result.returncode == 1
    assert time.monotonic() - started < 30
    assert result.stderr.strip() == f"ttxsim: no worker joined the Dask scheduler {address} within 10 s"


@pytest.mark.slow
def test_dask_recomputes_the_chunk_of_a_lost_worker(tmp_path):
    """A local Dask worker dies on one chunk: Dask reruns it elsewhere, the numbers equal a local run."""
    flag = tmp_path / "crashed-once"
    argv = [*COMPARE, "--json"]
    lost = _ttxsim(*argv, "--backend", "dask", "--jobs", "2", env={CRASH_HOOK: f"3:{flag}"}, timeout=180)
    assert lost.returncode == 0, lost.stderr
    assert flag.exists()
    assert json.loads(lost.stdout) == json.loads(_ttxsim(*argv, "--jobs", "1").stdout)
