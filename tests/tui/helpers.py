"""Test helpers for the console (kept out of conftest so tests can import them)."""

from __future__ import annotations


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    """Let the app run until `predicate()` holds (never a bare sleep in an assert)."""
    waited = 0.0
    while not predicate():
        await pilot.pause(0.02)
        waited += 0.02
        if waited > timeout:
            raise AssertionError("condition not reached in time")


async def start(pilot):
    """From the briefing into the exercise screen (Enter), returning that screen."""
    from tui.screens.briefing import BriefingScreen
    from tui.screens.exercise import ExerciseScreen

    await pilot.pause()
    assert isinstance(pilot.app.screen, BriefingScreen)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))
    return pilot.app.screen


def drawn(widget, width: int = 240) -> str:
    """A Static's content as plain text, the way a terminal `width` cells wide shows it."""
    import io

    from rich.console import Console

    console = Console(width=width, record=True, file=io.StringIO())
    rendered = widget.render()
    console.print(getattr(rendered, "_renderable", rendered))
    return console.export_text()
