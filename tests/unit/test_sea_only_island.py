"""An island served only by ships (no air hub) is allowed beside an island that flies its people out."""

from __future__ import annotations

from pathlib import Path

from sim.cli import main
from sim.scenario.loader import load_scenario_text
from sim.simulation import Simulation

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "sea_only_island.yaml"


def test_a_ship_only_island_validates_and_everyone_leaves_by_sea(capsys):
    assert main(["validate", str(FIXTURE)]) == 0
    assert "ok" in capsys.readouterr().out
    scenario = load_scenario_text(FIXTURE.read_text(encoding="utf-8"))
    evacuation = Simulation(scenario, seed=1).run().metrics["evacuation"]
    assert evacuation["by_island"]["small"]["evacuated"] == 200 == evacuation["hubs"]["small_port"]["people"]
    assert evacuation["hubs"]["big_air"]["people"] == 600  # the airport carried only its own island
    assert evacuation["evacuated"] == evacuation["population"] == 800


def test_without_ships_that_take_anyone_it_is_refused_in_one_line(tmp_path, capsys):
    bad = tmp_path / "no_takers.yaml"
    bad.write_text(FIXTURE.read_text(encoding="utf-8").replace("takes_anyone: true", "takes_anyone: false"))
    assert main(["validate", str(bad)]) == 2
    assert "island 'small' has no air hub (nor a sea hub with ships that take anyone)" in capsys.readouterr().err
