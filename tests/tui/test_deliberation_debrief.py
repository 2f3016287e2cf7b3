"""The debrief shows how long each person deliberated, with the clock running while they did."""

from __future__ import annotations

import pytest
from helpers import drawn, until

from tui.screens.debrief import DebriefScreen
from tui.screens.exercise import ExerciseScreen
from tui.screens.modals import DecisionModal

pytestmark = pytest.mark.tui
SIZE = (200, 60)


@pytest.mark.slow
async def test_debrief_shows_the_deliberation_time_of_a_played_decision(make):
    """NSS is played; its decision comes up at 00:20 (D+0 06:20), the clock runs on for 95
    minutes of model time before the player answers, and the debrief says so."""
    app = make(roles=("nss",), pause_on_decision=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        app.session.advance_to(20)
        pending = [d for d in app.sim.view().decisions if d.status == "pending" and d.human]
        assert [d.id for d in pending] == ["intelligence_fusion"]
        assert not app.session.paused or app.session.pause_on_decision is False
        app.session.advance_to(20 + 95)  # the clock keeps running while the class deliberates
        assert app.sim.now == 115
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DecisionModal))
        await pilot.press("1")
        # the role's next decision (the NSC's assessment) comes up at once: leave it for later
        await until(
            pilot, lambda: isinstance(app.screen, DecisionModal) and app.screen.decision.id != "intelligence_fusion"
        )
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen))
        text = drawn(app.screen.query_one("#deliberation"))
    row = next(line for line in text.splitlines() if "intelligence_fusion" in line)
    assert "nss" in row
    assert "D+0 06:20" in row and "D+0 07:55" in row  # came up, taken
    assert "1.6 h" in row  # 95 minutes of deliberation
    assert "inject m01 at D+0 06:00" in row and "1.9 h" in row  # 115 minutes since the MSEL's first inject
    assert " P " in f" {row} "  # within the 1 d the MSEL expects
