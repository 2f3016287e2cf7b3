"""A real `ttxsim host` process: kill -9 mid-session, `--resume`, the same codes, the same state."""

from __future__ import annotations

import json
import signal

import pytest

from tests.seats.conftest import CLASSROOM, Client, start_host, ttxsim

pytestmark = pytest.mark.slow


async def test_kill_9_then_resume_restores_the_session_and_the_codes(tmp_path):
    """After kill -9, --resume rebuilds the run exactly; seats rejoin with their old codes."""
    journal = tmp_path / "class.ttxj"
    codes_file = tmp_path / "codes.json"
    proc, url = start_host(str(CLASSROOM), "--journal", str(journal), "--codes-out", str(codes_file))
    try:
        codes = json.loads(codes_file.read_text())
        assert set(codes) == {"facilitator", "display", "roles"} and set(codes["roles"]) == {"cabinet", "pref", "city"}
        assert oct(codes_file.stat().st_mode & 0o777) == "0o600"
        facilitator = await Client.join(url, codes["facilitator"])
        pref = await Client.join(url, codes["roles"]["pref"])
        await facilitator.request({"type": "advance", "minutes": 45})
        assert (await pref.request({"type": "decide", "decision": "request", "option": "ask"}))["type"] == "ack"
        await pref.request({"type": "note", "text": "asked Tokyo"})
        reply = await pref.request({"type": "message", "to": "cabinet", "text": "Please recognise tonight."})
        assert reply["type"] == "ack"
        await facilitator.request({"type": "inject", "id": "m03"})
        await facilitator.request({"type": "advance", "minutes": 20})
        await pref.sync()
        before = pref.view
        facilitator_before = facilitator.view["world"]
        assert [m["text"] for m in facilitator.view["messages"]] == ["Please recognise tonight."]
        second = ttxsim("host", "--resume", str(journal), "--port", "0")  # the host holds the journal
        assert second.returncode == 2 and "cannot resume" in second.stderr, second.stderr
        console = ttxsim("play", "--resume", str(journal))
        assert console.returncode == 2, console.stderr
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    proc, url = start_host("--resume", str(journal))
    try:
        pref = await Client.join(url, codes["roles"]["pref"])
        facilitator = await Client.join(url, codes["facilitator"])
        assert pref.view == before
        assert facilitator.view["world"] == facilitator_before
        await pref.close()
        await facilitator.close()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "resume with: ttxsim host --resume" in out
    replay = ttxsim("replay", str(journal))
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "identical" in replay.stdout
    report = ttxsim("report", str(journal), "--out", str(tmp_path / "aar.md"))
    assert report.returncode == 0, report.stderr
    assert (
        "| message | to Cabinet Office: Please recognise tonight. | Okinawa Prefecture |"
        in (tmp_path / "aar.md").read_text()
    )
