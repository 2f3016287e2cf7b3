"""ttxsim engine: load a scenario, run it, read its events and metrics.

The public surface is small on purpose; the console and the CLI use only this.
`import sim` never loads a UI library (tests/test_architecture.py checks it).
"""

from sim.events import Kind, SimEvent
from sim.scenario.loader import ScenarioError, load_scenario, load_scenario_text
from sim.scenario.schema import Scenario
from sim.simulation import DecisionError, Input, RunResult, Simulation, WorldView

__all__ = [
    "DecisionError",
    "Input",
    "Kind",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SimEvent",
    "Simulation",
    "WorldView",
    "load_scenario",
    "load_scenario_text",
]

__version__ = "0.1.0"
