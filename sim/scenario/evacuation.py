"""Evacuation section of the scenario (being written: see the evacuation helper)."""

from __future__ import annotations

from sim.scenario.types import Cited


class EvacuationConfig(Cited):
    """Sakishima evacuation: municipalities, feeders, hubs, arrival nodes, hosts."""
