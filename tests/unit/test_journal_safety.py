"""Journal safety: one writer, readers that change nothing, damaged rows, full disks, old folders.

Issue 10 ("Data loss and false records"): each test plays the failure the way a
user meets it (two real processes, a real kill -9, a read-only folder, a full
tmpfs, a damaged file) and looks at what the user sees: exit status, the one
sentence on stderr, and whether the session still replays and resumes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.cli import main
from sim.journal import (
    Journal,
    JournalError,
    JournalLocked,
    JournalWriteError,
    replay,
    resume,
    salvage,
    start_session,
)
from tests.conftest import DEFAULT_SCENARIO, ROOT

INTERNAL_NAMES = (
    "Traceback",
    "OperationalError",
    "DatabaseError",
    "IntegrityError",
    "JSONDecodeError",
    "KeyError",
    "DecisionError",
    "ValueError",
    "TypeError",
    "ValidationError",
    "JournalError",
    "OutputError",
    "FileNotFoundError",
)

# A session written by a separate process: answers the human decisions up to
# minute 1500, commits everything, prints "ready", then waits for one line on
# stdin ("close" ends it cleanly). The parent kills it or lets it close, so the
# interruption point is exact, with no wall-clock sleep.
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from sim.journal import start_session
    sim, journal = start_session({scenario!r}, seed=3, human_roles=["pm", "cabinet"], journal_path=sys.argv[1])
    t = 0.0
    while t < 1500:
        t += 90.0
        sim.advance(t)
        for d in sim.view().decisions:
            if d.human and d.status == "pending":
                journal.decide(sim, d.id, d.options[0][0], d.owner)
        journal.note(sim, f"checked at {{t}}", "observer")
        journal.flush(sim.now)
    print("ready", len(sim.inputs), flush=True)
    if sys.stdin.readline().strip() == "close":
        sim.advance(sim.now + 300)
        journal.close(sim.now)
        print("closed", flush=True)
    """
).format(root=str(ROOT), scenario=str(DEFAULT_SCENARIO))


def _writer(path: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    line = process.stdout.readline()
    assert line.startswith("ready"), process.stderr.read()
    return process


def _ttxsim(*args: str, env: dict | None = None, timeout: float = 120):
    """Run the real command in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def _one_clear_sentence(stderr: str) -> str:
    text = stderr.strip()
    assert text and "\n" not in text, stderr
    assert not any(name in text for name in INTERNAL_NAMES), text
    return text


def _digest(*paths: Path) -> list[str | None]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths]


def _session(path: Path, until: float = 1500.0, close: bool = True):
    """The same session as WRITER, in this process."""
    sim, journal = start_session(DEFAULT_SCENARIO, seed=3, human_roles=["pm", "cabinet"], journal_path=path)
    t = 0.0
    while t < until:
        t += 90.0
        sim.advance(t)
        for d in sim.view().decisions:
            if d.human and d.status == "pending":
                journal.decide(sim, d.id, d.options[0][0], d.owner)
        journal.note(sim, f"checked at {t}", "observer")
        journal.flush(sim.now)
    if close:
        journal.close(sim.now)
    return sim, journal


# ---------------------------------------------------------------------------
# One writer per journal
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_second_writer_process_exits_2_and_the_journal_still_replays_and_resumes(tmp_path):
    path = tmp_path / "s.ttxj"
    first = _writer(path)
    try:
        second = _ttxsim("play", "--resume", str(path))
        assert second.returncode == 2
        message = _one_clear_sentence(second.stderr)
        assert "in use by another ttxsim" in message and f"pid {first.pid}" in message
        # Reading while the session runs is fine and shows it as in use, not crashed.
        listing = _ttxsim("journal", env={"TTX_SESSIONS_DIR": str(tmp_path)})
        assert listing.returncode == 0 and " in use " in listing.stdout
    finally:
        out, err = first.communicate("close\n", timeout=120)
    assert first.returncode == 0 and "closed" in out, err
    assert _ttxsim("replay", str(path)).returncode == 0
    sim, journal = resume(path)
    assert len(sim.inputs) > 5 and journal.divergence is None
    journal.close(sim.now)
    assert replay(path).identical


def test_one_writer_in_process_and_inputs_are_never_overwritten(tmp_path):
    path = tmp_path / "s.ttxj"
    sim, journal = _session(path, until=900, close=False)
    with pytest.raises(JournalLocked, match="in use by another ttxsim"):
        Journal.open(path, write=True)
    with pytest.raises(JournalLocked):
        resume(path)
    assert main(["play", "--resume", str(path)]) == 2
    assert main(["play", "--journal", str(path)]) == 2  # not a second, unrecorded console
    with Journal.open(path) as reader:  # readers need no lock
        before = reader.entries()
    # A second write of input 0 (what a second writer did) is refused, not an overwrite.
    journal._model_count = 0
    with pytest.raises(JournalError, match="refused to overwrite"):
        journal.sync(sim)
    with Journal.open(path) as reader:
        assert reader.entries() == before
    journal._model_count = len(sim.inputs)
    journal.close(sim.now)
    again, other = resume(path)  # the lock went with the writer
    other.close(again.now)


@pytest.mark.slow
def test_stale_lock_after_kill_9_is_taken_over_and_readers_leave_it_crashed(tmp_path):
    folder = tmp_path / "sessions"
    path = folder / "s.ttxj"
    writer = _writer(path)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=60)
    lock = path.with_name("s.ttxj.lock")
    assert json.loads(lock.read_text())["pid"] == writer.pid  # the dead writer's lock file is still there
    files = [path, Path(f"{path}-wal")]
    before = _digest(*files)
    env = {"TTX_SESSIONS_DIR": str(folder)}
    assert _ttxsim("journal", str(path), env=env).returncode == 0
    assert _ttxsim("replay", str(path), env=env).returncode == 0
    report = _ttxsim("report", str(path), "--out", str(tmp_path / "out" / "new" / "aar.html"), env=env)
    assert report.returncode == 0, report.stderr
    assert "no (resumed or crashed)" in (tmp_path / "out" / "new" / "aar.html").read_text()
    assert _ttxsim("replay", str(path), env=env).returncode == 0  # no false divergence the second time
    listing = _ttxsim("journal", "--json", env=env)
    assert [row["state"] for row in json.loads(listing.stdout)["sessions"]] == ["crashed"]
    assert _digest(*files) == before  # readers changed nothing
    sim, journal = resume(path)  # the stale lock is taken over
    with Journal.open(path) as reader:
        assert [e.kind for e in reader.entries()].count("note") == 17
    journal.close(sim.now)
    assert replay(path).identical and not lock.exists()


# ---------------------------------------------------------------------------
# Read-only medium
# ---------------------------------------------------------------------------


@pytest.fixture
def read_only_medium(tmp_path):
    """A folder made read-only after the journals are written: chmod 0444 files in a 0555 folder,
    and, when we are root (whom file modes do not stop), a tmpfs remounted read-only."""
    folder = tmp_path / "medium"
    folder.mkdir()
    mounted = os.geteuid() == 0 and _mount(["-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)])

    def make_read_only() -> bool:
        for path in folder.iterdir():
            path.chmod(0o444)
        folder.chmod(0o555)
        return os.geteuid() != 0 or (mounted and _mount(["-o", "remount,ro", str(folder)]))

    yield folder, make_read_only
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)
    folder.chmod(0o755)


def _mount(arguments: list[str]) -> bool:
    return subprocess.run(["mount", *arguments], capture_output=True).returncode == 0


@pytest.mark.slow
def test_journal_on_a_read_only_medium_is_readable_and_resume_says_it_cannot_write(tmp_path, read_only_medium):
    folder, make_read_only = read_only_medium
    closed, crashed = folder / "closed.ttxj", folder / "crashed.ttxj"
    _session(closed, until=900)
    writer = _writer(crashed)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=60)
    read_only = make_read_only()
    for path in (closed, crashed):
        shown = _ttxsim("journal", str(path))
        assert shown.returncode == 0, shown.stderr
        assert "identical" in _ttxsim("replay", str(path)).stdout
        report = _ttxsim("report", str(path), "--out", str(tmp_path / f"{path.stem}.md"))
        assert report.returncode == 0, report.stderr
        refused = _ttxsim("play", "--resume", str(path))
        assert "not a ttxsim journal" not in refused.stderr and "Traceback" not in refused.stderr
        if read_only:  # root without mount rights writes anywhere: nothing to refuse
            assert refused.returncode == 2
            assert "cannot write in its folder" in _one_clear_sentence(refused.stderr)


# ---------------------------------------------------------------------------
# Damaged journals: one sentence, the bad row named, salvage what precedes it
# ---------------------------------------------------------------------------


def _sql(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute(statement)
    db.close()


def _garble_page(path: Path, table: str) -> None:
    """Overwrite the first page of `table` with junk bytes (a flipped disk sector)."""
    with sqlite3.connect(path) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    db.close()
    with open(path, "r+b") as stream:
        stream.seek((root - 1) * page_size)
        stream.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))


DECISION_ROW = "(SELECT MIN(n) FROM inputs WHERE kind = 'decision' AND n > 3)"
DAMAGE = {
    "truncated to half": lambda p: os.truncate(p, p.stat().st_size // 2),
    "truncated header": lambda p: os.truncate(p, 60),
    "inputs page garbled": lambda p: _garble_page(p, "inputs"),
    "session page garbled": lambda p: _garble_page(p, "session"),
    "bad JSON in a payload": lambda p: _sql(p, f"UPDATE inputs SET payload = '{{bad' WHERE n = {DECISION_ROW}"),
    "payload not an object": lambda p: _sql(p, f"UPDATE inputs SET payload = '[1, 2]' WHERE n = {DECISION_ROW}"),
    "missing key": lambda p: _sql(
        p, f"UPDATE inputs SET payload = json_remove(payload, '$.option') WHERE n = {DECISION_ROW}"
    ),
    "wrong kind": lambda p: _sql(p, f"UPDATE inputs SET kind = 'explode' WHERE n = {DECISION_ROW}"),
    "time not a number": lambda p: _sql(p, f"UPDATE inputs SET sim_time = 'soon' WHERE n = {DECISION_ROW}"),
    "unknown decision id": lambda p: _sql(
        p, f"UPDATE inputs SET payload = json_set(payload, '$.decision', 'nope') WHERE n = {DECISION_ROW}"
    ),
    "unknown option": lambda p: _sql(
        p, f"UPDATE inputs SET payload = json_set(payload, '$.option', 'nope') WHERE n = {DECISION_ROW}"
    ),
    "setting missing": lambda p: _sql(p, "DELETE FROM session WHERE key = 'seed'"),
    "setting bad JSON": lambda p: _sql(p, "UPDATE session SET value = '[' WHERE key = 'reforms'"),
    "setting wrong kind": lambda p: _sql(p, "UPDATE session SET value = '\"many\"' WHERE key = 'seed'"),
    "event bad JSON": lambda p: _sql(p, "UPDATE events SET json = '{' WHERE seq = 4"),
}
ROW_DAMAGE = [
    name
    for name in DAMAGE
    if name
    in (
        "bad JSON in a payload",
        "payload not an object",
        "missing key",
        "wrong kind",
        "time not a number",
        "unknown decision id",
        "unknown option",
    )
]


# Each damage case replays, reports and resumes the journal (~2 s on a quiet 2-core machine each,
# ~40 s for all 18): the default set keeps an input row that cannot be read, one that names what the
# scenario lacks and a missing session setting; `pytest -m slow` runs the rest (a damaged event row,
# the costliest: its report still draws every figure).
IN_DEFAULT_SET = ("bad JSON in a payload", "unknown decision id", "setting missing")


def _cases(names: list[str]) -> list:
    return [name if name in IN_DEFAULT_SET else pytest.param(name, marks=pytest.mark.slow) for name in names]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    path = tmp_path_factory.mktemp("pristine") / "s.ttxj"
    _session(path, until=1500)
    return path


@pytest.mark.parametrize("damage", _cases(list(DAMAGE)))
def test_damaged_journal_gives_one_sentence_on_every_read_path(damage, pristine, tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.ttxj"
    shutil.copy(pristine, path)
    DAMAGE[damage](path)
    monkeypatch.setenv("TTX_SESSIONS_DIR", str(tmp_path))
    commands = [
        ["journal", str(path)],
        ["replay", str(path)],
        ["report", str(path), "--out", str(tmp_path / "aar.md")],
        ["journal"],
        ["journal", "--salvage", str(path), "--out", str(tmp_path / "k.ttxj")],
        ["play", "--resume", str(path)],
    ]
    before = _digest(path)
    statuses = []
    for command in commands:
        status = main(command)
        captured = capsys.readouterr()
        assert not any(name in captured.err for name in INTERNAL_NAMES), (command, captured.err)
        assert len(captured.err.strip().splitlines()) <= 1, captured.err
        if status:
            assert status in (1, 2) and str(path) in captured.err + captured.out, (command, captured.err)
        statuses.append(status)
    assert _digest(path) == before  # not even a failed resume writes to a damaged journal
    assert statuses[-1] == 2
    if damage in ROW_DAMAGE:
        assert statuses[:3] == [2, 2, 2] or (statuses[0] == 0 and statuses[1:3] == [2, 2])
    if damage != "event bad JSON":
        assert statuses[1] == 2  # replay cannot read it: bad input, exit 2


@pytest.mark.parametrize("damage", _cases(ROW_DAMAGE))
def test_salvage_keeps_the_inputs_before_the_bad_row_and_the_copy_resumes(damage, pristine, tmp_path, capsys):
    path = tmp_path / "s.ttxj"
    shutil.copy(pristine, path)
    with Journal.open(pristine) as reader:
        entries = reader.entries()
    with sqlite3.connect(path) as db:
        bad = db.execute(f"SELECT {DECISION_ROW}").fetchone()[0]
    db.close()
    DAMAGE[damage](path)
    assert main(["replay", str(path)]) == 2
    assert f"input row {bad}" in capsys.readouterr().err
    before = _digest(path)
    out = tmp_path / "k.ttxj"
    assert main(["journal", "--salvage", str(path), "--out", str(out)]) == 0
    assert f"stopped at: {path}: input row {bad}" in capsys.readouterr().out
    assert _digest(path) == before  # the damaged journal is only read
    with Journal.open(out) as copy:
        assert copy.entries() == [e for e in entries if e.n < bad]
        assert not copy.info.closed
    assert replay(out).identical
    sim, journal = resume(out)
    assert len(sim.inputs) == len([e for e in entries if e.n < bad and e.kind != "pause" and e.kind != "speed"])
    journal.decide(sim, *_first_pending(sim))
    journal.close(sim.now)
    assert replay(out).identical
    assert main(["journal", "--salvage", str(path), "--out", str(out)]) == 2  # never overwrites
    assert "exists already" in capsys.readouterr().err
    assert main(["journal", "--salvage", str(path), "--out", str(path)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err


def _first_pending(sim):
    sim.advance(sim.now + 600)
    while True:
        for d in sim.view().decisions:
            if d.human and d.status == "pending":
                return d.id, d.options[0][0], d.owner
        sim.advance(sim.now + 600)


def test_salvage_of_an_undamaged_journal_keeps_everything(pristine, tmp_path):
    outcome = salvage(pristine, tmp_path / "k.ttxj")
    with Journal.open(pristine) as reader:
        assert outcome.dropped is None and outcome.kept == len(reader.entries())
    assert replay(tmp_path / "k.ttxj").identical


# ---------------------------------------------------------------------------
# Full disk
# ---------------------------------------------------------------------------


class _FullDisk:
    """A writer connection whose writes fail as SQLite reports a full disk, until `space()`."""

    def __init__(self, connection):
        self._connection = connection
        self.full = True

    def execute(self, sql, *args):
        if self.full and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self._connection.execute(sql, *args)

    def executemany(self, sql, *args):
        if self.full:
            raise sqlite3.OperationalError("database or disk is full")
        return self._connection.executemany(sql, *args)

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def __enter__(self):
        return self._connection.__enter__()

    def __exit__(self, *exc):
        return self._connection.__exit__(*exc)


@pytest.mark.slow
def test_failed_writes_raise_one_sentence_and_keep_every_input_until_they_succeed(tmp_path, monkeypatch):
    monkeypatch.setattr("sim.journal.EVENT_BATCH", 1)  # the sink writes at every event
    path = tmp_path / "s.ttxj"
    sim, journal = _session(path, until=600, close=False)
    disk = journal._db = _FullDisk(journal._db)
    told = []
    journal.on_write_error = told.append
    observe = journal.observer(sim)
    sim.advance(2000)  # the event sink fails quietly (and says so): the run goes on
    assert told and all(m.endswith("could not be written (the disk is full)") for m in told)
    decision = next(d for d in sim.view().decisions if d.human and d.status == "pending")
    with pytest.raises(JournalWriteError, match=r"could not be written \(the disk is full\)$"):
        journal.decide(sim, decision.id, decision.options[0][0], decision.owner)
    sim.note("written while full", "observer")
    pause = type("Item", (), {"kind": "pause", "sim_time": sim.now})()
    with pytest.raises(JournalWriteError):  # the console keeps it and delivers it again
        observe(pause)
    disk.full = False  # space freed
    observe(pause)
    journal.close(sim.now)
    with Journal.open(path) as reader:
        assert reader.inputs() == list(sim.inputs)
        assert [e.kind for e in reader.entries()][-3:] == ["decision", "note", "pause"]
    assert replay(path).identical


def test_run_journal_that_cannot_be_written_still_prints_results(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the journal's folder should be")
    outcome = _ttxsim("run", "--until", "12", "--journal", str(blocker / "j.ttxj"))
    assert outcome.returncode == 1
    assert _people_safe(outcome.stdout)
    assert "the journal could not be written" in _one_clear_sentence(outcome.stderr)


def _people_safe(summary: str) -> str | None:
    """The run summary's count of people safe ("safe  1,514 of 120,212"): the results the user still gets."""
    found = re.search(r"\bsafe\s+([\d,]+ of [\d,]+)", summary)
    return found.group(1) if found else None


@pytest.fixture
def full_tmpfs(tmp_path):
    """A real 1 MiB tmpfs (we are root in CI's container), else a folder on the ordinary disk.

    A whole default run journals about 2 MiB (the movement network's cohorts), so it cannot fit;
    the test session (about 410 KiB at 2,000 minutes, plus SQLite's journal while it writes) fits
    once the filler is gone."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    yield mount, mounted.returncode == 0
    if mounted.returncode == 0:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path: Path) -> None:
    """Write zeros to `path` until the file system says it is full."""
    with open(path, "wb", buffering=0) as stream:
        with pytest.raises(OSError) as full:
            for _ in range(100_000):
                stream.write(b"\0" * 4096)
        assert full.value.errno == errno.ENOSPC


@pytest.mark.slow
def test_full_tmpfs_run_and_session_keep_their_results_and_inputs(full_tmpfs, tmp_path):
    mount, real = full_tmpfs
    outcome = _ttxsim("run", "--journal", str(mount / "run.ttxj"))
    if real:  # the whole run's events cannot fit in 1 MiB
        assert outcome.returncode == 1 and _people_safe(outcome.stdout)
        assert "disk is full" in _one_clear_sentence(outcome.stderr)
    for leftover in mount.iterdir():
        leftover.unlink()
    path = mount / "s.ttxj"
    sim, journal = _session(path, until=600, close=False)
    filler = mount / "filler"
    if real:
        _fill(filler)
    if not real:
        journal._db = _FullDisk(journal._db)
    told = []
    journal.on_write_error = told.append
    sim.advance(2000)
    pending = [d for d in sim.view().decisions if d.human and d.status == "pending"]
    for decision in pending:
        sim.decide(decision.id, decision.options[0][0], decision.owner)
    with pytest.raises(JournalWriteError, match="disk is full"):
        journal.sync(sim)
    filler.unlink()
    if not real:
        journal._db.full = False
    journal.sync(sim)
    journal.close(sim.now)
    assert replay(path).identical
    with Journal.open(path) as reader:
        assert reader.inputs() == list(sim.inputs)


# ---------------------------------------------------------------------------
# Report outputs, old sessions folder
# ---------------------------------------------------------------------------


def test_report_creates_its_folder_and_never_overwrites_the_journal(pristine, tmp_path, capsys):
    journal = tmp_path / "j.md"
    shutil.copy(pristine, journal)
    before = _digest(journal)
    assert main(["report", str(journal), "--out", str(journal)]) == 2
    assert "refusing to overwrite an input" in capsys.readouterr().err
    assert _digest(journal) == before
    assert main(["report", str(journal), "--out", str(tmp_path / "a" / "b" / "aar.html")]) == 0
    assert (tmp_path / "a" / "b" / "aar-improvement-plan.csv").is_file()


def test_sessions_of_the_old_folder_are_listed_and_resumable(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TTX_SESSIONS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    old = tmp_path / "data" / "ttx" / "sessions" / "old.ttxj"
    old.parent.mkdir(parents=True)
    sim, journal = _session(old, until=600, close=False)
    journal.close(sim.now, finished=False)
    assert main(["journal", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["folder"] == str(tmp_path / "data" / "ttxsim" / "sessions")
    assert [(row["path"], row["state"]) for row in listing["sessions"]] == [(str(old), "crashed")]
    again, journal = resume(old)
    assert again.inputs == sim.inputs
    journal.close(again.now)
