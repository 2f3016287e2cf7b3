"""MSEL spreadsheets: lossless round trip, hand-typed FEMA-order sheets, errors by row and column."""

from __future__ import annotations

import csv
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.msel import MselError, export_msel, format_scenario_time, import_msel, parse_scenario_time, rows_to_injects
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Inject
from tests.conftest import DEFAULT_SCENARIO


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_msel_round_trip_loses_nothing(sakishima, tmp_path, suffix):
    """Every inject field (effects, source, assumption included) survives export then import."""
    sheet = export_msel(sakishima, tmp_path / f"msel{suffix}")
    assert import_msel(sheet) == list(sakishima.injects)


@pytest.mark.parametrize("name", ["senkaku", "tsunami"])
def test_msel_round_trip_of_every_bundled_scenario(name, tmp_path):
    """Injects that fire on a condition (`when:`) come back with it, and the sheet says "On trigger", not T+0."""
    scenario = sim.load_scenario(name)
    sheet = export_msel(scenario, tmp_path / "msel.csv")
    assert import_msel(sheet) == list(scenario.injects)
    rows = {row[0]: row for row in csv.reader(sheet.open(encoding="utf-8-sig"))}
    for inject in scenario.injects:
        if inject.when is not None:
            assert rows[inject.id][1] == "On trigger"


def test_msel_import_into_replaces_only_the_injects_block(sakishima, tmp_path):
    """--into rewrites the injects: section; every other line of the file stays as it was."""
    target = tmp_path / "s.yaml"
    shutil.copy(DEFAULT_SCENARIO, target)
    sheet = export_msel(sakishima, tmp_path / "msel.csv")
    rows = list(csv.reader(sheet.open(encoding="utf-8-sig")))
    rows[1][5] = "Changed synopsis."
    with sheet.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)
    import_msel(sheet, into=target)
    before, after = DEFAULT_SCENARIO.read_text().splitlines(), target.read_text().splitlines()
    start = before.index("injects:")
    end = next(i for i, line in enumerate(before) if line.startswith("reforms:"))
    assert after[:start] == before[:start]
    assert after[-(len(before) - end) :] == before[end:]
    updated = load_scenario(target)
    assert updated.inject("m01").synopsis == "Changed synopsis."
    assert updated.injects[1:] == sakishima.injects[1:] and updated.decisions == sakishima.decisions


FEMA_SHEET = """MSEL #,Designated Scenario Time,From,To,Inject Mode,Event Synopsis,Expected Player Action,Objective / Core Capability,Responsible Controller,Contingency,Notes
1,D+0 H+1 M+0,SimCell,Okinawa Prefectural Government; Ishigaki City,Phone,Coast guard reports vessels massing north of the islands.,Prefecture alerts the city,Situational Assessment,Lead controller,N,
2,D+1 H+3 M+45,Okinawa Prefectural Government,Ishigaki City,Email,Ferry capacity confirmed.,City plans the sea lift,Critical Transportation,,Y,Hold unless play stalls
3,T+2h,SimCell,cabinet,News,TV reports on the blockade.,,Public Information and Warning,,no,
"""


def test_hand_typed_fema_sheet_imports(minimal, tmp_path):
    """A sheet typed in the FEMA template's column order, with names for agencies, imports."""
    sheet = tmp_path / "fema.csv"
    sheet.write_text(FEMA_SHEET, encoding="utf-8")
    injects = rows_to_injects(list(csv.reader(sheet.open())), str(sheet), minimal)
    assert [i.id for i in injects] == ["m1", "m2", "m3"]
    assert injects[0].to == ["okinawa_pref", "ishigaki"] and injects[0].at == 60.0
    assert injects[1].from_ == "okinawa_pref" and injects[1].at == 1440 + 180 + 45 and injects[1].contingency
    assert injects[1].notes == "Hold unless play stalls" and injects[2].at == 120.0
    target = tmp_path / "minimal.yaml"
    shutil.copy(DEFAULT_SCENARIO.parent.parent / "tests" / "data" / "minimal.yaml", target)
    text = target.read_text().replace("inject: m01", "inject: m1")
    target.write_text(text)
    import_msel(sheet, into=target)
    assert [i.id for i in load_scenario(target).injects] == ["m1", "m2", "m3"]


def test_import_errors_name_row_and_column(tmp_path):
    sheet = tmp_path / "bad.csv"
    sheet.write_text(
        "Control Number,Scenario Time,From,To,Method,Synopsis,Expected Player Action,Objective / Core Capability,"
        "Responsible Controller,Contingency,Notes\n"
        "m01,tomorrow,simcell,cabinet,phone,x,,,,N,\n"
        "m02,D+1,simcell,cabinet,phone,y,,,,maybe,\n"
        "m01,H+2,simcell,,phone,z,,,,N,\n",
        encoding="utf-8",
    )
    with pytest.raises(MselError) as error:
        import_msel(sheet)
    text = str(error.value)
    assert "row 2, column B (Scenario Time)" in text and "tomorrow" in text
    assert "row 3, column J (Contingency)" in text
    assert "row 4, column D (To)" in text
    assert all(line.startswith(f"{sheet}:") for line in text.splitlines())


def test_unknown_agency_in_into_file_points_at_the_sheet(sakishima, tmp_path):
    target = tmp_path / "s.yaml"
    shutil.copy(DEFAULT_SCENARIO, target)
    sheet = export_msel(sakishima, tmp_path / "msel.csv")
    rows = list(csv.reader(sheet.open(encoding="utf-8-sig")))
    rows[3][3] = "nobody_here"
    with sheet.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)
    with pytest.raises(MselError, match=r"row 4, column D \(To\)"):
        import_msel(sheet, into=target)
    assert target.read_text() == DEFAULT_SCENARIO.read_text()


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("D+1 H+3 M+45", 1665),
        ("T+1d3h45m", 1665),
        ("T+27:45", 1665),
        ("H+6", 360),
        ("1d6h", 1800),
        ("90", 90),
        ("T+0", 0),
    ],
)
def test_scenario_time_forms(text, minutes):
    assert parse_scenario_time(text) == minutes


_ids = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)
_nonempty = _text.filter(lambda s: s != "")
_minutes = st.one_of(
    st.integers(0, 30 * 1440).map(float), st.floats(0, 30 * 1440, allow_nan=False).map(lambda x: round(x, 3))
)


@st.composite
def injects(draw):
    data = {
        "id": draw(_ids),
        "to": draw(st.lists(_ids, min_size=1, max_size=3)),
        "synopsis": draw(_text),
        "method": draw(_nonempty),
        "expected_action": draw(_text),
    }
    timing = draw(st.sampled_from(["at", "trigger", "on_demand"]))
    if timing == "at":
        data["at"] = draw(_minutes)
    elif timing == "trigger":
        data["trigger"] = {"decision": draw(_ids)}
        if draw(st.booleans()):
            data["trigger"]["options"] = draw(st.lists(_ids, min_size=1, max_size=2))
        data["delay"] = draw(st.integers(0, 3000).map(float))
    else:
        data["on_demand"] = True
    data["from"] = draw(st.one_of(st.just("simcell"), _ids))
    for key in ("objective", "controller", "notes", "source", "assumption"):
        if draw(st.booleans()):
            data[key] = draw(_nonempty)
    data["contingency"] = draw(st.booleans())
    if draw(st.booleans()):
        data["effects"] = [
            draw(
                st.sampled_from(
                    [
                        {"kind": "close", "mode": "air", "places": ["ishigaki_terminal"], "for": "36h"},
                        {"kind": "scale", "state": "compliance", "factor": 0.6, "for": "2d"},
                        {"kind": "channel_disruption", "agencies": ["okinawa_pref"], "factor": 4, "duration": "12h"},
                        {"kind": "movement", "action": "stop", "areas": ["ishigaki"], "for": "90m"},
                    ]
                )
            )
        ]
    return Inject.model_validate(data)


@settings(max_examples=20, deadline=None)
@given(st.lists(injects(), min_size=1, max_size=5, unique_by=lambda i: i.id), st.sampled_from([".csv", ".xlsx"]))
def test_msel_round_trip_property(tmp_path_factory, items, suffix):
    """Any list of valid injects survives sheet export and import unchanged (20 draws in the default
    set, 60 in the slow twin below)."""
    _round_trip(tmp_path_factory, items, suffix)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(injects(), min_size=1, max_size=5, unique_by=lambda i: i.id), st.sampled_from([".csv", ".xlsx"]))
def test_msel_round_trip_property_over_many_draws(tmp_path_factory, items, suffix):
    """The same, over 60 draws."""
    _round_trip(tmp_path_factory, items, suffix)


def _round_trip(tmp_path_factory, items, suffix):
    from sim.scenario.schema import Scenario

    scenario = Scenario.model_validate(
        {
            "scenario": {"id": "x", "title": "x", "start": "2027-04-05T06:00:00+09:00", "horizon": "3d"},
            "agencies": [{"id": "a", "name": "A", "kind": "executive"}],
            "injects": items,
        }
    )
    sheet = export_msel(scenario, tmp_path_factory.mktemp("msel") / f"m{suffix}")
    assert import_msel(sheet) == items


@given(st.floats(0, 60 * 1440, allow_nan=False))
def test_scenario_time_format_round_trip(minutes):
    assert parse_scenario_time(format_scenario_time(minutes)) == minutes
