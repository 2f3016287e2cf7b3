"""Bad scenario files -> the exact lines `ttxsim validate` prints on stderr.

Each fixture `tests/data/bad_scenarios/NAME.yaml` has a sibling `NAME.expected`
with the exact problem lines, as printed when the file is loaded by its path
relative to the repository root (the tests chdir there). A first line
`# reforms: a, b` in a fixture loads it with those reforms. `NAME.expected`
without a `.yaml` is a file that does not exist.

To regenerate after a deliberate message change (then review the diff):
    python tests/unit/test_loader_errors.py --update
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sim.scenario.loader import (
    Positions,
    Problem,
    ScenarioError,
    load_raw,
    load_scenario,
    load_scenario_bytes,
    load_scenario_text,
)
from sim.scenario.references import check_references, check_scenario
from sim.scenario.reforms import PathError, apply_reforms, get_path, resolve_path

ROOT = Path(__file__).resolve().parents[2]
BAD = Path("tests/data/bad_scenarios")
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"
CASES = sorted(p.stem for p in (ROOT / BAD).glob("*.expected"))


def _reforms_of(path: Path) -> list[str]:
    if not path.exists():
        return []
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
    if first.startswith("# reforms:"):
        return [name.strip() for name in first.removeprefix("# reforms:").split(",") if name.strip()]
    return []


def _problems_text(name: str) -> str:
    relative = BAD / f"{name}.yaml"
    try:
        load_scenario(relative, reforms=_reforms_of(ROOT / relative))
    except ScenarioError as error:
        return str(error) + "\n"
    return "(loaded without problems)\n"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("name", CASES)
def test_loader_bad_fixture_gives_exact_lines(name: str) -> None:
    """Every bad fixture fails with exactly the lines in its `.expected` file."""
    expected = (ROOT / BAD / f"{name}.expected").read_text(encoding="utf-8")
    assert _problems_text(name) == expected


def test_loader_fixture_set_covers_the_brief() -> None:
    """The fixture folder keeps the cases the loader contract promises."""
    required = {
        "misspelt_key",
        "wrong_type",
        "bad_duration",
        "unknown_agency",
        "unknown_decision_in_condition",
        "command_cycle",
        "reform_missing_path",
        "duplicate_id",
        "duplicate_key",
        "yaml_syntax",
        "empty",
        "not_a_mapping",
        "binary_junk",
        "missing_file",
        "date_stays_string",
    }
    assert required <= set(CASES)


def test_loader_problem_str_format() -> None:
    """A problem prints as FILE:LINE:COL: field.path: message (no path: no path part)."""
    assert str(Problem("a.yaml", 3, 7, "agencies.0.parent", "boom")) == "a.yaml:3:7: agencies.0.parent: boom"
    assert str(Problem("a.yaml", 1, 1, "", "file not found")) == "a.yaml:1:1: file not found"


def test_loader_error_sorts_problems_by_line() -> None:
    """ScenarioError lists problems in file order, one per line."""
    error = ScenarioError([Problem("f", 9, 1, "b", "two"), Problem("f", 2, 5, "a", "one")])
    assert [p.line for p in error.problems] == [2, 9]
    assert str(error) == "f:2:5: a: one\nf:9:1: b: two"


def test_loader_minimal_is_valid() -> None:
    """The shared test scenario loads, with dates, times and quoted option ids intact."""
    scenario = load_scenario(MINIMAL)
    assert [a.id for a in scenario.agencies] == ["cabinet", "fdma", "okinawa_pref", "ishigaki"]
    assert scenario.scenario.start.isoformat() == "2027-04-05T06:00:00"
    assert scenario.agency("okinawa_pref").hours.close == 21 * 60
    assert [o.id for o in scenario.decision("recognise_situation").options] == ["yes", "no"]
    assert check_scenario(scenario) == []


def test_loader_times_and_dates_stay_strings() -> None:
    """`21:00` is not base-60 and `2027-04-05` is not a timestamp in the raw data."""
    raw, _ = load_raw("a: 21:00\nb: 2027-04-05\nc: 2027-04-05 06:00\nd: 1:30:00\n")
    assert raw == {"a": "21:00", "b": "2027-04-05", "c": "2027-04-05 06:00", "d": "1:30:00"}


def test_loader_only_true_false_are_booleans() -> None:
    """yes/no/on/off stay text; true/false are booleans; pydantic still reads 'yes' for a bool field."""
    raw, _ = load_raw("a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\nno: 1\n")
    assert raw == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": True, "f": False, "no": 1}
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "    method: email\n", "    method: email\n    contingency: yes\n"
    )
    assert load_scenario_text(text).inject("m02").contingency is True


def test_loader_positions_are_recorded_for_keys_and_values() -> None:
    """Positions give 1-based line/col of keys and values by raw path."""
    raw, positions = load_raw("a:\n  - id: x\n    parent:  y\n")
    assert raw == {"a": [{"id": "x", "parent": "y"}]}
    assert positions.key(("a", 0, "parent")) == (3, 5)
    assert positions.value(("a", 0, "parent")) == (3, 14)
    assert positions.value(("a", 0)) == (2, 5)
    assert positions.nearest(("a", 0, "missing", "deeper")) == (2, 5)


def test_loader_text_and_bytes_entry_points_use_the_filename() -> None:
    """load_scenario_text/bytes report under the given name."""
    with pytest.raises(ScenarioError) as info:
        load_scenario_text("- 1\n", filename="x.yaml")
    assert str(info.value).startswith("x.yaml:1:1: expected a mapping")
    with pytest.raises(ScenarioError) as info:
        load_scenario_bytes(b"a: \xc3\x28\n", filename="y.yaml")
    assert str(info.value) == "y.yaml:1:4: not a text file: byte 0xc3 at offset 3 is not valid UTF-8"


def test_loader_bom_and_utf16_are_read() -> None:
    """A UTF-8 BOM or a BOM-marked UTF-16 file loads like plain UTF-8."""
    text = MINIMAL.read_text(encoding="utf-8")
    assert load_scenario_bytes(b"\xef\xbb\xbf" + text.encode()) == load_scenario_text(text)
    assert load_scenario_bytes(text.encode("utf-16")) == load_scenario_text(text)


def test_loader_reform_is_applied() -> None:
    """A reform's patch replaces the value at its path before validation."""
    base = load_scenario(MINIMAL)
    reformed = load_scenario(MINIMAL, reforms=["fast_instruction"])
    assert base.decision("evacuation_instruction").delay.mean() == 120
    assert reformed.decision("evacuation_instruction").delay.mean() == 30
    assert reformed.decision("recognise_situation") == base.decision("recognise_situation")


def test_reforms_paths_by_id_index_and_new_key() -> None:
    """Patch paths select keys, list items by id or index; the last key may be new."""
    raw, _ = load_raw(MINIMAL.read_text(encoding="utf-8"))
    assert resolve_path(raw, "decisions.evacuation_order.delay") == ("decisions", 2, "delay")
    assert resolve_path(raw, "channels.1.latency") == ("channels", 1, "latency")
    assert get_path(raw, "agencies.okinawa_pref.hours.close") == "21:00"
    assert resolve_path(raw, "agencies.cabinet.staff", allow_new_key=True) == ("agencies", 0, "staff")
    with pytest.raises(PathError, match=r"no item with id 'cabinett' in agencies \(did you mean 'cabinet'\?\)"):
        resolve_path(raw, "agencies.cabinett.staff")
    with pytest.raises(PathError, match="index 7 is out of range"):
        resolve_path(raw, "channels.7")
    with pytest.raises(PathError, match="single value"):
        resolve_path(raw, "scenario.id.x")


def test_reforms_apply_deep_copies_and_orders() -> None:
    """apply_reforms leaves the input untouched and applies patches in the order given."""
    raw, _ = load_raw(MINIMAL.read_text(encoding="utf-8"))
    raw["reforms"].append(
        {"id": "slow", "title": "Slow", "patches": [{"path": "decisions.evacuation_instruction.delay", "value": "5h"}]}
    )
    before = repr(raw)
    assert get_path(apply_reforms(raw, ["fast_instruction", "slow"]), "decisions.evacuation_instruction.delay") == "5h"
    assert get_path(apply_reforms(raw, ["slow", "fast_instruction"]), "decisions.evacuation_instruction.delay") == "30m"
    assert repr(raw) == before
    with pytest.raises(
        ScenarioError, match=r"unknown reform 'slo' \(did you mean 'slow'\?\); known: fast_instruction, slow"
    ):
        apply_reforms(raw, ["slo"])


def test_references_work_without_positions() -> None:
    """check_references on a bare mapping reports at 1:1 of <scenario> with the right path."""
    raw, _ = load_raw(MINIMAL.read_text(encoding="utf-8"))
    raw["decisions"][0]["owner"] = "cabinett"
    problems = check_references(raw)
    assert [str(p) for p in problems] == [
        "<scenario>:1:1: decisions.0.owner: unknown agency 'cabinett' (did you mean 'cabinet'?)"
    ]
    assert check_references(raw, Positions("x"))[0].file == "x"


def _update() -> None:  # pragma: no cover - maintenance helper
    import os

    os.chdir(ROOT)
    for expected in sorted((ROOT / BAD).glob("*.yaml")):
        (ROOT / BAD / f"{expected.stem}.expected").write_text(_problems_text(expected.stem), encoding="utf-8")
    (ROOT / BAD / "missing_file.expected").write_text(_problems_text("missing_file"), encoding="utf-8")


if __name__ == "__main__" and "--update" in sys.argv:
    _update()


def test_an_island_model_file_is_refused_by_run_at_its_line_and_nothing_is_written(tmp_path, capsys) -> None:
    """`evacuation:` (the island model, replaced by `movement:`) is one problem saying so, exit 2,
    before any journal or event file is created; the metric counting its `departed` adds nothing."""
    from sim.cli import main

    journal, events = tmp_path / "s.ttxj", tmp_path / "e.jsonl"
    path = str(BAD / "island_model.yaml")
    assert main(["run", path, "--journal", str(journal), "--events", str(events)]) == 2
    assert capsys.readouterr().err == (
        f"{path}:22:1: evacuation: the island model was replaced by `movement:` in ttxsim 0.1.0; "
        "see the migration note in docs/scenario-authoring.md\n"
    )
    assert list(tmp_path.iterdir()) == []
