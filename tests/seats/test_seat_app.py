"""The Textual seat client against a real host: it shows its role's state and takes a decision."""

from __future__ import annotations

import pytest

from tests.seats.conftest import Client
from tui.seat import SeatApp

pytestmark = pytest.mark.tui


async def until(pilot, condition, what: str, rounds: int = 400) -> None:
    """Let the app process frames from the host until `condition()` holds (no wall-clock sleep)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"the seat never showed {what}")


def screen_text(app) -> str:
    from textual.widgets import DataTable, Static

    parts = [str(w.render()) for w in app.screen.query(Static)]
    for table in app.screen.query(DataTable):
        parts += [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
    return "\n".join(parts)


async def test_role_seat_shows_brief_inbox_and_takes_a_decision(host):
    """The Governor's seat shows the brief, the TV news and the decision; d + enter answers it."""
    facilitator = await Client.join(host.url, host.codes.facilitator)
    cabinet = await Client.join(host.url, host.codes.roles["cabinet"])
    await facilitator.request({"type": "advance", "minutes": 45})
    await cabinet.request({"type": "message", "to": "pref", "text": "Call me [bold]now[/] [/]"})
    await facilitator.request({"type": "advance", "minutes": 60})
    app = SeatApp(host.url, host.codes.roles["pref"], reconnect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.view is not None and app.seat == "role", "its view")
        await pilot.pause()
        text = screen_text(app)
        assert "You govern the prefecture" in text
        assert "Television shows ships massing" in text
        assert "Call me [bold]now[/] [/]" in text  # player text shown literally, never as markup
        assert "Ask the Cabinet to recognise the situation?" in text
        assert "SECRET-EXPECTED" not in text
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")  # the first option: Ask now
        await until(pilot, lambda: not app.view["pending"], "the decision taken")
        assert app.view["decisions"][0]["option"] == "ask"
    await facilitator.sync()
    taken = {d["id"]: d for d in facilitator.view["world"]["decisions"]}["request"]
    assert (taken["status"], taken["option"], taken["by"]) == ("taken", "ask", "human:pref")
    await facilitator.close()
    await cabinet.close()


async def test_a_seat_with_a_bad_code_says_so_and_asks_again(host):
    """A wrong code is refused by the host; the seat explains and offers to type another."""
    app = SeatApp(host.url, "WRONG-CODE1", reconnect=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.failed is not None, "the refusal")
        await pilot.pause()
        from tui.seat import TextDialog

        assert isinstance(app.screen, TextDialog)
        await pilot.press(*host.codes.display.replace("-", ""), "enter")
        await until(pilot, lambda: app.seat == "display" and app.view is not None, "the display")
        assert app.view["seat"] == "display"


async def test_facilitator_seat_pauses_and_fires_an_inject(host):
    """Space starts the clock; i + choosing m03 fires it (the host's facilitator view shows it fired)."""
    app = SeatApp(host.url, host.codes.facilitator, reconnect=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.view is not None, "its view")
        await pilot.press("space")
        await until(pilot, lambda: not app.view["clock"]["paused"], "the clock running")
        await pilot.press("space")
        await until(pilot, lambda: app.view["clock"]["paused"], "the clock paused")
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # m01, m02, m03
        await until(
            pilot,
            lambda: any(i["id"] == "m03" and i["fired_at"] is not None for i in app.view["world"]["injects"]),
            "m03 fired",
        )
    assert [i.payload["id"] for i in host.sim.inputs if i.kind == "inject"] == ["m03"]


async def test_a_dropped_seat_rejoins_by_itself_and_shows_its_full_state(host):
    """The host drops the Governor's connection (a network blip); the seat rejoins with its code
    and shows everything, including what happened while it was away."""
    from sim.session.codes import ROLE, Seat

    facilitator = await Client.join(host.url, host.codes.facilitator)
    app = SeatApp(host.url, host.codes.roles["pref"], retry_after=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.view is not None and app.joins == 1, "its view")
        for conn in [c for c in host.connections if c.seat.role == "pref"]:
            await conn.ws.close(1001, "blip")
        await facilitator.request({"type": "advance", "minutes": 45})
        await until(pilot, lambda: app.joins == 2 and app.view["pending"], "the rejoined view")
        assert app.view == host.view_of(Seat(ROLE, "pref"))
        assert "Ask the Cabinet to recognise the situation?" in screen_text(app)
    await facilitator.close()


async def test_display_seat_shows_public_news_only(host):
    """The projector shows the TV news when it airs, never the intelligence report or expectations."""
    facilitator = await Client.join(host.url, host.codes.facilitator)
    app = SeatApp(host.url, host.codes.display, reconnect=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.view is not None and app.seat == "display", "its view")
        await facilitator.request({"type": "advance", "minutes": 90})
        await until(pilot, lambda: app.view["news"], "the news")
        await pilot.pause()
        text = screen_text(app)
        assert "Television shows ships massing north of the islands." in text
        assert "No population movement in this exercise." in text
        assert "Intelligence says a blockade" not in text and "SECRET-EXPECTED" not in text
    await facilitator.close()


@pytest.mark.slow
async def test_facilitator_seat_writes_an_ad_hoc_inject(host):
    """j: pick the recipient, type the synopsis; the host fires it to that agency."""
    app = SeatApp(host.url, host.codes.facilitator, reconnect=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.view is not None, "its view")
        await pilot.press("j")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # cabinet, fdma, pref, city
        await pilot.pause()
        await pilot.press(*"Ferry strike", "enter")
        await until(pilot, lambda: any(i.kind == "inject" for i in host.sim.inputs), "the inject fired")
    fired = [i.payload for i in host.sim.inputs if i.kind == "inject"]
    assert [(p["id"], p["to"], p["synopsis"]) for p in fired] == [("adhoc1", ["city"], "Ferry strike")]
