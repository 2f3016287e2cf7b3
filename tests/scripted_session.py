"""A scripted exercise session that writes a journal, as a person at the console would.

Used by the kill -9 property test and `benchmarks/kill9_resume.py`:

    python tests/scripted_session.py JOURNAL            # start a new session
    python tests/scripted_session.py JOURNAL --resume   # resume it after a crash
    python tests/scripted_session.py JOURNAL --kill-after K  # kill -9 itself after journal write K

The script is *state based*: at every slice boundary it looks at the run and
does what is due (answer pending human decisions after a fixed think time,
fire library injects, write observer notes, pause and change speed), skipping
anything already done. So a session resumed from its journal after a crash at
any point carries on exactly as the uninterrupted one, and nothing is done twice.
Prints `started PATH` once the journal exists, `step N MINUTES` after each slice (flushed), `done` at the end.

`--kill-after K` makes the crash point deterministic, so a failing kill point
can be reproduced: the process sends itself SIGKILL (a real kill -9, no clean-up
runs) right after the journal has taken its K-th write, counting every event it
is handed and every input it records, in the order the session makes them.
`write_count(reference)` gives the total for a finished session.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIO = ROOT / "scenarios" / "sakishima.yaml"
SEED = 7
HUMANS = ("pm", "cabinet", "okinawa_pref")
SLICE = 120.0  # minutes of scenario time per console tick
UNTIL = 8 * 1440.0  # stop after eight days
NEVER_ANSWERED = {"jcg_control_lifted"}  # left pending: the AAR rates it U
INJECTS = ((2 * 1440.0, "m06"), (3 * 1440.0, "m07"), (6 * 1440.0, "m10"))
NOTES = (
    (2 * 1440.0 + 240.0, "evaluator", "[m06 S] Disaster HQ up, but flights were re-planned only the next morning."),
    (4 * 1440.0, "observer", "Cabinet waited for the regular meeting: basic_response_policy lost most of a day."),
    (5 * 1440.0, "facilitator", "Good information sharing between the prefecture and the five municipalities."),
)
CONSOLE = ((1440.0, "pause", {"paused": True}), (1440.0, "pause", {"paused": False}), (3000.0, "speed", {"speed": 4.0}))


def think_time(decision_id: str) -> float:
    """Minutes a player takes over a decision: fixed per decision, between 1 h and 11 h."""
    return 60.0 + (sum(map(ord, decision_id)) * 37) % 600


def act(sim, journal) -> None:
    """Everything due at the current slice boundary that has not been done yet."""
    now = sim.now
    for decision in sim.view().decisions:
        if (
            decision.human
            and decision.status == "pending"
            and decision.id not in NEVER_ANSWERED
            and decision.came_up_at is not None
            and now - decision.came_up_at >= think_time(decision.id)
        ):
            journal.decide(sim, decision.id, decision.options[0][0], decision.owner)
    # Fired injects from the record, not a second `sim.view()`: a view also works out the span
    # metrics over the whole log, which made this half of the session's cost.
    fired = {e.data["inject"] for e in sim.events if e.kind == "inject_fired"}
    for at, inject_id in INJECTS:
        if now >= at and inject_id not in fired:
            journal.apply(sim, sim.scenario.inject(inject_id))
    written = {item.payload["text"] for item in sim.inputs if item.kind == "note"}
    for at, author, text in NOTES:
        if now >= at and text not in written:
            journal.note(sim, text, author)
    done = [(e.kind, e.sim_time, e.payload) for e in journal.entries() if e.kind in ("pause", "speed")]
    for index, (at, kind, payload) in enumerate(CONSOLE):
        if now >= at and len(done) <= index:
            journal.record_console(kind, at, **payload)
            done.append((kind, at, payload))


def boundaries(start: float):
    """Slice ends from `start` on; `start` itself when it is a boundary (actions may be due there)."""
    k = int(start // SLICE)
    if k * SLICE < start:
        k += 1
    while k * SLICE <= UNTIL:
        yield k * SLICE
        k += 1


def write_count(events: int, inputs: int) -> int:
    """Kill points a session offers: one after each event and each input the journal takes."""
    return events + inputs


def arm_kill(after: int) -> None:
    """SIGKILL this process right after the journal's `after`-th write (event or input).

    The journal also commits when a second of wall time has passed since its last
    commit; that cadence is switched off here, so what is on disk at the kill point
    depends only on `after` (commits still happen every batch of events and at every
    input and slice flush).
    """
    import sim.journal as journal_module

    journal_module.EVENT_COMMIT_SECONDS = float("inf")
    writes = 0

    def counted(method):
        def wrapper(self, *args, **kwargs):
            nonlocal writes
            result = method(self, *args, **kwargs)
            writes += 1
            if writes == after:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return wrapper

    journal_module.Journal.sink = counted(journal_module.Journal.sink)
    journal_module.Journal.record = counted(journal_module.Journal.record)


def play(journal_path: Path, resume: bool = False, echo: bool = True, kill_after: int | None = None):
    from sim.journal import resume as resume_session
    from sim.journal import start_session

    if kill_after is not None:
        arm_kill(kill_after)
    if resume:
        sim, journal = resume_session(journal_path)
    else:
        sim, journal = start_session(SCENARIO, seed=SEED, human_roles=HUMANS, journal_path=journal_path)
    if echo:
        print(f"started {journal_path}", flush=True)
    for step, t in enumerate(boundaries(sim.now)):
        if t > sim.now:
            sim.advance(t)
        act(sim, journal)
        journal.flush(sim.now)
        if echo:
            print(f"step {step} {sim.now}", flush=True)
    journal.close(sim.now)
    if echo:
        print("done", flush=True)
    return sim


if __name__ == "__main__":
    args = sys.argv[2:]
    kill_after = int(args[args.index("--kill-after") + 1]) if "--kill-after" in args else None
    play(Path(sys.argv[1]), resume="--resume" in args, kill_after=kill_after)
