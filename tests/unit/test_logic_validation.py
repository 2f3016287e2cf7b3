"""`validate` finds parts of a valid scenario that can never happen: warnings, errors with --strict."""

from __future__ import annotations

import json
from pathlib import Path

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "logic_warnings.yaml"
F = str(FIXTURE)

EXPECTED = [
    f"{F}:16:50: decisions.0.options.1.probability: warning: option 'ignore' can never be chosen: its probability "
    "is 0 and no player plays 'hq' (give the agency a role: or a probability above 0)",
    f"{F}:17:52: decisions.0.options.2.consequence: warning: option 'monitor' leads nowhere: its consequence: "
    "promises something, but it has no effects and nothing waits on decision 'alert' (add effects:, or a "
    "decision, inject or metric that needs it)",
    f"{F}:18:9: decisions.1.id: warning: decision 'close_port' can never come up: it requires inject 'warning', "
    "which is not sent to its owner 'port' (add 'port' to the inject's to:, or to forwards: of an agency "
    "it reaches)",
    f"{F}:24:9: decisions.2.id: warning: decision 'evacuate' can never come up: its when: can never hold",
    f"{F}:32:20: injects.1.at: warning: inject 'late' can never fire: its time is after the scenario's horizon",
    f"{F}:33:30: injects.2.trigger: warning: inject 'follow_up' can never fire: decision 'close_port' never "
    "comes up or never takes those options",
    f"{F}:34:34: injects.3.trigger.inject: warning: inject 'echo' is triggered by an inject, which never fires "
    "it; write when: {inject: warning} instead",
    f"{F}:39:22: injects.4.effects.0.kind: warning: effect 'close' changes nothing: this scenario has no movement:",
    f"{F}:41:46: metrics.0.when: warning: metric 'evacuation_hours' is always null: its when condition can never hold",
    f"{F}:42:64: metrics.1.target: warning: metric 'strikes' counts hazard 'strike', which is not a hazard id",
    f"{F}:44:24: objectives.0.metric: warning: objective 'fast' is never rated: metric 'evacuation_hours' can "
    "never happen",
]


def test_validate_prints_each_logic_warning_with_its_position_and_passes(capsys):
    assert main(["validate", F]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == EXPECTED
    assert "ok (2 agencies, 3 decisions, 5 injects, 0 reforms, 11 warnings)" in captured.out


def test_strict_makes_the_warnings_errors(capsys):
    assert main(["validate", "--strict", F]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [line.replace(" warning: ", " ", 1) for line in EXPECTED]
    assert captured.out == ""


def test_json_lists_warnings_apart_unless_strict(capsys):
    assert main(["validate", "--json", F]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is True and payload["problems"] == [] and len(payload["warnings"]) == 11
    assert payload["warnings"][2]["line"] == 18 and payload["warnings"][2]["path"] == "decisions.1.id"
    assert main(["validate", "--json", "--strict", F]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and len(payload["problems"]) == 11 and payload["warnings"] == []


def test_unknown_effect_target_is_an_error_with_its_position(tmp_path, capsys):
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "effects: [{kind: close, places: [quay], for: 2h}]", "effects: [{kind: tell, to: [hqq], synopsis: Hi.}]"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{path}:39:33: injects.4.effects.0.to.0: unknown agency 'hqq' (did you mean 'hq'?)"
    )


def test_bundled_scenarios_pass_strict(capsys):
    """The three bundled scenarios and the historic validation cases."""
    files = sorted(str(p) for p in (ROOT / "scenarios").rglob("*.yaml"))
    assert len(files) >= 5
    assert main(["validate", "--strict", *files]) == 0, capsys.readouterr().err


def test_every_ship_group_of_izu_oshima_carries_people_from_the_one_quay():
    """Izu Oshima 1986 sails six ship groups (sea links) from one quay: people board whichever comes
    first, so each group carries people, and together they carry everyone exactly once."""
    import sim
    from sim.events import Kind

    source = ROOT / "scenarios" / "validation" / "izu_oshima_1986.yaml"
    result = sim.run(source, seed=1)
    carried: dict[str, int] = {}
    for e in result.events:
        if e.kind == Kind.cohort_departed and e.data["mode"] == "sea":
            carried[e.data["link"]] = carried.get(e.data["link"], 0) + e.data["people"]
    links = {
        "oshima_fast_ferry",
        "oshima_tokai_near",
        "oshima_tokai_far",
        "oshima_jcg",
        "oshima_msdf",
        "oshima_fishing",
    }
    assert set(carried) == links and min(carried.values()) > 0
    assert sum(carried.values()) == 10526 == result.metrics["movement"]["moved"]
