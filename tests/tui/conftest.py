"""Fixtures for console tests: a fixed seed, no wall clock, helpers that wait on the UI."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.tui


@pytest.fixture
def make(sakishima):
    """Build a console app on the bundled scenario (seed 1, no wall-clock text)."""
    from tui.app import TabletopApp

    def build(**kwargs):
        kwargs.setdefault("show_wall_clock", False)
        return TabletopApp(sakishima, **kwargs)

    return build
