"""`ttxsim host`: serve one session to a class (`ttxsim join`, a seat, lives in tui/seat_command.py).

The WebSocket library is imported only when the host runs, so `ttxsim --help`
stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli import UsageError, scenario_argument

DEFAULT_PORT = 8765


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    host = subparsers.add_parser(
        "host",
        help="serve one live session to a class (a seat per student, over WebSocket)",
        description=(
            "Run one session (default: the bundled default scenario) and serve it to seats: "
            "a facilitator, a public display and one seat per role, each joining with its own code "
            "('ttxsim join URL --code CODE', or a browser with --web). The host is the only writer "
            "of the session journal. The clock starts paused; the facilitator starts it."
        ),
    )
    scenario_argument(host)
    host.add_argument("--seed", type=int, default=1, help="master random seed (default 1)")
    host.add_argument(
        "--reform", action="append", default=[], metavar="NAME", help="apply a named reform overlay (repeatable)"
    )
    host.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLE",
        help="agency id played by a student (repeatable; default: every agency with a role)",
    )
    host.add_argument("--host", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default 127.0.0.1)")
    host.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
    host.add_argument("--codes-out", type=Path, default=None, metavar="FILE", help="also write the join codes as JSON")
    record = host.add_mutually_exclusive_group()
    record.add_argument(
        "--journal", metavar="FILE", default=None, help="where to record the session (default: the sessions folder)"
    )
    record.add_argument(
        "--resume", metavar="FILE", default=None, help="resume a hosted session after a crash (same codes)"
    )
    host.add_argument("--web", type=_port, default=None, metavar="PORT", help="also serve seats to browsers on PORT")
    host.add_argument(
        "--speed",
        type=float,
        default=None,
        metavar="MIN_PER_S",
        help="simulated minutes per wall second (default: the scenario's pace, 60 unless it sets one)",
    )
    host.add_argument(
        "--pause-on-decision",
        action="store_true",
        help="stop the clock whenever a student's decision comes up (default: it keeps running)",
    )
    host.add_argument(
        "--manual-clock",
        action="store_true",
        help="the clock moves only when the facilitator steps or advances it",
    )
    host.set_defaults(handler=run_host)


def _open_session(args: argparse.Namespace):
    """The run, its journal and its codes: new, or rebuilt from a journal."""
    from sim.journal import JournalError, ReplayDivergence, resume, start_session
    from sim.scenario.bundled import resolve
    from sim.scenario.loader import load_scenario
    from sim.session.codes import Codes, sidecar_path

    if args.resume is not None:
        try:
            sim, journal = resume(args.resume)
        except (JournalError, ReplayDivergence, OSError) as error:
            raise UsageError(f"cannot resume {args.resume}: {error}") from None
        sidecar = sidecar_path(journal.path)
        if sidecar.is_file():
            codes = Codes.load(sidecar)
        else:
            codes = Codes.generate([a.id for a in sim.scenario.agencies if a.role])
        return sim, journal, codes, sidecar
    path = resolve(args.file)
    scenario = load_scenario(path, args.reform) if args.reform else load_scenario(path)
    known = {a.id for a in scenario.agencies}
    unknown = [r for r in args.role if r not in known]
    if unknown:
        raise UsageError(f"unknown role {', '.join(repr(r) for r in unknown)}; roles are agency ids of the scenario")
    roles = list(dict.fromkeys(args.role)) or [a.id for a in scenario.agencies if a.role]
    try:
        sim, journal = start_session(
            path, seed=args.seed, reforms=args.reform, human_roles=roles, journal_path=args.journal, mode="host"
        )
    except JournalError as error:
        raise UsageError(str(error)) from None
    seats = sorted({a.id for a in scenario.agencies if a.role} | set(roles))
    codes = Codes.generate(seats)
    return sim, journal, codes, sidecar_path(journal.path)


def run_host(args: argparse.Namespace) -> int:
    import asyncio

    from sim.session.codes import write_private
    from sim.session.door import Session
    from sim.session.host import Host

    if args.speed is not None and not 0.1 <= args.speed <= 2880:
        raise UsageError("--speed must be between 0.1 and 2880 simulated minutes per second")
    sim, journal, codes, sidecar = _open_session(args)
    codes.save(sidecar)
    if args.codes_out is not None:
        import json

        write_private(args.codes_out, json.dumps(codes.public(), indent=2) + "\n")
    session = Session(sim, pause_on_decision=args.pause_on_decision, observers=[journal.observer(sim)])
    if args.speed is not None:
        session.minutes_per_second = args.speed
    host = Host(session, codes, journal=journal, codes_path=sidecar, manual_clock=args.manual_clock)
    clean = False
    try:
        asyncio.run(_serve(host, args, journal.path))
        clean = True
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    finally:
        journal.close(sim.now, finished=clean)
        print(f"session journal: {journal.path}  (resume with: ttxsim host --resume {journal.path})", flush=True)
    return 0


async def _serve(host, args: argparse.Namespace, journal_path: Path) -> None:
    import asyncio
    import signal
    import subprocess

    address, port = await host.start(args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    shown = f"[{address}]" if ":" in address else address
    print(f"listening on ws://{shown}:{port}/ws", flush=True)
    if address in ("0.0.0.0", "::"):
        lan = _lan_address()
        if lan:
            print(f"students connect to ws://{lan}:{port}/ws" + (f" or http://{lan}:{args.web}/" if args.web else ""))
    print(f"session journal: {journal_path}")
    codes = host.codes
    print(f"  {'facilitator':<16} {codes.facilitator}")
    print(f"  {'display':<16} {codes.display}")
    scenario = host.sim.scenario
    for role, code in sorted(codes.roles.items()):
        title = scenario.agency(role).role or scenario.agency(role).name
        played = "" if role in host.sim.human_roles else "  (modelled unless the seat decides)"
        print(f"  {role:<16} {code}  {title}{played}")
    web = None
    if args.web is not None:
        local = f"ws://127.0.0.1:{port}/ws" if address in ("0.0.0.0", "::") else host.url  # the tabs run here
        web = subprocess.Popen(
            [sys.executable, "-m", "tui.seat_web", "--url", local, "--host", args.host, "--port", str(args.web)],
            stdin=subprocess.DEVNULL,
        )
        if await _listening("127.0.0.1" if address in ("0.0.0.0", "::") else address, args.web, web):
            print(f"browser seats on http://{shown}:{args.web}/", flush=True)
        else:
            print(
                f"ttxsim: browser seats did not start on port {args.web} (is textual-serve installed?)", file=sys.stderr
            )
    print("the clock is paused; the facilitator starts it. Ctrl+C ends the session.", flush=True)
    try:
        await stop.wait()
    finally:
        if web is not None:
            web.terminate()
            try:
                web.wait(5)
            except subprocess.TimeoutExpired:
                web.kill()
        await host.stop()


def _lan_address() -> str | None:
    """This machine's address on its main network (no packet is sent), for the students."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return probe.getsockname()[0]
    except OSError:
        return None


async def _listening(address: str, port: int, process, seconds: float = 20.0) -> bool:
    """Wait until the browser-seat server accepts connections (or its process ends)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and process.poll() is None:
        try:
            _, writer = await asyncio.open_connection(address, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return True
    return False
