"""SVG snapshots of the console at a fixed size and seed, with no wall-clock text.

Regenerate with `pytest tests/tui --snapshot-update` and review the SVGs first.
"""

from __future__ import annotations

import pytest
from helpers import until

from tui.screens.exercise import ExerciseScreen
from tui.screens.modals import DecisionModal

pytestmark = pytest.mark.tui
WIDE = (160, 48)
NARROW = (80, 24)


async def _begin(pilot) -> None:
    await pilot.pause()
    await pilot.press("enter")  # begin the exercise from the briefing
    await until(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))


async def _advance(pilot, amount: str) -> None:
    await pilot.press("a", *amount, "enter")  # advance in the background worker
    await pilot.app.workers.wait_for_complete()
    await until(pilot, lambda: not pilot.app.screen.busy)


async def _quiet(pilot) -> None:
    pilot.app.clear_notifications()
    await pilot.pause()


class TestBriefing:
    def test_briefing_wide(self, make, snap_compare):
        assert snap_compare(make(roles=("okinawa_pref",)), terminal_size=WIDE)

    def test_briefing_narrow(self, make, snap_compare):
        assert snap_compare(make(), terminal_size=NARROW)


@pytest.mark.slow
class TestExerciseScreen:
    @staticmethod
    async def run_before(pilot) -> None:
        await _begin(pilot)
        await _advance(pilot, "4d9h")  # into D+4, after the attack warning
        await pilot.press("i", "enter", "y")  # fire the first library inject (typhoon) now
        await pilot.press("o", *"Cabinet waited for the Friday meeting", "enter")  # an observation
        await _quiet(pilot)

    def test_exercise_wide(self, make, snap_compare):
        assert snap_compare(make(), terminal_size=WIDE, run_before=self.run_before)

    def test_exercise_narrow(self, make, snap_compare):
        assert snap_compare(make(), terminal_size=NARROW, run_before=self.run_before)


@pytest.mark.slow
class TestDecisionModal:
    @staticmethod
    async def run_before(pilot) -> None:
        await _begin(pilot)
        await pilot.press("r", "home", "enter")  # facilitator view, so the MSEL expectation shows
        await pilot.press("space")  # run until the NSS decision comes up and pauses the clock
        await until(pilot, lambda: isinstance(pilot.app.screen, DecisionModal))
        await _quiet(pilot)

    def test_decision_modal_wide(self, make, snap_compare):
        assert snap_compare(make(roles=("nss",)), terminal_size=WIDE, run_before=self.run_before)

    def test_decision_modal_narrow(self, make, snap_compare):
        assert snap_compare(make(roles=("nss",)), terminal_size=NARROW, run_before=self.run_before)


@pytest.mark.slow
class TestRoleView:
    @staticmethod
    async def run_before(pilot) -> None:
        await _begin(pilot)  # --role okinawa_pref opens its role view
        await _advance(pilot, "2d")
        await _quiet(pilot)

    def test_role_view_wide(self, make, snap_compare):
        assert snap_compare(make(roles=("okinawa_pref",)), terminal_size=WIDE, run_before=self.run_before)

    def test_role_view_narrow(self, make, snap_compare):
        assert snap_compare(make(roles=("okinawa_pref",)), terminal_size=NARROW, run_before=self.run_before)
