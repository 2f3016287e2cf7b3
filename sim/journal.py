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

    sim, journal = start_session("scenarios/sakishima.yaml", seed=3, human_roles=["pm"])
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
import hashlib
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterable, Sequence
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
    "ReplayDivergence",
    "ReplayReport",
    "SessionInfo",
    "apply_script",
    "decision_script",
    "default_journal_path",
    "default_sessions_dir",
    "replay",
    "replay_entry",
    "resume",
    "script_roles",
    "start_session",
]

FORMAT_VERSION = 1
APPLICATION_ID = 0x74747831  # "ttx1": marks a file as a ttxsim journal (PRAGMA application_id)
MODEL_KINDS = frozenset({"inject", "decision", "note", "evaluation"})
"""Inputs that change the run; `replay_entry` re-applies them."""
CONSOLE_KINDS = frozenset({"pause", "speed"})
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
    """A file that is not a readable ttxsim journal (missing, corrupt, tampered, other format)."""


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
        super().__init__(divergence.describe() if isinstance(divergence, Divergence) else str(divergence))


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
    try:
        from platformdirs import user_data_path
    except ImportError:
        base = os.environ.get("XDG_DATA_HOME") or (Path.home() / ".local" / "share")
        return Path(base) / "ttxsim" / "sessions"
    return user_data_path("ttxsim", appauthor=False) / "sessions"


def default_journal_path(scenario_id: str, seed: int, *, folder: Path | None = None) -> Path:
    """A fresh file name such as `sakishima-20250403-141502-seed1.ttxj` in the sessions folder."""
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
# The journal
# ---------------------------------------------------------------------------


class Journal:
    """One session's SQLite file. Create with `Journal.create`, reopen with `Journal.open`.

    Pass `journal.sink` to `Simulation(sinks=[...])`; give inputs through
    `journal.apply/decide/note(sim, ...)` (or call `journal.sync(sim)` after each), `journal.flush(sim.now)`
    now and then, and `journal.close(sim.now)` at the end.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._buffer: list[tuple[int, float, str, str]] = []
        self._last_commit = time.monotonic()
        self._model_count = self._db.execute("SELECT COUNT(*) FROM inputs WHERE model_index IS NOT NULL").fetchone()[0]
        self._stored_events = self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        self._verify: list[str] | None = None  # stored events a resumed run must reproduce
        self._strict = True
        self.divergence: Divergence | None = None
        self._info: SessionInfo | None = None

    # -- opening ---------------------------------------------------------------
    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA busy_timeout=5000")
        return connection

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
        """Start a new journal. `path=None` picks a fresh file in `default_sessions_dir()`.

        Raises:
            JournalError: the file exists already or cannot be written.
        """
        from sim.scenario.loader import load_scenario_text

        scenario = load_scenario_text(scenario_text, str(scenario_path or "<journal>"))
        path = Path(path) if path else default_journal_path(scenario.scenario.id, seed)
        if path.exists():
            raise JournalError(f"{path} exists already; a journal is never overwritten")
        # Built under a temporary name and renamed when complete: a crash while
        # creating leaves no half-made journal under the real name.
        partial = path.with_name(path.name + ".partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)
            connection = cls._connect(partial)
        except (OSError, sqlite3.Error) as error:
            raise JournalError(f"cannot create journal {path}: {error}") from None
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
        with connection:
            connection.execute("BEGIN")
            connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version={FORMAT_VERSION}")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                connection.execute(statement)
            connection.executemany("INSERT INTO session VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        if path.exists():
            partial.unlink(missing_ok=True)
            raise JournalError(f"{path} exists already; a journal is never overwritten")
        os.replace(partial, path)
        for suffix in ("-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
        connection = cls._connect(path)
        return cls(connection, path)

    @classmethod
    def open(cls, path: str | Path) -> Journal:
        """Open an existing journal for reading (and appending, when resuming).

        Raises:
            JournalError: missing file, not a ttxsim journal, or scenario text that does not match its hash.
        """
        path = Path(path)
        if not path.is_file():
            raise JournalError(f"{path}: no such journal file")
        try:
            connection = cls._connect(path)
            app_id = connection.execute("PRAGMA application_id").fetchone()[0]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise JournalError(f"{path}: not a ttxsim journal ({error})") from None
        if app_id != APPLICATION_ID:
            connection.close()
            raise JournalError(f"{path}: not a ttxsim journal")
        if version > FORMAT_VERSION:
            connection.close()
            raise JournalError(
                f"{path}: journal format {version} is newer than this ttxsim understands ({FORMAT_VERSION})"
            )
        journal = cls(connection, path)
        info = journal.info
        if _sha256(info.scenario_text) != info.scenario_sha256:
            connection.close()
            raise JournalError(f"{path}: the stored scenario text does not match its SHA-256; the journal was altered")
        return journal

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata --------------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM session")}

    @property
    def info(self) -> SessionInfo:
        meta = self._meta()
        return SessionInfo(
            path=self.path,
            scenario_path=meta["scenario_path"],
            scenario_text=meta["scenario_text"],
            scenario_sha256=meta["scenario_sha256"],
            scenario_id=meta["scenario_id"],
            seed=int(meta["seed"]),
            reforms=tuple(meta["reforms"]),
            human_roles=tuple(meta["human_roles"]),
            version=meta["version"],
            mode=meta.get("mode", "play"),
            created=float(meta["created"]),
            reached=meta.get("reached"),
            closed=bool(meta.get("closed")),
        )

    def _set(self, key: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO session VALUES (?, ?)", (key, json.dumps(value)))

    # -- writing ---------------------------------------------------------------
    def sink(self, event: SimEvent) -> None:
        """Event callback for `Simulation(sinks=[journal.sink])`; buffers, commits in batches.

        While a resumed run regenerates events the journal already holds, each
        one is checked against the stored copy instead of being written again.
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
        if len(self._buffer) >= EVENT_BATCH or time.monotonic() - self._last_commit > EVENT_COMMIT_SECONDS:
            self.flush()

    def _write_events(self) -> None:
        if self._buffer:
            self._db.executemany("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?)", self._buffer)
            self._stored_events = max(self._stored_events, self._buffer[-1][0] + 1)
            self._buffer.clear()

    def flush(self, now: float | None = None) -> None:
        """Commit buffered events (and the simulated time reached, if given)."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._write_events()
            if now is not None:
                reached = self._meta().get("reached")
                if reached is None or now > reached:
                    self._set("reached", now)
        self._last_commit = time.monotonic()

    def record(self, item: Input, wall_time: float | None = None) -> None:
        """Journal one input and commit at once (with every event buffered before it).

        Model inputs (`inject`, `decision`, `note`) must be recorded in the order
        the simulation took them; `item.steps_before` says exactly where in the
        run each was applied, so replay is exact even for several inputs at one
        instant.
        """
        if item.kind not in MODEL_KINDS | CONSOLE_KINDS:
            raise ValueError(f"unknown input kind {item.kind!r}")
        wall = time.time() if wall_time is None else wall_time
        model_index = self._model_count if item.kind in MODEL_KINDS else None
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._write_events()
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
        if model_index is not None:
            self._model_count += 1
        self._last_commit = time.monotonic()

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
        entries.
        """

        def observe(item: Any) -> None:
            kind = item.kind
            if kind in MODEL_KINDS:
                self.sync(simulation)
            elif kind in ("pause", "resume"):
                self.record_console("pause", item.sim_time, paused=kind == "pause")
            elif kind == "speed":
                self.record_console("speed", item.sim_time, **item.payload)

        return observe

    def sync(self, simulation: Simulation, wall_time: float | None = None) -> int:
        """Record every input `simulation` took since the last sync; returns how many."""
        fresh = simulation.inputs[self._model_count :]
        for item in fresh:
            self.record(item, wall_time)
        return len(fresh)

    def record_console(self, kind: str, sim_time: float, wall_time: float | None = None, **payload: Any) -> None:
        """Journal a console-only input: `record_console("pause", sim.now, paused=True)`,
        `record_console("speed", sim.now, speed=60.0)`. Replay ignores these."""
        from sim.simulation import Input

        if kind not in CONSOLE_KINDS:
            raise ValueError(f"console input kind must be one of {sorted(CONSOLE_KINDS)}, not {kind!r}")
        self.record(Input(sim_time, kind, payload), wall_time)

    def close(self, now: float | None = None, *, finished: bool = True) -> None:
        """Flush and close. `finished=True` marks a clean end (replay then expects the full stream)."""
        if self._db is None:
            return
        self.flush(now)
        if finished:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._set("closed", True)
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
        self._db = None  # type: ignore[assignment]

    # -- reading ---------------------------------------------------------------
    def entries(self, *, console: bool = True) -> list[Entry]:
        """Every journaled input in order; `console=False` keeps only model inputs."""
        where = "" if console else " WHERE model_index IS NOT NULL"
        rows = self._db.execute(
            f"SELECT n, kind, sim_time, wall_time, payload, steps_before FROM inputs{where} ORDER BY n"
        )
        return [Entry(n, kind, t, wall, json.loads(payload), before) for n, kind, t, wall, payload, before in rows]

    def inputs(self) -> list[Input]:
        """The model inputs, in order, as the facade's `Input` records."""
        return [entry.as_input() for entry in self.entries(console=False)]

    def event_lines(self) -> list[str]:
        """The stored event stream as `SimEvent.to_json()` lines, by sequence number."""
        return [row[0] for row in self._db.execute("SELECT json FROM events ORDER BY seq")]

    def events(self) -> list[SimEvent]:
        return [SimEvent.from_dict(json.loads(line)) for line in self.event_lines()]

    def scenario(self) -> Scenario:
        """The scenario as it was played: stored text with the session's reforms applied."""
        from sim.scenario.loader import load_scenario_text

        info = self.info
        return load_scenario_text(info.scenario_text, info.scenario_path or str(self.path), info.reforms)

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
        last_model = self._db.execute("SELECT MAX(sim_time) FROM inputs WHERE model_index IS NOT NULL").fetchone()[0]
        target = self._latest_time()
        return target if last_model is None or target > last_model else None

    def _latest_time(self) -> float:
        info = self.info
        last_input = self._db.execute("SELECT MAX(sim_time) FROM inputs").fetchone()[0]
        last_event = self._db.execute("SELECT MAX(time) FROM events").fetchone()[0]
        return max(x for x in (info.reached, last_input, last_event, 0.0) if x is not None)


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


def resume(path: str | Path, *, strict: bool = True, sinks: Sequence[Any] = ()) -> tuple[Simulation, Journal]:
    """Rebuild a session from its journal: same scenario and seed, every input replayed
    at its recorded time, then advanced to the latest time the session reached.

    The journal stays open and keeps recording (new inputs, events past the
    stored ones). Every regenerated event is checked against the stored stream;
    with `strict=True` a difference raises `ReplayDivergence`, otherwise the
    stored events from the first difference on are replaced.
    """
    journal = Journal.open(path)
    journal._verify = journal.event_lines()
    journal._strict = strict
    simulation = journal.simulation(sinks=[journal.sink, *sinks])
    try:
        for entry in journal.entries(console=False):
            replay_entry(simulation, entry)
            if journal.divergence is not None and not strict:
                break
        target = journal.resume_target()
        if journal.divergence is None and target is not None:
            simulation.advance(target)
    except ReplayDivergence:
        journal.close(finished=False)
        raise ReplayDivergence(journal.divergence or "the re-run differs from the journal") from None
    if journal.divergence is not None and not strict:
        # Keep the inputs, drop the stale events; rebuild with writing on.
        with journal._db:
            journal._db.execute("BEGIN IMMEDIATE")
            journal._db.execute("DELETE FROM events")
        journal.close(finished=False)
        return resume(path, strict=True, sinks=sinks)
    journal._strict = False  # later regenerated events are still checked; a difference is kept in .divergence
    journal.flush(simulation.now)
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
    then be a prefix of the re-run (the missing tail is derived data).
    """
    with Journal.open(path) as journal:
        info = journal.info
        stored = journal.event_lines()
        entries = journal.entries(console=False)
        simulation = journal.simulation()
        target = journal.resume_target()
    for entry in entries:
        replay_entry(simulation, entry)
    if target is not None:
        simulation.advance(target)
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
