"""The consequence examples in docs/scenario-authoring.md are one valid scenario that does what the text says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.scenario.loader import load_scenario_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-authoring.md"
EXAMPLE = re.compile(r"<!-- example: harbour -->\n```yaml\n(.*?)```", re.S)


def harbour_text() -> str:
    """Join the examples: sections that appear in several examples are concatenated."""
    joined: dict[str, object] = {}
    blocks = EXAMPLE.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    for block in blocks:
        for key, value in yaml.safe_load(block).items():
            if isinstance(value, list):
                joined.setdefault(key, [])
                joined[key].extend(value)  # type: ignore[union-attr]
            else:
                assert key not in joined, f"{key} appears twice"
                joined[key] = value
    return yaml.safe_dump(joined, sort_keys=False)


@pytest.fixture(scope="module")
def harbour(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("doc") / "harbour.yaml"
    path.write_text(harbour_text(), encoding="utf-8")
    return path


def test_the_examples_form_a_valid_scenario():
    scenario = load_scenario_text(harbour_text(), "harbour.yaml")
    assert [v.id for v in scenario.state] == ["threat", "turnout", "port_open"]
    assert scenario.hazards and scenario.metrics and scenario.objectives


def run(capsys, harbour: Path, decide: str) -> dict:
    assert main(["run", str(harbour), "--json", "--decide", decide]) == 0
    return json.loads(capsys.readouterr().out)["metrics"]


def test_deciding_to_order_gives_what_the_guide_says(capsys, harbour):
    metrics = run(capsys, harbour, "evacuation_order=order@1h")
    assert metrics["order_hours"] == 1.0
    assert metrics["warning_to_order_hours"] == 0.5
    assert metrics["governor_called"] == 0
    assert metrics["objectives"] == {"order_within_two_hours": 1}
    horizon = 2 * 1440.0
    assert metrics["mean_turnout"] == pytest.approx((0.7 * 60 + 0.9 * (horizon - 60)) / horizon, rel=1e-12)


def test_deciding_to_wait_gives_what_the_guide_says(capsys, harbour):
    metrics = run(capsys, harbour, "evacuation_order=wait@1h")
    assert metrics["order_hours"] is None and metrics["warning_to_order_hours"] is None
    assert metrics["governor_called"] == 1
    assert metrics["objectives"] == {"order_within_two_hours": None}
