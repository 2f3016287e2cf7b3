"""The projector of a movement-network scenario shows each danger area: people safe, caught,
still in danger, and when the danger arrives (it said 'No population movement' for the tsunami)."""

from __future__ import annotations

import pytest

from sim.analysis.areas import area_progress
from sim.scenario.bundled import resolve
from sim.scenario.loader import load_scenario
from sim.session.codes import Codes
from sim.session.door import Session
from sim.session.host import Host
from sim.simulation import Simulation
from tests.seats.conftest import Client


@pytest.fixture
async def tsunami_host():
    scenario = load_scenario(resolve("tsunami"))
    session = Session(Simulation(scenario, seed=1), pause_on_decision=False)
    host = Host(session, Codes.generate([]), manual_clock=True)
    await host.start("127.0.0.1", 0)
    yield host
    await host.stop()


async def test_the_display_view_carries_each_area_before_and_after_the_wave(tsunami_host):
    host = tsunami_host
    display = await Client.join(host.url, host.codes.display)
    facilitator = await Client.join(host.url, host.codes.facilitator)
    scenario = host.session.sim.scenario
    before = {a["id"]: a for a in display.view["areas"]}
    assert set(before) == {a.id for a in scenario.movement.areas}
    assert all(not a["reached"] and a["exposed"] == 0 for a in before.values())
    last = max(a.deadline for a in scenario.movement.areas)
    await facilitator.request({"type": "advance", "minutes": last + 1})
    await display.close()
    display = await Client.join(host.url, host.codes.display)
    after = display.view["areas"]
    expected = area_progress(scenario, host.session.sim.events)
    assert [(a["id"], a["safe"], a["exposed"], a["in_danger"]) for a in after] == [
        (e.id, e.safe, e.exposed, e.in_danger) for e in expected
    ]
    assert all(a["reached"] for a in after) and sum(a["exposed"] for a in after) > 0
    assert all(a["deadline_label"] == host.session.sim.clock.label(a["deadline"]) for a in after)
    await display.close()
    await facilitator.close()


async def test_the_display_seat_draws_one_line_per_area(tsunami_host):
    from tests.seats.test_seat_app import screen_text, until
    from tui.seat import SeatApp

    app = SeatApp(tsunami_host.url, tsunami_host.codes.display, reconnect=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.view is not None and app.seat == "display", "its view")
        await pilot.pause()
        text = screen_text(app)
        for area in tsunami_host.session.sim.scenario.movement.areas:
            assert f"{area.title}: 0 safe, 0 caught," in text
        assert "danger in " in text
        assert "No population movement" not in text
        facilitator = await Client.join(tsunami_host.url, tsunami_host.codes.facilitator)
        last = max(a.deadline for a in tsunami_host.session.sim.scenario.movement.areas)
        await facilitator.request({"type": "advance", "minutes": last + 1})
        await until(pilot, lambda: all(a["reached"] for a in app.view["areas"]), "the waves")
        await pilot.pause()
        text = screen_text(app)
        for area in area_progress(tsunami_host.session.sim.scenario, tsunami_host.session.sim.events):
            assert f"{area.title}: {area.safe:,} safe, {area.exposed:,} caught" in text
        assert "danger arrived D+0 " in text
        await facilitator.close()


def test_areas_without_a_danger_say_where_their_movement_stands():
    """Sakishima's municipalities have no deadline: the projector says `not started`, `moving`, `done`
    (never 'danger: on a condition'), and its totals are the run's own."""
    from sim.session import views
    from tui.seat import areas_text

    scenario = load_scenario(resolve("sakishima"))
    sim = Simulation(scenario, seed=1)
    sim.advance(60)
    first = views.display_view(sim, sim.view(), {})["areas"]
    assert "movement" not in views.display_view(sim, sim.view(), {})  # the island model's block is gone
    assert all(not a["threatened"] and not a["started"] and not a["done"] for a in first)
    text = areas_text(first, sim.now).plain
    assert "not started" in text and "danger" not in text.replace("in danger", "")
    sim.advance(scenario.scenario.horizon)
    last = views.display_view(sim, sim.view(), {})["areas"]
    assert all(a["done"] for a in last) and sum(a["safe"] for a in last) == sim.metrics()["movement"]["moved"]
    assert areas_text(last, sim.now).plain.count("; done") == len(last)
