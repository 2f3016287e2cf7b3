"""The session journal: a crash-safe SQLite record of one exercise session.

A trainer must never lose a session. Every front end that lets people play
(`ttxsim play`, `ttxsim run --journal`) writes one SQLite file holding what is
needed to rebuild the run exactly (design.md, "Determinism"):

* the scenario text and its SHA-256, the seed, the reforms, the human roles
  and the package version;
* every input, committed the moment it happens, with simulated and wall time:
  the model inputs (`inject`, `decision`, `note`, which `replay_entry`
  re-applies) and the console-only ones (`pause`, `speed`, which replay skips);
* the event stream (`SimEvent.to_json()` per row), written in batches: it is
  derived data, so a batch lost in a crash is simply regenerated on resume.

The file uses WAL with `synchronous=FULL`: a committed input survives a
`kill -9` and a power cut. Resume replays the inputs on the same seed and
checks every regenerated event against the stored stream.

Front-end use::

    sim, journal = start_session("exercise.yaml", seed=3, human_roles=["pm"])
    journal.apply(sim, inject)                    # instead of sim.apply: applies, then commits
    journal.decide(sim, "warning", "issued", "pm") # instead of sim.decide
    journal.note(sim, "Cabinet slow", "observer")  # instead of sim.note
    journal.record_console("pause", sim.now, paused=True)
    journal.flush(sim.now)                        # after each tick (cheap; batches events)
    journal.close(sim.now)                        # clean end of session

    sim, journal = resume(path)                   # after a crash: exact state, same journal
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import socket
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.events import SimEvent

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario
    from sim.simulation import Input, Simulation

__all__ = [
    "CONSOLE_KINDS",
    "MODEL_KINDS",
    "Divergence",
    "Entry",
    "Journal",
    "JournalError",
    "JournalLocked",
    "JournalWriteError",
    "ReplayDivergence",
    "ReplayReport",
    "SalvageReport",
    "SessionInfo",
    "apply_script",
    "decision_script",
    "default_journal_path",
    "default_sessions_dir",
    "replay",
    "replay_entry",
    "resume",
    "salvage",
    "script_roles",
    "session_folders",
    "start_session",
    "writer_of",
]

FORMAT_VERSION = 1
APPLICATION_ID = 0x74747831  # "ttx1": marks a file as a ttxsim journal (PRAGMA application_id)
MODEL_KINDS = frozenset({"inject", "decision", "note", "evaluation", "message"})
"""Inputs that change the run; `replay_entry` re-applies them."""
CONSOLE_KINDS = frozenset({"pause", "speed", "hold"})
"""Console-only inputs: journaled for the record, ignored by replay."""
EVENT_BATCH = 512  # events buffered before a commit
EVENT_COMMIT_SECONDS = 1.0  # or this long since the last commit, whichever comes first

_SCHEMA = """
CREATE TABLE IF NOT EXISTS session (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    n INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    sim_time REAL NOT NULL,
    wall_time REAL NOT NULL,
    model_index INTEGER UNIQUE,
    steps_before INTEGER,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    json TEXT NOT NULL
);
"""


class JournalError(Exception):
    """A file that is not a readable ttxsim journal (missing, corrupt, tampered, other format).

    The message is one sentence for the user that names the journal (and the bad row, if any).
    """


class JournalLocked(JournalError):
    """Another process is writing this journal: a journal has exactly one writer."""


class JournalWriteError(JournalError):
    """The journal could not be written (full disk, read-only medium, no permission).

    Nothing already committed is lost; inputs not yet written stay in memory
    (the simulation's input list, the console's unsaved inputs) and are written by the
    next successful write.
    """


SALVAGE_HINT = "'ttxsim journal --salvage FILE --out NEW' keeps every input before it"


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first place where a re-run differs from the stored event stream."""

    index: int
    expected: str | None
    """Stored event (JSON) or None when the journal ended first."""
    actual: str | None
    """Re-run event (JSON) or None when the re-run ended first."""

    def describe(self) -> str:
        return (
            f"first divergence at event {self.index}:\n"
            f"  journal: {self.expected if self.expected is not None else '(no more events)'}\n"
            f"  re-run:  {self.actual if self.actual is not None else '(no more events)'}"
        )


class ReplayDivergence(JournalError):
    """Resuming regenerated an event that differs from the stored one."""

    def __init__(self, divergence: Divergence | str) -> None:
        # SimPy may re-create an exception raised inside a process from its args (a str).
        self.divergence = divergence if isinstance(divergence, Divergence) else None
        super().__init__(
            f"the re-run differs from the journal from event {divergence.index} on ('ttxsim replay FILE' shows both)"
            if isinstance(divergence, Divergence)
            else str(divergence)
        )


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """The configuration echo of a session: enough to rebuild it."""

    path: Path
    scenario_path: str
    scenario_text: str
    scenario_sha256: str
    scenario_id: str
    seed: int
    reforms: tuple[str, ...]
    human_roles: tuple[str, ...]
    version: str
    mode: str
    """`play` (console) or `run` (headless `ttxsim run --journal`)."""
    created: float
    """Wall time (Unix seconds) when the journal was created."""
    reached: float | None
    """Latest simulated minute the session is known to have reached."""
    closed: bool
    """True when the session ended cleanly (`Journal.close`)."""

    @property
    def playable_text(self) -> str:
        """The stored scenario text as this version loads it: sections earlier versions
        had and this one dropped are blanked out (`sim.scenario.legacy`), lines kept."""
        from sim.scenario.legacy import without_removed_sections

        return without_removed_sections(self.scenario_text)


@dataclass(frozen=True, slots=True)
class Entry:
    """One journaled input with its wall-clock time."""

    n: int
    kind: str
    sim_time: float
    wall_time: float
    payload: dict[str, Any]
    steps_before: int | None = None
    """Model events processed before the input was applied (`Input.steps_before`)."""

    def as_input(self) -> Input:
        from sim.simulation import Input

        return Input(self.sim_time, self.kind, self.payload, self.steps_before)


# ---------------------------------------------------------------------------
# Where sessions live
# ---------------------------------------------------------------------------


def default_sessions_dir() -> Path:
    """`<user data dir>/ttxsim/sessions`: platformdirs when installed, else XDG_DATA_HOME
    (or `~/.local/share`). `TTX_SESSIONS_DIR` overrides both."""
    override = os.environ.get("TTX_SESSIONS_DIR")
    if override:
        return Path(override).expanduser()
    return _data_dir("ttxsim") / "sessions"


def _data_dir(application: str) -> Path:
    try:
        from platformdirs import user_data_path
    except ImportError:
        base = os.environ.get("XDG_DATA_HOME") or (Path.home() / ".local" / "share")
        return Path(base) / application
    return user_data_path(application, appauthor=False)


def session_folders() -> list[Path]:
    """Every folder the sessions listing reads: the sessions folder, then the one
    versions before the rename wrote to (`<user data dir>/ttx/sessions`), so old
    sessions are still listed and resumable. `TTX_SESSIONS_DIR` names the only one."""
    folders = [default_sessions_dir()]
    if not os.environ.get("TTX_SESSIONS_DIR"):
        folders.append(_data_dir("ttx") / "sessions")
    return list(dict.fromkeys(folders))


def default_journal_path(scenario_id: str, seed: int, *, folder: Path | None = None) -> Path:
    """A fresh file name such as `exercise-20250403-141502-seed1.ttxj` in the sessions folder."""
    folder = folder or default_sessions_dir()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = f"{re.sub(r'[^A-Za-z0-9_-]', '_', scenario_id)}-{stamp}-seed{seed}"
    candidate = folder / f"{stem}.ttxj"
    counter = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{counter}.ttxj"
        counter += 1
    return candidate


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("ttxsim")
    except Exception:
        import sim

        return getattr(sim, "__version__", "unknown")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# One writer per journal
# ---------------------------------------------------------------------------


def lock_path(path: Path) -> Path:
    """The writer lock beside a journal: `s.ttxj` -> `s.ttxj.lock`."""
    return path.with_name(path.name + ".lock")


class _WriterLock:
    """An exclusive OS lock (`flock`) on `<journal>.lock`, held by whoever writes the journal.

    Why an OS lock and not a lock row in the journal: the kernel drops the lock
    the moment its process ends, `kill -9`, an OOM kill or a power cut
    included, so a lock left by a dead writer is never in force and is taken
    over at once; there is no pid to test for liveness, no pid reuse to be
    fooled by and no clock to trust. The file's text (pid, host, start time)
    only tells the second writer who holds it. The lock file sits beside the
    journal, never inside it, so SQLite's own byte-range locks are untouched.
    """

    def __init__(self, journal: Path) -> None:
        self.journal = journal
        self.path = lock_path(journal)
        self._fd: int | None = None

    def acquire(self, remedy: str = "copy the journal to a writable folder to resume it") -> None:
        """Take the lock or raise JournalLocked (another writer) / JournalWriteError (`remedy` says what to do)."""
        import fcntl

        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as error:
                raise JournalWriteError(
                    f"{self.journal}: cannot write in its folder ({_os_reason(error)}); {remedy}"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                owner = _read_owner(fd)
                os.close(fd)
                raise JournalLocked(
                    f"{self.journal}: in use by another ttxsim{owner}; a journal has one writer, "
                    "so close that session first (reading it with ttxsim journal, replay or report is fine)"
                ) from None
            # A writer that was closing may have removed the file between our open and our lock.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(owner).encode(), 0)
            self._fd = fd
            return

    def release(self) -> None:
        """Remove the lock file (while still holding it) and drop the lock."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None


def _read_owner(fd: int) -> str:
    """`" (pid 812 on host ops1 since 14:02)"` from a lock file's text, or `""`."""
    try:
        owner = json.loads(os.pread(fd, 4096, 0) or b"{}")
        since = datetime.fromtimestamp(float(owner["started"])).strftime("%Y-%m-%d %H:%M")
        return f" (pid {int(owner['pid'])} on host {owner['host']} since {since})"
    except (OSError, ValueError, TypeError, KeyError):
        return ""


def writer_of(path: str | Path) -> str | None:
    """Who holds the journal's writer lock (`"pid 812 on host ops1 ..."`), or None when nobody does.

    Read-only: opens an existing lock file for reading and asks for a shared
    lock without waiting; creates nothing.
    """
    import fcntl

    try:
        fd = os.open(lock_path(Path(path)), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _read_owner(fd).strip(" ()") or "another process"
    finally:
        os.close(fd)
    return None


def _os_reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only medium or permission denied"
    return error.strerror or "cannot write"


def _write_failure(path: Path, error: Exception) -> JournalWriteError:
    """One sentence for a failed journal write, whatever layer (SQLite or the OS) reported it."""
    if isinstance(error, OSError):
        reason = _os_reason(error)
    else:
        text = str(error).lower()
        if "full" in text:
            reason = "the disk is full"
        elif "readonly" in text or "read-only" in text or "unable to open" in text:
            reason = "read-only medium or permission denied"
        else:
            reason = str(error) or "cannot write"
    return JournalWriteError(f"{path}: the journal could not be written ({reason})")


# ---------------------------------------------------------------------------
# Reading rows that may be damaged
# ---------------------------------------------------------------------------

_PAYLOAD_KEYS = {"decision": ("decision", "option", "role"), "note": ("text", "author"), "inject": ("id",)}


def _entry_from_row(path: Path, row: Sequence[Any]) -> Entry:
    """Check one `inputs` row and build its `Entry`; an unreadable row raises JournalError naming it."""
    n, kind, sim_time, wall_time, payload_text, before = row

    def bad(reason: str) -> JournalError:
        return JournalError(f"{path}: input row {n} is unreadable ({reason}); {SALVAGE_HINT}")

    if kind not in MODEL_KINDS | CONSOLE_KINDS:
        raise bad(f"unknown input kind {str(kind)[:40]!r}")
    for name, value in (("simulated time", sim_time), ("wall time", wall_time)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise bad(f"its {name} is not a number")
    if before is not None and (isinstance(before, bool) or not isinstance(before, int) or before < 0):
        raise bad("its event count is not a whole number")
    try:
        payload = json.loads(payload_text)
    except (TypeError, ValueError):
        raise bad("its payload is not valid JSON") from None
    if not isinstance(payload, dict):
        raise bad("its payload is not a JSON object")
    missing = [key for key in _PAYLOAD_KEYS.get(kind, ()) if not isinstance(payload.get(key), str)]
    if missing:
        raise bad(f"its {kind} has no {', '.join(repr(k) for k in missing)}")
    return Entry(n, kind, float(sim_time), float(wall_time), payload, before)


def _reason(error: BaseException) -> str:
    """A short reason for a replay failure, without an internal exception name."""
    if isinstance(error, KeyError):
        return f"unknown or missing {error.args[0]!r}" if error.args else "a missing key"
    errors = getattr(error, "errors", None)
    if callable(errors):  # pydantic: the first problem, on one line
        with contextlib.suppress(Exception):
            first = errors()[0]
            return f"{'.'.join(str(part) for part in first['loc']) or 'payload'}: {first['msg']}"
    text = str(error).strip().splitlines()
    return text[0] if text else "it does not fit this scenario"


def _replay_errors() -> tuple[type[BaseException], ...]:
    """What re-applying a damaged or foreign input can raise (never a divergence, which is reported)."""
    from sim.errors import ModelError

    return (LookupError, ValueError, TypeError, ArithmeticError, ModelError)


# ---------------------------------------------------------------------------
# The journal
# ---------------------------------------------------------------------------


class Journal:
    """One session's SQLite file. Create with `Journal.create`, reopen with `Journal.open`.

    Pass `journal.sink` to `Simulation(sinks=[...])`; give inputs through
    `journal.apply/decide/note(sim, ...)` (or call `journal.sync(sim)` after each), `journal.flush(sim.now)`
    now and then, and `journal.close(sim.now)` at the end.

    A journal opened with `Journal.open(path)` is a reader: read-only SQLite
    (`mode=ro`, `immutable=1` on a read-only medium), it never changes the
    file. Only a writer (`Journal.create`, `Journal.open(path, write=True)`,
    `resume`) holds the writer lock, and only a writer's `close` marks the
    session as ended cleanly.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, lock: _WriterLock | None = None) -> None:
        self._db = connection
        self.path = path
        self._lock = lock
        self._buffer: list[tuple[int, float, str, str]] = []
        self._last_commit = time.monotonic()
        self._retry_after = 0.0
        self._model_count = self._scalar("SELECT COUNT(*) FROM inputs WHERE model_index IS NOT NULL", "the inputs")
        self._stored_events = self._scalar("SELECT COUNT(*) FROM events", "the events")
        self._verify: list[str] | None = None  # stored events a resumed run must reproduce
        self._strict = True
        self.divergence: Divergence | None = None
        self.write_error: JournalWriteError | None = None
        """The latest write failure not yet made good by a successful write, or None."""
        self.on_write_error: Callable[[str], None] | None = None
        """Told (one sentence) when a write fails where no caller can be raised to: the event sink."""

    @property
    def writable(self) -> bool:
        return self._lock is not None

    # -- opening ---------------------------------------------------------------
    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        """A writer's connection: WAL, `synchronous=FULL`."""
        connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA busy_timeout=5000")
        return connection

    @staticmethod
    def _connect_read_only(path: Path) -> sqlite3.Connection:
        """A reader's connection, which never changes the file.

        `mode=ro` reads the write-ahead log of a crashed session too. A journal
        on a read-only medium with no write-ahead log (closed cleanly) cannot
        be opened that way, as SQLite would need to create its shared-memory
        file; it is then opened `immutable=1`, which is exact because nothing
        beyond the main file exists to be read and nobody can write there.

        A journal nobody has open (no `-wal`/`-shm` beside it, no writer lock
        held) is opened `immutable=1` straight away: a `mode=ro` reader of a
        WAL database creates both side files and, being read-only, cannot
        remove them when it closes, so `ttxsim report` would leave them behind.
        Everything is in the main file then; a writer resuming meanwhile
        appends to its own write-ahead log, which a short read never sees.
        """
        uri = path.resolve().as_uri()

        def connect(query: str) -> sqlite3.Connection:
            connection = sqlite3.connect(f"{uri}?{query}", uri=True, isolation_level=None, check_same_thread=False)
            try:
                connection.execute("PRAGMA busy_timeout=5000")
                connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.Error:
                connection.close()
                raise
            return connection

        side_files = [Path(f"{path}-wal"), Path(f"{path}-shm")]
        if not any(side.exists() for side in side_files) and writer_of(path) is None:
            return connect("mode=ro&immutable=1")
        try:
            return connect("mode=ro")
        except sqlite3.DatabaseError:
            wal = Path(str(path) + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise
            return connect("mode=ro&immutable=1")

    @staticmethod
    def _build(path: Path, meta: dict[str, Any], inputs: Sequence[Sequence[Any]] = ()) -> None:
        """Write a complete journal file at `path`: built under a temporary name and
        renamed when complete, so a crash or a full disk leaves no half-made journal.

        Raises:
            JournalError: `path` exists. JournalWriteError: it cannot be written.
        """
        if path.exists():
            raise JournalError(f"{path} exists already; a journal is never overwritten")
        partial = path.with_name(path.name + ".partial")
        connection = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)
            connection = Journal._connect(partial)
            with connection:
                connection.execute("BEGIN")
                connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
                connection.execute(f"PRAGMA user_version={FORMAT_VERSION}")
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    connection.execute(statement)
                connection.executemany(
                    "INSERT INTO session VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
                )
                connection.executemany(
                    "INSERT INTO inputs (n, kind, sim_time, wall_time, model_index, steps_before, payload) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    inputs,
                )
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            connection = None
            if path.exists():
                raise JournalError(f"{path} exists already; a journal is never overwritten")
            os.replace(partial, path)
        except (OSError, sqlite3.Error) as error:
            raise _write_failure(path, error) from None
        finally:
            if connection is not None:
                with contextlib.suppress(sqlite3.Error):
                    connection.close()
            for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)

    @classmethod
    def create(
        cls,
        path: str | Path | None,
        *,
        scenario_text: str,
        scenario_path: str | Path | None = None,
        seed: int,
        reforms: Sequence[str] = (),
        human_roles: Iterable[str] = (),
        mode: str = "play",
    ) -> Journal:
        """Start a new journal and hold its writer lock. `path=None` picks a fresh file in `default_sessions_dir()`.

        Raises:
            JournalError: the file exists already. JournalLocked: another process is creating it.
            JournalWriteError: it cannot be written (full disk, read-only folder).
        """
        from sim.scenario.loader import load_scenario_text

        scenario = load_scenario_text(scenario_text, str(scenario_path or "<journal>"))
        path = Path(path) if path else default_journal_path(scenario.scenario.id, seed)
        if path.exists():
            raise JournalError(f"{path} exists already; a journal is never overwritten")
        meta = {
            "format": FORMAT_VERSION,
            "scenario_path": str(scenario_path or ""),
            "scenario_text": scenario_text,
            "scenario_sha256": _sha256(scenario_text),
            "scenario_id": scenario.scenario.id,
            "seed": int(seed),
            "reforms": list(reforms),
            "human_roles": sorted(set(human_roles)),
            "version": _package_version(),
            "python": sys.version.split()[0],
            "mode": mode,
            "created": time.time(),
            "reached": None,
            "closed": False,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _write_failure(path, error) from None
        lock = _WriterLock(path)
        lock.acquire("choose another folder for the journal")
        try:
            cls._build(path, meta)
            return cls(cls._connect(path), path, lock)
        except sqlite3.Error as error:
            lock.release()
            raise _write_failure(path, error) from None
        except BaseException:
            lock.release()
            raise

    @classmethod
    def open(cls, path: str | Path, *, write: bool = False) -> Journal:
        """Open an existing journal: read-only by default; `write=True` takes the writer lock (resuming).

        Raises:
            JournalError: missing file, not a ttxsim journal, unreadable settings, or
                scenario text that does not match its hash.
            JournalLocked: `write=True` and another process writes the journal.
            JournalWriteError: `write=True` and the journal's folder cannot be written.
        """
        path = Path(path)
        if not path.is_file():
            raise JournalError(f"{path}: no such journal file")
        lock = _WriterLock(path) if write else None
        if lock is not None:
            lock.acquire()
        connection = None
        try:
            try:
                connection = cls._connect(path) if write else cls._connect_read_only(path)
                app_id = connection.execute("PRAGMA application_id").fetchone()[0]
                version = connection.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as error:
                if write and _looks_unwritable(error):
                    raise _write_failure(path, error) from None
                raise JournalError(f"{path}: not a readable ttxsim journal ({error})") from None
            if app_id != APPLICATION_ID:
                raise JournalError(f"{path}: not a ttxsim journal")
            if version > FORMAT_VERSION:
                raise JournalError(
                    f"{path}: journal format {version} is newer than this ttxsim understands ({FORMAT_VERSION})"
                )
            journal = cls(connection, path, lock)
            info = journal.info
            if _sha256(info.scenario_text) != info.scenario_sha256:
                raise JournalError(
                    f"{path}: the stored scenario text does not match its SHA-256; the journal was altered"
                )
            return journal
        except BaseException:
            if connection is not None:
                with contextlib.suppress(sqlite3.Error):
                    connection.close()
            if lock is not None:
                lock.release()
            raise

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        """A reader just closes; a writer leaving the block normally ends the session cleanly."""
        self.close(finished=self.writable and exc_type is None)

    # -- metadata --------------------------------------------------------------
    def _scalar(self, sql: str, what: str) -> Any:
        try:
            return self._db.execute(sql).fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise JournalError(f"{self.path}: {what} are unreadable ({error}); {SALVAGE_HINT}") from None

    def _meta(self) -> dict[str, Any]:
        try:
            rows = self._db.execute("SELECT key, value FROM session").fetchall()
        except sqlite3.DatabaseError as error:
            raise JournalError(f"{self.path}: the session settings are unreadable ({error})") from None
        meta = {}
        for key, value in rows:
            try:
                meta[key] = json.loads(value)
            except (TypeError, ValueError):
                raise JournalError(f"{self.path}: session setting {str(key)[:40]!r} is unreadable (bad JSON)") from None
        return meta

    @property
    def info(self) -> SessionInfo:
        meta = self._meta()
        try:
            reached = meta.get("reached")
            return SessionInfo(
                path=self.path,
                scenario_path=str(meta["scenario_path"]),
                scenario_text=_text(meta["scenario_text"]),
                scenario_sha256=_text(meta["scenario_sha256"]),
                scenario_id=str(meta["scenario_id"]),
                seed=int(meta["seed"]),
                reforms=tuple(_text(r) for r in meta["reforms"]),
                human_roles=tuple(_text(r) for r in meta["human_roles"]),
                version=str(meta["version"]),
                mode=str(meta.get("mode", "play")),
                created=float(meta["created"]),
                reached=None if reached is None else float(reached),
                closed=bool(meta.get("closed")),
            )
        except KeyError as error:
            raise JournalError(f"{self.path}: the session settings are unreadable (no {error.args[0]!r})") from None
        except (TypeError, ValueError):
            raise JournalError(
                f"{self.path}: the session settings are unreadable (a value of the wrong kind)"
            ) from None

    def _set(self, key: str, value: Any) -> None:
        """Update one session setting (metadata, not an input: settings such as `reached` change)."""
        self._db.execute(
            "INSERT INTO session VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    # -- writing ---------------------------------------------------------------
    def _transaction(self, write: Callable[[], None]) -> None:
        """Run `write` in one committed transaction; a failure becomes JournalError / JournalWriteError.

        Inputs and events are inserted, never replaced: a row that already exists
        (another writer, a programming error) is refused, not overwritten.
        """
        if not self.writable:
            raise JournalError(f"{self.path}: opened read-only; only the session's writer may change it")
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                write()
        except sqlite3.IntegrityError as error:
            raise JournalError(f"{self.path}: refused to overwrite a recorded row ({error})") from None
        except (sqlite3.Error, OSError) as error:
            failure = _write_failure(self.path, error)
            self.write_error = failure
            raise failure from None
        self.write_error = None
        self._last_commit = time.monotonic()

    def sink(self, event: SimEvent) -> None:
        """Event callback for `Simulation(sinks=[journal.sink])`; buffers, commits in batches.

        While a resumed run regenerates events the journal already holds, each
        one is checked against the stored copy instead of being written again.
        A failed write never reaches the simulation: the batch stays in memory,
        `on_write_error` is told, and the write is tried again a second later.
        """
        text = event.to_json()
        if event.seq < self._stored_events:
            if self._verify is not None:
                expected = self._verify[event.seq]
                if expected != text and self.divergence is None:
                    self.divergence = Divergence(event.seq, expected, text)
                    if self._strict:
                        raise ReplayDivergence(self.divergence)
            return
        self._buffer.append((event.seq, event.time, str(event.kind), text))
        now = time.monotonic()
        due = len(self._buffer) >= EVENT_BATCH or now - self._last_commit > EVENT_COMMIT_SECONDS
        if due and now >= self._retry_after:
            try:
                self.flush()
            except JournalWriteError as error:
                self._retry_after = now + EVENT_COMMIT_SECONDS
                self._tell(error)

    def _tell(self, error: JournalError) -> None:
        if self.on_write_error is not None:
            self.on_write_error(str(error))

    def _insert_events(self, batch: list[tuple[int, float, str, str]]) -> None:
        if batch:
            self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", batch)

    def _committed_events(self, batch: list[tuple[int, float, str, str]]) -> None:
        if batch:
            del self._buffer[: len(batch)]
            self._stored_events = max(self._stored_events, batch[-1][0] + 1)

    def flush(self, now: float | None = None) -> None:
        """Commit buffered events (and the simulated time reached, if given).

        Raises:
            JournalWriteError: the write failed; the events stay buffered for the next try.
        """
        batch = list(self._buffer)

        def write() -> None:
            self._insert_events(batch)
            if now is not None:
                reached = self._meta().get("reached")
                if reached is None or now > reached:
                    self._set("reached", now)

        self._transaction(write)
        self._committed_events(batch)

    def record(self, item: Input, wall_time: float | None = None) -> None:
        """Journal one input and commit at once (with every event buffered before it).

        Model inputs (`inject`, `decision`, `note`) must be recorded in the order
        the simulation took them; `item.steps_before` says exactly where in the
        run each was applied, so replay is exact even for several inputs at one
        instant.

        Raises:
            JournalWriteError: not written; nothing was recorded (call again to retry).
        """
        if item.kind not in MODEL_KINDS | CONSOLE_KINDS:
            raise ValueError(f"unknown input kind {item.kind!r}")
        wall = time.time() if wall_time is None else wall_time
        model_index = self._model_count if item.kind in MODEL_KINDS else None
        batch = list(self._buffer)

        def write() -> None:
            self._insert_events(batch)
            self._db.execute(
                "INSERT INTO inputs (kind, sim_time, wall_time, model_index, steps_before, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    item.kind,
                    float(item.time),
                    wall,
                    model_index,
                    item.steps_before,
                    json.dumps(item.payload, sort_keys=True),
                ),
            )
            self._set("closed", False)

        self._transaction(write)
        self._committed_events(batch)
        if model_index is not None:
            self._model_count += 1

    # -- the preferred way to give inputs: apply to the simulation and journal in one call
    def apply(self, simulation: Simulation, inject: Any) -> SimEvent:
        """`simulation.apply(inject)`, journaled and committed before returning."""
        event = simulation.apply(inject)
        self.sync(simulation)
        return event

    def decide(self, simulation: Simulation, decision_id: str, option: str, role: str) -> None:
        """`simulation.decide(...)`, journaled (nothing is recorded if it raises DecisionError)."""
        simulation.decide(decision_id, option, role)
        self.sync(simulation)

    def note(self, simulation: Simulation, text: str, author: str = "facilitator") -> SimEvent:
        """`simulation.note(...)`, journaled."""
        event = simulation.note(text, author)
        self.sync(simulation)
        return event

    def observer(self, simulation: Simulation):
        """A callback for the console's `Session.observers` (tui/session.py `SessionInput`).

        Model inputs are taken from `simulation.inputs` (canonical payloads, with
        their exact position in the run); `pause`/`resume`/`speed` become console
        entries. A failed write raises JournalWriteError and records nothing:
        the console keeps the input and delivers it again (model inputs also
        stay in `simulation.inputs`, so the next `sync` writes them in order).
        """

        from sim.simulation import Input

        def observe(item: Any) -> None:
            kind = item.kind
            self.sync(simulation)
            if kind in ("pause", "resume"):
                self.record(Input(item.sim_time, "pause", {"paused": kind == "pause"}))
            elif kind in ("speed", "hold"):
                self.record(Input(item.sim_time, kind, dict(item.payload)))

        return observe

    def sync(self, simulation: Simulation, wall_time: float | None = None) -> int:
        """Record every input `simulation` took since the last sync; returns how many.

        Raises:
            JournalWriteError: stopped at the first input that could not be written;
                it and the ones after it are written by the next `sync`.
        """
        fresh = simulation.inputs[self._model_count :]
        for item in fresh:
            self.record(item, wall_time)
        return len(fresh)

    def record_console(self, kind: str, sim_time: float, wall_time: float | None = None, **payload: Any) -> None:
        """Journal a console-only input: `record_console("pause", sim.now, paused=True)`,
        `record_console("speed", sim.now, speed=60.0)`. Replay ignores these.

        Raises:
            JournalWriteError: not written; nothing was recorded (the caller keeps it and calls again).
        """
        from sim.simulation import Input

        if kind not in CONSOLE_KINDS:
            raise ValueError(f"console input kind must be one of {sorted(CONSOLE_KINDS)}, not {kind!r}")
        self.record(Input(sim_time, kind, payload), wall_time)

    def close(self, now: float | None = None, *, finished: bool = True) -> None:
        """Close. A writer flushes first, and `finished=True` marks a clean end (replay then
        expects the full stream); a reader changes nothing.

        Raises:
            JournalWriteError: a writer's last write failed (the file is closed and the lock released anyway).
        """
        if self._db is None:
            return
        try:
            if self.writable:
                self.flush(now)
                if finished:
                    self._transaction(lambda: self._set("closed", True))
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None  # type: ignore[assignment]
            if self._lock is not None:
                self._lock.release()

    def _abandon(self) -> None:
        """Close a writer that failed to resume without writing anything more to the file."""
        self._buffer.clear()
        lock, self._lock = self._lock, None
        try:
            self.close(finished=False)
        finally:
            if lock is not None:
                lock.release()

    # -- reading ---------------------------------------------------------------
    def _read_entries(self) -> tuple[list[Entry], JournalError | None]:
        """Every input row that reads, in order, up to the first that does not (and why it does not)."""
        entries: list[Entry] = []
        try:
            cursor = self._db.execute(
                "SELECT n, kind, sim_time, wall_time, payload, steps_before FROM inputs ORDER BY n"
            )
            for row in cursor:
                entries.append(_entry_from_row(self.path, row))
        except JournalError as error:
            return entries, error
        except sqlite3.DatabaseError as error:
            where = f"after input row {entries[-1].n}" if entries else "from the first input row on"
            return entries, JournalError(f"{self.path}: the inputs are unreadable {where} ({error}); {SALVAGE_HINT}")
        return entries, None

    def entries(self, *, console: bool = True) -> list[Entry]:
        """Every journaled input in order; `console=False` keeps only model inputs.

        Raises:
            JournalError: a row cannot be read; the message names it.
        """
        entries, problem = self._read_entries()
        if problem is not None:
            raise problem
        return [e for e in entries if console or e.kind in MODEL_KINDS]

    def inputs(self) -> list[Input]:
        """The model inputs, in order, as the facade's `Input` records."""
        return [entry.as_input() for entry in self.entries(console=False)]

    def event_lines(self) -> list[str]:
        """The stored event stream as `SimEvent.to_json()` lines, by sequence number."""
        lines: list[str] = []
        try:
            for (line,) in self._db.execute("SELECT json FROM events ORDER BY seq"):
                lines.append(line if isinstance(line, str) else str(line))
        except sqlite3.DatabaseError as error:
            raise JournalError(
                f"{self.path}: the stored events are unreadable after event {len(lines)} ({error}); {SALVAGE_HINT}"
            ) from None
        return lines

    def events(self) -> list[SimEvent]:
        events = []
        for index, line in enumerate(self.event_lines()):
            try:
                events.append(SimEvent.from_dict(json.loads(line)))
            except (ValueError, TypeError, LookupError, AttributeError):
                self.refuse_replaced_model()  # its events are of kinds this version no longer has
                raise JournalError(f"{self.path}: stored event {index} is unreadable; {SALVAGE_HINT}") from None
        return events

    def scenario(self) -> Scenario:
        """The scenario as it was played: stored text with the session's reforms applied.

        Raises:
            JournalError: the session ran on a model this version replaced (`refuse_replaced_model`).
        """
        from sim.scenario.loader import load_scenario_text

        self.refuse_replaced_model()
        info = self.info
        return load_scenario_text(info.playable_text, info.scenario_path or str(self.path), info.reforms)

    def refuse_replaced_model(self) -> None:
        """Raise a `JournalError` saying so if the session ran on a model this version replaced
        (the island model's `evacuation:`): it cannot be re-run, so it cannot be replayed, resumed
        or reported; its record (`ttxsim journal FILE`) is still read as it is.

        Raises:
            JournalError: one sentence naming the first replaced part and its line in the stored text.
        """
        from sim.scenario.legacy import replaced_parts
        from sim.scenario.loader import ScenarioError, load_raw

        info = self.info
        try:
            raw, positions = load_raw(info.scenario_text, info.scenario_path or str(self.path))
        except ScenarioError:
            return  # not a replaced model: loading the text says what is wrong with it
        replaced = replaced_parts(raw, positions)
        if replaced:
            first = replaced[0]
            raise JournalError(
                f"{self.path}: this session ran on a model this version replaced, so it cannot be replayed, "
                f"resumed or reported ('ttxsim journal {self.path}' still lists its inputs); line {first.line} "
                f"of its scenario, {first.path}: {first.message}"
            )

    def simulation(
        self, *, sinks: Sequence[Any] = (), seed: int | None = None, human_roles: Iterable[str] | None = None
    ) -> Simulation:
        """A fresh (not yet replayed) `Simulation` configured like the session."""
        from sim.simulation import Simulation

        info = self.info
        return Simulation(
            self.scenario(),
            seed=info.seed if seed is None else seed,
            human_roles=info.human_roles if human_roles is None else human_roles,
            reforms=info.reforms,
            sinks=sinks,
        )

    def resume_target(self) -> float | None:
        """Simulated minute a resumed session must be advanced to after its inputs are
        replayed, or None when it must stay where the last input left it.

        The facade applies an input after every event due at its time, and events
        the input itself schedules at that instant run only at the next advance.
        So a session whose latest known time is its last model input's time is
        left exactly there: advancing would run those events before any further
        input at the same instant, which the original session did not do.
        """
        last_model = self._scalar("SELECT MAX(sim_time) FROM inputs WHERE model_index IS NOT NULL", "the inputs")
        target = self._latest_time()
        return target if last_model is None or target > last_model else None

    def _latest_time(self) -> float:
        info = self.info
        last_input = self._scalar("SELECT MAX(sim_time) FROM inputs", "the inputs")
        last_event = self._scalar("SELECT MAX(time) FROM events", "the events")
        numbers = (info.reached, last_input, last_event, 0.0)
        return max(float(x) for x in numbers if isinstance(x, int | float) and math.isfinite(x))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _looks_unwritable(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text or "full" in text


# ---------------------------------------------------------------------------
# Sessions: start, resume, replay
# ---------------------------------------------------------------------------


def replay_entry(simulation: Simulation, entry: Entry) -> None:
    """Re-apply one journaled model input exactly where the session applied it."""
    simulation.replay_input(entry.as_input())


def start_session(
    scenario_path: str | Path,
    *,
    seed: int = 1,
    reforms: Sequence[str] = (),
    human_roles: Iterable[str] = (),
    journal_path: str | Path | None = None,
    mode: str = "play",
    sinks: Sequence[Any] = (),
) -> tuple[Simulation, Journal]:
    """Load a scenario, create its journal and a `Simulation` that writes to it.

    Raises:
        ScenarioError: bad scenario or reform. JournalError: the journal cannot be created.
    """
    from sim.scenario.loader import load_scenario_text, read_scenario_text
    from sim.simulation import Simulation

    text = read_scenario_text(scenario_path)
    scenario = load_scenario_text(text, str(scenario_path), reforms)
    roles = sorted(set(human_roles))
    journal = Journal.create(
        journal_path,
        scenario_text=text,
        scenario_path=scenario_path,
        seed=seed,
        reforms=reforms,
        human_roles=roles,
        mode=mode,
    )
    simulation = Simulation(scenario, seed=seed, human_roles=roles, reforms=reforms, sinks=[journal.sink, *sinks])
    return simulation, journal


def _replay_all(simulation: Simulation, entries: Sequence[Entry], path: Path, target: float | None) -> None:
    """Re-apply `entries`, then advance to `target`; an input that cannot be re-applied is named.

    Raises:
        ReplayDivergence: the re-run differs from the stored events (resume, strict).
        JournalError: an input does not fit the session's scenario (damaged or edited journal).
    """
    errors = _replay_errors()
    entry = None
    try:
        for entry in entries:
            replay_entry(simulation, entry)
        entry = None
        if target is not None:
            simulation.advance(target)
    except ReplayDivergence:
        raise
    except errors as error:
        if entry is None:
            raise JournalError(
                f"{path}: the session cannot be rebuilt past its last input ({_reason(error)}); {SALVAGE_HINT}"
            ) from None
        raise JournalError(
            f"{path}: input row {entry.n} ({entry.kind} at minute {entry.sim_time:g}) cannot be replayed "
            f"({_reason(error)}); {SALVAGE_HINT}"
        ) from None


def resume(path: str | Path, *, strict: bool = True, sinks: Sequence[Any] = ()) -> tuple[Simulation, Journal]:
    """Rebuild a session from its journal: same scenario and seed, every input replayed
    at its recorded time, then advanced to the latest time the session reached.

    The journal stays open, holding the writer lock, and keeps recording (new
    inputs, events past the stored ones). Every regenerated event is checked
    against the stored stream; with `strict=True` a difference raises
    `ReplayDivergence`, otherwise the stored events from the first difference
    on are replaced.

    Raises:
        JournalLocked: another process writes the journal. JournalWriteError: its folder is read-only.
        ReplayDivergence, JournalError: see `replay`.
    """
    journal = Journal.open(path, write=True)
    try:
        journal._verify = journal.event_lines()
        journal._strict = strict
        entries = journal.entries(console=False)
        target = journal.resume_target()
        simulation = journal.simulation(sinks=[journal.sink, *sinks])
        if strict:
            _replay_all(simulation, entries, journal.path, target)
        else:
            for entry in entries:
                _replay_all(simulation, [entry], journal.path, None)
                if journal.divergence is not None:
                    break
            if journal.divergence is None:
                _replay_all(simulation, [], journal.path, target)
    except ReplayDivergence:
        journal._abandon()
        raise ReplayDivergence(journal.divergence or "the re-run differs from the journal") from None
    except BaseException:
        journal._abandon()
        raise
    if journal.divergence is not None and not strict:
        # Keep the inputs, drop the stale events; rebuild with writing on.
        journal._buffer.clear()
        journal._transaction(lambda: journal._db.execute("DELETE FROM events"))
        journal.close(finished=False)
        return resume(path, strict=True, sinks=sinks)
    journal._strict = False  # later regenerated events are still checked; a difference is kept in .divergence
    journal.flush(simulation.now)
    if journal.info.closed:  # open again until this writer closes it
        journal._transaction(lambda: journal._set("closed", False))
    return simulation, journal


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """Outcome of `replay(path)`: re-run the journal and compare event streams."""

    stored: int
    replayed: int
    inputs: int
    closed: bool
    divergence: Divergence | None
    simulation: Simulation

    @property
    def identical(self) -> bool:
        return self.divergence is None


def replay(path: str | Path) -> ReplayReport:
    """Re-run a journaled session and compare its event stream with the stored one.

    A cleanly closed journal must match event for event. A journal whose
    session crashed may lack the last unflushed batch: the stored stream must
    then be a prefix of the re-run (the missing tail is derived data). The
    journal is opened read-only and left exactly as it was.

    Raises:
        JournalError: the journal cannot be read, or an input cannot be re-applied (the message names it).
    """
    with Journal.open(path) as journal:
        info = journal.info
        stored = journal.event_lines()
        entries = journal.entries(console=False)
        simulation = journal.simulation()
        target = journal.resume_target()
    _replay_all(simulation, entries, Path(path), target)
    actual = [event.to_json() for event in simulation.events]
    divergence = None
    for index, (a, b) in enumerate(zip(stored, actual, strict=False)):
        if a != b:
            divergence = Divergence(index, a, b)
            break
    else:
        if len(stored) > len(actual):
            divergence = Divergence(len(actual), stored[len(actual)], None)
        elif info.closed and len(actual) > len(stored):
            divergence = Divergence(len(stored), None, actual[len(stored)])
    return ReplayReport(len(stored), len(actual), len(entries), info.closed, divergence, simulation)


# ---------------------------------------------------------------------------
# Salvage: keep every input up to the first unreadable row
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SalvageReport:
    """Outcome of `salvage(source, out)`."""

    out: Path
    kept: int
    """Input rows copied (model and console)."""
    dropped: JournalError | None
    """Why the copy stopped before the end (the first unreadable row), or None when every input was kept."""


def salvage(source: str | Path, out: str | Path) -> SalvageReport:
    """Copy every input of `source` up to the first one that cannot be read or re-applied into a new
    journal `out`, which then replays and resumes. The stored events are not copied: they are
    derived data, regenerated on resume. `source` is only read.

    Raises:
        JournalError: the session settings or scenario of `source` are unreadable (nothing to
            salvage), or `out` exists or is `source`. JournalWriteError: `out` cannot be written.
    """
    source, out = Path(source), Path(out)
    with contextlib.suppress(OSError):
        if out.resolve() == source.resolve():
            raise JournalError(f"{out}: refusing to overwrite the journal being salvaged")
    if out.exists():
        raise JournalError(f"{out} exists already; a journal is never overwritten")
    try:
        with Journal.open(source) as journal:
            meta = journal._meta()
            journal.info  # noqa: B018 - the settings must read, or there is nothing to salvage
            entries, problem = journal._read_entries()
            simulation = journal.simulation()
    except JournalError as error:
        raise JournalError(f"nothing to salvage: {error}") from None
    models = [e for e in entries if e.kind in MODEL_KINDS]
    for index, entry in enumerate(models):
        try:
            _replay_all(simulation, [entry], source, None)
        except JournalError as error:
            problem = error
            entries = [e for e in entries if e.n < entry.n]
            models = models[:index]
            break
    if problem is not None:
        meta["reached"] = max((e.sim_time for e in entries), default=None)
    meta.update(closed=False, salvaged_from=str(source))
    index = {e.n: i for i, e in enumerate(models)}
    rows = [
        (e.n, e.kind, e.sim_time, e.wall_time, index.get(e.n), e.steps_before, json.dumps(e.payload, sort_keys=True))
        for e in entries
    ]
    lock = _WriterLock(out)
    lock.acquire("choose another folder for --out")
    try:
        Journal._build(out, meta, rows)
    finally:
        lock.release()
    return SalvageReport(out, len(rows), problem)


# ---------------------------------------------------------------------------
# Play once, replicate many: a class's decisions as a script (ttxsim compare --decisions)
# ---------------------------------------------------------------------------


def decision_script(journal_path: str | Path) -> list[Input]:
    """The decisions people took in a session, in order, as `Input`s of kind `decision`.

    Each payload holds `decision`, `option`, `role`, `owner` and `waited`: the minutes
    from the decision coming up to the person's answer, taken from the
    session's `decision_taken` events (so the script can be replayed relative
    to when the decision comes up on another seed).
    """
    from sim.simulation import Input

    with Journal.open(journal_path) as journal:
        inputs = [item for item in journal.inputs() if item.kind == "decision"]
        taken: dict[str, tuple[float, str]] = {}
        for event in journal.events():
            if str(event.kind) == "decision_taken" and str(event.data.get("by", "")).startswith("human:"):
                taken.setdefault(event.target or "", (float(event.data.get("waited", 0.0)), event.source))
    script = []
    for item in inputs:
        payload = dict(item.payload)
        waited, owner = taken.get(payload["decision"], (None, None))
        payload["waited"] = waited
        payload["owner"] = owner or (payload["role"] if payload["role"] != "facilitator" else None)
        script.append(Input(item.time, "decision", payload))
    return script


def script_roles(script: Iterable[Input]) -> set[str]:
    """The roles a `Simulation` must leave to the script (`human_roles=`): the owners
    of the scripted decisions (a `facilitator` answer counts for the owner)."""
    return {item.payload.get("owner") or item.payload["role"] for item in script} - {None, "facilitator"}


TIME_TOLERANCE = 1e-6
"""Minutes within which two scenario times count as the same instant."""


def apply_script(
    simulation: Simulation, script: Sequence[Input], *, timing: str = "waited", until: float | None = None
) -> list[Input]:
    """Run `simulation` to `until` (default: its horizon), answering scripted decisions.

    `timing="waited"`: each scripted decision is answered `waited` minutes after it
    comes up in *this* run (the class's latency, on this seed's timeline);
    `timing="absolute"`: at the session's clock time, or as soon as it comes up
    if that is later. Decisions that never come up, or that are no longer
    pending when their answer is due, are returned (not applied). The
    simulation must have been built with `human_roles` covering the script's
    roles (`script_roles(script)`), or the modelled policy may answer first.
    """
    if timing not in ("waited", "absolute"):
        raise ValueError("timing must be 'waited' or 'absolute'")
    end = simulation.horizon if until is None else min(until, simulation.horizon)
    todo = {item.payload["decision"]: item for item in script}
    skipped: list[Input] = []

    def due_times() -> dict[str, float]:
        due = {}
        for view in simulation.view().decisions:
            item = todo.get(view.id)
            if item is None or view.status != "pending" or view.came_up_at is None:
                continue
            if timing == "waited":
                due[view.id] = view.came_up_at + float(item.payload.get("waited") or 0.0)
            else:
                due[view.id] = max(view.came_up_at, item.time)
        return due

    while True:
        due = {d: t for d, t in due_times().items() if t <= end}
        # Times are compared with a tolerance: scenario minutes are derived from SimPy
        # time by a subtraction, so `now` can sit one rounding step below a due time
        # that advance() has in fact reached.
        ready = sorted((t, d) for d, t in due.items() if t <= simulation.now + TIME_TOLERANCE)
        for _, decision_id in ready:
            item = todo.pop(decision_id)
            simulation.decide(decision_id, item.payload["option"], item.payload["role"])
        if ready:
            continue
        if simulation.now >= end - TIME_TOLERANCE:
            break
        next_event = simulation.next_event_time()
        simulation.advance(min([*due.values(), *([next_event] if next_event is not None else []), end]))
    # Scripted decisions that are not yet taken (never came up, or a policy answered)
    skipped.extend(todo.values())
    return skipped
