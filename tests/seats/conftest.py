"""A real seat host on 127.0.0.1 with a manual clock, and raw WebSocket clients.

No wall-clock sleeps: the clock moves only on the facilitator's `advance`
frames, and a client knows it has seen everything an action caused by sending
a `ping` and reading up to its acknowledgement (frames to one seat keep order).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario.loader import load_scenario
from sim.session.codes import Codes
from sim.session.door import Session
from sim.session.host import Host
from sim.simulation import Simulation

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
CLASSROOM = HERE / "classroom.yaml"
ROLES = ("cabinet", "pref", "city")
TIMEOUT = 10.0


class Client:
    """A raw seat: sends frames, keeps the latest view and every frame received."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.frames: list[dict] = []
        self.view: dict | None = None
        self.events: list[dict] = []
        self.welcome: dict | None = None
        self._ref = 0

    @classmethod
    async def join(cls, url: str, code: str) -> Client:
        from websockets.asyncio.client import connect

        client = cls(await connect(url, max_size=None))
        await client.ws.send(json.dumps({"type": "join", "code": code}))
        client.welcome = await client.recv()
        if client.welcome["type"] == "welcome":
            await client.recv()  # the whole view
        return client

    async def recv(self) -> dict:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
        self.frames.append(frame)
        if frame["type"] == "view":
            self.view = {k: v for k, v in frame.items() if k != "type"}
        elif frame["type"] == "update":
            self.events.extend(frame["events"])
            if "view" in frame:
                self.view = frame["view"]
            elif self.view is not None:
                self.view["clock"] = frame["clock"]
        return frame

    async def request(self, frame: dict) -> dict:
        """Send an action and read up to its reply (ack or error)."""
        self._ref += 1
        ref = f"r{self._ref}"
        await self.ws.send(json.dumps({**frame, "ref": ref}))
        while True:
            reply = await self.recv()
            if reply["type"] in ("ack", "error") and reply.get("ref") == ref:
                return reply

    async def send_raw(self, raw: str | bytes) -> dict:
        """Send anything and read up to the next ack or error."""
        await self.ws.send(raw)
        while True:
            reply = await self.recv()
            if reply["type"] in ("ack", "error"):
                return reply

    async def sync(self) -> None:
        """Read every frame the host queued for this seat before now."""
        reply = await self.request({"type": "ping"})
        assert reply["type"] == "ack", reply

    async def close(self) -> None:
        await self.ws.close()


def make_session(journal=None, *, roles=ROLES, seed: int = 1) -> Session:
    scenario = load_scenario(CLASSROOM)
    if journal is None:
        sim = Simulation(scenario, seed=seed, human_roles=roles)
        observers = []
    else:
        sim, journal = journal
        observers = [journal.observer(sim)]
    return Session(sim, pause_on_decision=False, observers=observers)


@pytest.fixture
async def host():
    session = make_session()
    codes = Codes.generate(list(ROLES))
    server = Host(session, codes, manual_clock=True)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


@pytest.fixture
async def seats(host):
    """Facilitator, two role seats (Governor, Prime Minister) and the display."""
    codes = host.codes
    clients = {
        "facilitator": await Client.join(host.url, codes.facilitator),
        "pref": await Client.join(host.url, codes.roles["pref"]),
        "cabinet": await Client.join(host.url, codes.roles["cabinet"]),
        "display": await Client.join(host.url, codes.display),
    }
    yield clients
    for client in clients.values():
        await client.close()


async def sync_all(clients) -> None:
    for client in clients.values():
        await client.sync()


def start_host(*args: str) -> tuple[subprocess.Popen, str]:
    """Start `ttxsim host ... --port 0 --manual-clock`; returns the process and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "host", *args, "--port", "0", "--manual-clock"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = proc.stdout.readline()
    assert line.startswith("listening on ws://127.0.0.1:"), line + proc.stderr.read()
    return proc, line.split()[-1]


def ttxsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
