"""A class of 40 seats on loopback against a real `ttxsim host` process.

Prints two figures for issue 13:

* decision latency: from a decision frame leaving its seat to the host's update
  reaching every one of the 40 seats (median and p95 over every human decision
  of the bundled Sakishima session). The clock is paused while this is
  measured, so the only frames in flight are the ones the decision caused;
  loopback transit is included, so this is an upper bound on the host's part.
  Target: median under 100 ms, p95 under 250 ms.
* host CPU per simulated hour: the host's user+system CPU seconds (from
  /proc) while its clock runs at --speed with all 40 seats connected and
  students answering each decision as it comes up, divided by the simulated
  hours covered.

    python benchmarks/bench_seats.py [--seats 40] [--speed 360] [--run-seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Seat:
    def __init__(self, ws, name: str) -> None:
        self.ws = ws
        self.name = name
        self.view: dict | None = None
        self.updates: list[float] = []  # perf_counter of each update frame
        self.replies: dict[str, dict] = {}
        self.reader: asyncio.Task | None = None

    async def read(self) -> None:
        async for raw in self.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "view":
                self.view = frame
            elif kind == "update":
                self.updates.append(now)
                if "view" in frame:
                    self.view = frame["view"]
                elif self.view is not None:
                    self.view["clock"] = frame["clock"]
            elif kind in ("ack", "error") and "ref" in frame:
                self.replies[str(frame["ref"])] = frame


async def join(url: str, code: str, name: str) -> Seat:
    from websockets.asyncio.client import connect

    ws = await connect(url, max_size=None)
    await ws.send(json.dumps({"type": "join", "code": code}))
    seat = Seat(ws, name)
    seat.reader = asyncio.create_task(seat.read())
    return seat


async def request(seat: Seat, frame: dict, ref: str) -> dict:
    await seat.ws.send(json.dumps({**frame, "ref": ref}))
    while ref not in seat.replies:
        await asyncio.sleep(0.001)
    return seat.replies.pop(ref)


async def settle(seats: list[Seat], since: float, expect: int = 1) -> float:
    """Wait until every seat received `expect` updates after `since`; returns when the last did."""
    while True:
        times = []
        for seat in seats:
            after = [t for t in seat.updates if t >= since]
            if len(after) < expect:
                break
            times.append(after[expect - 1])
        else:
            return max(times)
        await asyncio.sleep(0.0005)


def pending_of(facilitator: Seat) -> list[dict]:
    return [d for d in facilitator.view["world"]["decisions"] if d["status"] == "pending" and d["human"]]


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-seats-"))
    codes_file = tmp / "codes.json"
    host = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "host",
            "--port",
            "0",
            "--journal",
            str(tmp / "bench.ttxj"),
            "--codes-out",
            str(codes_file),
            "--speed",
            str(args.speed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        url = host.stdout.readline().split()[-1]
        codes = json.loads(codes_file.read_text())
        facilitator = await join(url, codes["facilitator"], "facilitator")
        seats = [facilitator, await join(url, codes["display"], "display")]
        roles = sorted(codes["roles"])
        while len(seats) < args.seats:
            role = roles[(len(seats) - 2) % len(roles)]
            seats.append(await join(url, codes["roles"][role], role))
        while any(s.view is None for s in seats):
            await asyncio.sleep(0.01)
        by_role: dict[str, Seat] = {}
        for seat in seats[2:]:
            by_role.setdefault(seat.name, seat)

        # 1. Decision latency with the clock paused: advance to each human decision, answer it.
        latencies = []
        n = 0
        while len(latencies) < args.decisions:
            pending = pending_of(facilitator)
            if not pending:
                n += 1
                reply = await request(facilitator, {"type": "advance", "minutes": 120}, f"a{n}")
                if facilitator.view["clock"]["finished"]:
                    break
                del reply
                continue
            decision = pending[0]
            seat = by_role.get(decision["owner"], facilitator)
            n += 1
            started = time.perf_counter()
            await seat.ws.send(
                json.dumps(
                    {"type": "decide", "decision": decision["id"], "option": decision["options"][0][0], "ref": f"d{n}"}
                )
            )
            try:
                reached = await asyncio.wait_for(settle(seats, started), 30)
            except TimeoutError:
                raise SystemExit(f"no update after deciding {decision['id']}: {seat.replies}") from None
            latencies.append((reached - started) * 1000)
            print(
                f"  {decision['id']} at {facilitator.view['clock']['label']}: {latencies[-1]:.1f} ms",
                file=sys.stderr,
                flush=True,
            )
            while f"d{n}" not in seat.replies:
                await asyncio.sleep(0.001)
            seat.replies.pop(f"d{n}")
            await settle([facilitator], started)  # the facilitator's view is current

        # 2. Host CPU per simulated hour with the clock running and students answering.
        start_now = facilitator.view["clock"]["now"]
        cpu0, wall0 = cpu_seconds(host.pid), time.perf_counter()
        await request(facilitator, {"type": "resume"}, "go")
        answered = set()
        while time.perf_counter() - wall0 < args.run_seconds and not facilitator.view["clock"]["finished"]:
            for decision in pending_of(facilitator):
                if decision["id"] not in answered:
                    answered.add(decision["id"])
                    seat = by_role.get(decision["owner"], facilitator)
                    frame = {"type": "decide", "decision": decision["id"], "option": decision["options"][0][0]}
                    await seat.ws.send(json.dumps(frame))
            await asyncio.sleep(0.05)
        cpu1, wall1 = cpu_seconds(host.pid), time.perf_counter()
        hours = (facilitator.view["clock"]["now"] - start_now) / 60
        await request(facilitator, {"type": "pause"}, "stop")

        frames = sum(len(s.updates) for s in seats)
        print(f"seats: {len(seats)} (facilitator, display, {len(seats) - 2} role seats over {len(roles)} roles)")
        if latencies:
            ordered = sorted(latencies)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            print(
                f"decision -> every seat updated: median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, "
                f"max {ordered[-1]:.1f} ms over {len(ordered)} decisions (target: median < 100, p95 < 250)"
            )
        if hours > 0:
            print(
                f"host CPU: {cpu1 - cpu0:.2f} s over {wall1 - wall0:.1f} s wall for {hours:.1f} simulated hours at "
                f"{args.speed:g} min/s = {(cpu1 - cpu0) / hours:.3f} CPU s per simulated hour "
                f"({100 * (cpu1 - cpu0) / (wall1 - wall0):.0f}% of one core)"
            )
        else:
            print("host CPU: not measured (the scenario ended while decisions were timed; use fewer --decisions)")
        print(f"update frames received by all seats: {frames}")
        for seat in seats:
            await seat.ws.close()
    finally:
        host.send_signal(2)
        try:
            host.wait(30)
        except subprocess.TimeoutExpired:
            host.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=40)
    parser.add_argument(
        "--decisions", type=int, default=12, help="decisions to time before the clock runs (default 12)"
    )
    parser.add_argument("--speed", type=float, default=360.0, help="clock speed for the CPU figure (min/s)")
    parser.add_argument("--run-seconds", type=float, default=20.0, help="wall seconds of running clock")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
