"""The console shows the world state and what each option does, as plain text (never markup)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import until
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.loader import load_scenario
from sim.simulation import DecisionView, StateView
from tui.screens.exercise import ExerciseScreen
from tui.screens.modals import DecisionModal, option_text
from tui.widgets.status_panel import StatusPanel, state_value

pytestmark = pytest.mark.tui
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "consequences.yaml"
SIZE = (160, 48)


def _decision(labels, consequences):
    options = tuple((f"o{n}", label) for n, label in enumerate(labels))
    return DecisionView("d", "Q", "hq", "pending", options, None, 0.0, None, None, None, True, tuple(consequences))


def test_option_text_shows_the_consequence_under_the_label():
    d = _decision(["Raise", "Wait"], ["The alert level rises by two.", None])
    assert option_text(d, 1).plain == "1. Raise\n   -> The alert level rises by two."
    assert option_text(d, 2).plain == "2. Wait"


@settings(max_examples=30, deadline=None)
@given(text=st.text(alphabet="[]/ab urgent=#", min_size=1, max_size=30))
def test_brackets_in_options_and_state_are_shown_literally(text):
    """A consequence, a label, a variable title or unit of `[/]` or `[urgent]` stays as typed."""
    d = _decision([text], [text])
    assert option_text(d, 1).plain == f"1. {text}\n   -> {text}"
    variable = StateView("x", text, text, 0.5, 0.0, 1.0)
    assert state_value(variable).plain == f"0.5 {text} (0-1)"


def test_state_value_shows_unit_and_bounds():
    assert state_value(StateView("e", "Escalation", "level", 3.0, 0.0, 5.0)).plain == "3 level (0-5)"
    assert state_value(StateView("t", "Relief", "", 12.5, None, None)).plain == "12.5"
    assert state_value(StateView("t", "Relief", "t", 2.0, 0.0, None)).plain == "2 t (at least 0)"


@pytest.mark.slow
async def test_status_panel_and_decision_modal_show_state_and_consequences():
    from tui.app import TabletopApp

    app = TabletopApp(load_scenario(FIXTURE), roles=("cabinet",), show_wall_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        await pilot.press("d")  # the decision came up at T+0, before play: d opens it
        await until(pilot, lambda: isinstance(app.screen, DecisionModal))
        prompts = [app.screen.query_one("OptionList").get_option_at_index(i).prompt.plain for i in range(2)]
        assert prompts[0].endswith("-> The alert level rises by two.")
        assert prompts[1].endswith("-> Mixed messages halve turnout for six hours.")
        await pilot.press("1")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        await pilot.press("r", "home", "enter")  # the facilitator view shows the seams panel
        await pilot.pause()
        from rich.console import Console

        console = Console(width=120, record=True, color_system=None)
        console.print(app.screen.query_one(StatusPanel).content)
        lines = console.export_text().splitlines()
        assert any("Alert level" in line and "3 level (0-5)" in line for line in lines), lines
        assert not any("not in this scenario" in line for line in lines)  # no rows for sections it lacks


def test_state_values_read_as_a_facilitator_says_them():
    """Counts group thousands and shares keep three digits: the tsunami showed `0.462891` and `4740`."""
    assert state_value(StateView("s", "Safe", "people", 4740.0, 0.0, None)).plain == "4,740 people (at least 0)"
    assert state_value(StateView("f", "Share", "share", 0.462891, 0.0, 1.0)).plain == "0.463 share (0-1)"
    assert state_value(StateView("r", "Relief", "t", 1234.56, None, 5000.0)).plain == "1,235 t (at most 5,000)"
