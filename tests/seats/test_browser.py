"""A browser seat through `ttxsim host --web`: headless Chromium joins with a code and decides.

Chromium is driven over the DevTools protocol with the `websockets` client the
project already depends on (no extra browser driver). The terminal is drawn on
a canvas, so what the seat did is checked at the host (a raw facilitator seat
sees the Governor seated and the decision taken by `human:pref`), and a
screenshot is written to /tmp/ttxsim-browser-seat.png for a person to look at.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import shutil
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.seats.conftest import CLASSROOM, Client, start_host

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path("/tmp/ttxsim-browser-seat.png")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevTools:
    """The few DevTools protocol calls the test needs, on one page."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, **params) -> dict:
        ident = next(self.ids)
        await self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def wait_for(self, js_condition: str) -> None:
        """Resolve when `js_condition` holds in the page (a MutationObserver, not polling)."""
        script = (
            "new Promise(resolve => { const ok = () => (" + js_condition + ");"
            " if (ok()) return resolve(true);"
            " new MutationObserver((_, o) => { if (ok()) { o.disconnect(); resolve(true); } })"
            ".observe(document.documentElement, {attributes: true, childList: true, subtree: true}); })"
        )
        await self.call("Runtime.evaluate", expression=script, awaitPromise=True, timeout=60000)

    async def type(self, text: str) -> None:
        """Key by key, so the terminal gets the characters in order with the keys after them
        (`Input.insertText` reaches xterm.js through a deferred input event)."""
        for char in text:
            await self.call("Input.dispatchKeyEvent", type="keyDown", key=char, text=char)
            await self.call("Input.dispatchKeyEvent", type="keyUp", key=char)

    async def key(self, key: str, code: int, repeat: int = 1) -> None:
        for _ in range(repeat):
            for kind in ("keyDown", "keyUp"):
                params = {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code}
                if kind == "keyDown" and key == "Enter":
                    params["text"] = "\r"
                await self.call("Input.dispatchKeyEvent", **params)

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


async def seated(facilitator: Client, role: str, rounds: int = 40) -> bool:
    """Read the facilitator's frames until the host reports `role` seated (True), or give up."""
    for _ in range(rounds):
        if (facilitator.view or {}).get("seated", {}).get(role):
            return True
        await facilitator.request({"type": "ping"})
        try:
            await asyncio.wait_for(facilitator.recv(), 0.5)
        except TimeoutError:
            continue
    return False


async def decision_taken(facilitator: Client, decision: str, rounds: int = 8) -> dict:
    """Read the facilitator's frames until `decision` is taken (or give up); its row."""
    for _ in range(rounds):
        await facilitator.sync()
        row = {d["id"]: d for d in facilitator.view["world"]["decisions"]}[decision]
        if row["status"] == "taken":
            return row
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(facilitator.recv(), 0.5)
    return row


async def test_a_browser_seat_joins_with_a_code_and_takes_a_decision(tmp_path):
    from websockets.asyncio.client import connect

    web_port = free_port()
    codes_file = tmp_path / "codes.json"
    host, url = start_host(
        str(CLASSROOM), "--journal", str(tmp_path / "j.ttxj"), "--codes-out", str(codes_file), "--web", str(web_port)
    )
    browser = None
    try:
        for line in iter(host.stdout.readline, ""):
            if line.startswith("browser seats on http://"):
                break
        codes = json.loads(codes_file.read_text())
        facilitator = await Client.join(url, codes["facilitator"])
        await facilitator.request({"type": "advance", "minutes": 45})  # the Governor's request is up
        browser = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--remote-debugging-port=0",
                f"--user-data-dir={tmp_path / 'chromium'}",
                "--window-size=1280,800",
                "about:blank",
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        for line in iter(browser.stderr.readline, ""):
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                break
        else:
            raise AssertionError("chromium did not start its DevTools endpoint")
        with urllib.request.urlopen(f"http://127.0.0.1:{found.group(1)}/json/list", timeout=30) as answer:
            page = next(t for t in json.load(answer) if t["type"] == "page")
        async with connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            tools = DevTools(ws)
            await tools.call("Page.enable")
            await tools.call("Page.navigate", url=f"http://127.0.0.1:{web_port}/")
            await tools.wait_for("document.body && document.body.classList.contains('-first-byte')")
            for _ in range(10):  # the seat asks for its code once its app has started
                await tools.wait_for("document.querySelector('.xterm-helper-textarea')")
                await tools.call(
                    "Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()"
                )
                await tools.key("Backspace", 8, repeat=12)  # whatever an earlier try left in the field
                await tools.type(codes["roles"]["pref"])
                await tools.key("Enter", 13)
                if await seated(facilitator, "pref", rounds=8):
                    break
            else:
                await tools.screenshot(SCREENSHOT)
                seen = (facilitator.view or {}).get("seated")
                raise AssertionError(f"the browser seat never joined (see {SCREENSHOT}); host reports {seen}")
            for _ in range(10):  # d opens the only pending decision with its options; enter takes the first
                await tools.type("d")
                await facilitator.sync()  # a round trip to the host: time for the dialog to open
                await tools.key("Enter", 13)
                taken = await decision_taken(facilitator, "request")
                if taken["status"] == "taken":
                    break
            assert (taken["status"], taken["option"], taken["by"]) == ("taken", "ask", "human:pref")
            await tools.screenshot(SCREENSHOT)
        assert SCREENSHOT.stat().st_size > 10_000
        await facilitator.close()
    finally:
        if browser is not None:
            browser.kill()
            browser.wait(10)
        host.send_signal(2)
        host.communicate(timeout=30)
