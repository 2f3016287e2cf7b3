"""The console on the grey-zone scenario: its own state, metrics, objectives and consequence
lines, and none of the Sakishima seams it does not have."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.tui.helpers import until
from tui.app import TabletopApp
from tui.screens.briefing import BriefingScreen
from tui.screens.debrief import DebriefScreen
from tui.screens.exercise import ExerciseScreen
from tui.screens.modals import DecisionModal

pytestmark = pytest.mark.tui
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "senkaku.yaml"
SIZE = (160, 48)


def screen_text(app) -> str:
    """Every piece of text on the terminal right now, as the facilitator reads it."""
    spans = re.findall(r"<text[^>]*>(.*?)</text>", app.export_screenshot())
    return "".join(html.unescape(span).replace("\xa0", " ") for span in spans)


def app_for(**kwargs) -> TabletopApp:
    from sim.scenario.loader import load_scenario

    return TabletopApp(load_scenario(SCENARIO), show_wall_clock=False, **kwargs)


async def start(pilot) -> None:
    await pilot.pause()
    assert isinstance(pilot.app.screen, BriefingScreen)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))


async def test_status_panel_shows_the_state_not_the_sakishima_seams():
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.session.advance_to(3 * 60)  # the incursion inject has raised escalation to 2 or more
        await until(pilot, lambda: "Escalation at sea" in screen_text(app), timeout=20)
        text = screen_text(app)
        assert "Public trust in the" in text  # long titles are cut beside their values
        assert "JCG handover" not in text and "not in this scenario" not in text


async def test_debrief_lists_its_metrics_and_objectives():
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.session.advance_to(12 * 60)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen))
        await until(pilot, lambda: "Highest escalation" in screen_text(app), timeout=20)
        text = screen_text(app)
        assert "Highest escalation" in text and "CCG incursions into the territorial sea" in text
        assert "Objective: No clash at sea" in text
        assert "JCG handover" not in text and "Prior consultation" not in text and "Evacuated" not in text


@pytest.mark.slow
async def test_decision_dialog_shows_each_options_consequence():
    app = app_for(roles=("jcg_11th",))
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("space")
        await until(pilot, lambda: isinstance(app.screen, DecisionModal))
        assert app.screen.decision.id == "jcg_response"
        await until(pilot, lambda: "Patrol vessels place themselves" in screen_text(app), timeout=20)
        text = screen_text(app)
        assert "The CCG answers in kind" in text
        await pilot.press("2")  # attempt to board: its effect reaches the world
        await pilot.pause()
        escalation = {v.id: v.value for v in app.sim.view().state}["escalation"]
        assert escalation >= 3.0  # 1 + 1 (incursion inject) + 1 (boarding), hazards only add
