"""What the package promises about its dependencies and its name.

- SimPy: the replay counts processed model events (`_CountingEnvironment`) and
  relies on how SimPy resumes a `run(until=...)`. These tests fail if a SimPy
  release changes that, before any journal replays wrongly (pyproject bounds
  SimPy to the versions they passed with).
- The `ttxsim` command is ours even after fontTools (which ships a `ttx`
  script and comes with matplotlib) is force-reinstalled.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest
import simpy

from sim.simulation import _CountingEnvironment

ROOT = Path(__file__).resolve().parents[2]


def _world(env: simpy.Environment, log: list[float]) -> None:
    """Model events only: timeouts, several at the same instants, each logging when it is processed."""
    for delay in (0, 1, 1, 1, 2.5, 3, 3, 7, 7, 7, 7, 10):
        env.timeout(delay).callbacks.append(lambda event: log.append(event.env.now))


def test_simpy_resumes_a_stopped_run_as_the_counter_expects():
    """After `run(until=t)` no model event at `t` has run; SimPy either put its stop event back
    at the head of the queue (4.1.2, probed by `_requeues`) or left nothing behind (4.1.0, 4.1.1).

    `_CountingEnvironment` skips exactly that one step where it exists; if SimPy
    changes either way of doing it, the count drifts and replays break.
    """
    env = simpy.Environment()
    log: list[float] = []
    _world(env, log)
    env.run(until=5)
    assert env.now == 5 and log == [0, 1, 1, 1, 2.5, 3, 3]
    if _CountingEnvironment._requeues:
        assert env.peek() == 5  # the stop event, though no model event is at 5
        env.step()
        assert len(log) == 7  # it was bookkeeping: no model event ran
    assert env.peek() == 7
    env.run(until=7)
    assert log[-1] == 3  # the stop event at 7 goes before the model events at 7
    assert env.peek() == 7


@pytest.mark.parametrize(
    "slices",
    [
        [],
        [1, 3, 7, 10],
        [0.5, 0.6, 2, 7, 8, 9],
        ["step", 0.5, "step", "step", 2, "step", 5, "step", "step", 11],
        [5, 5.5, 6, 7, "step", "step", "step"],
    ],
    ids=["whole", "at-events", "between-events", "interleaved-steps", "resume-twice"],
)
def test_counted_steps_equal_model_events_however_the_run_is_sliced(slices):
    """The count is the number of model events processed, whether the run was sliced or not."""
    env = _CountingEnvironment()
    log: list[float] = []
    _world(env, log)
    for piece in slices:
        if piece == "step":
            env.step()
        else:
            env.run(until=piece)
        assert env.steps == len(log), f"after {piece!r}: counted {env.steps}, processed {len(log)}"
    env.run()
    assert env.steps == len(log) == 12


@pytest.mark.slow
def test_ttxsim_version_survives_a_fonttools_reinstall(tmp_path):
    """In a fresh venv: install with every extra, force-reinstall fontTools; `ttxsim --version` is still ours.

    fontTools ships a `ttx` script (the name this project had before); this
    guards that no dependency installs a `ttxsim` of its own.
    """
    from importlib.metadata import version

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]

    def run(command: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=1800)

    installed = run([*pip, f"{ROOT}[analysis,cluster,xlsx]"])
    assert installed.returncode == 0, installed.stderr[-2000:]
    reinstalled = run([*pip, "-U", "--force-reinstall", "fonttools"])
    assert reinstalled.returncode == 0, reinstalled.stderr[-2000:]
    assert (bin_dir / "ttx").exists()  # fontTools' own command is there, beside ours
    answer = run([str(bin_dir / "ttxsim"), "--version"])
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == f"ttxsim {version('ttxsim')}\n"
