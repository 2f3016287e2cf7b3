"""The scenario schema: durations, clock times, distributions and strictness."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from sim.scenario.loader import load_raw
from sim.scenario.schema import Agency, Condition, Decision, Inject, Scenario
from sim.scenario.types import (
    ClockTime,
    Distribution,
    Duration,
    Exponential,
    Fixed,
    LogNormal,
    Mixture,
    format_duration,
    parse_duration,
)

MINIMAL = Path(__file__).resolve().parents[1] / "data" / "minimal.yaml"
durations = TypeAdapter(Duration)
clock = TypeAdapter(ClockTime)
distributions = TypeAdapter(Distribution)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90m", 90),
        ("2h", 120),
        ("1d6h", 1800),
        ("1.5h", 90),
        ("1d6h30m", 1830),
        (45, 45),
        (2.5, 2.5),
        ("0m", 0),
        (" 3h ", 180),
    ],
)
def test_schema_duration_parses_units(text: object, minutes: float) -> None:
    """Durations with d/h/m units (or bare minutes) become simulation minutes."""
    assert durations.validate_python(text) == minutes


@pytest.mark.parametrize("bad", ["", "3 hours", "h", "1h1d", "-5m", -5, True, None, [1], "inf", float("nan")])
def test_schema_duration_rejects_nonsense(bad: object) -> None:
    """Anything that is not a non-negative duration with units is an error."""
    with pytest.raises(ValidationError):
        durations.validate_python(bad)


@pytest.mark.parametrize("minutes", [0, 1, 59, 60, 61, 1439, 1440, 1830, 10_000, 2.5])
def test_schema_duration_format_round_trips(minutes: float) -> None:
    """format_duration is the inverse of parse_duration."""
    assert parse_duration(format_duration(minutes)) == minutes


def test_schema_duration_dumps_with_units() -> None:
    """A Duration field serialises back to text with units."""
    assert durations.dump_python(1830.0, mode="json") == "1d6h30m"


@pytest.mark.parametrize(("text", "minutes"), [("08:00", 480), ("8:30", 510), ("21:00", 1260), ("24:00", 1440)])
def test_schema_clock_time(text: str, minutes: float) -> None:
    """Times of day are read as minutes after midnight."""
    assert clock.validate_python(text) == minutes


@pytest.mark.parametrize("bad", ["25:00", "24:01", "8", "08:60", 480, None])
def test_schema_clock_time_rejects(bad: object) -> None:
    """Only HH:MM strings up to 24:00 are times of day."""
    with pytest.raises(ValidationError):
        clock.validate_python(bad)


@pytest.mark.parametrize("short", ["30m", 30, 30.0, "0.5h"])
def test_schema_distribution_bare_duration_is_fixed(short: object) -> None:
    """A bare duration is shorthand for a fixed distribution."""
    assert distributions.validate_python(short) == Fixed(value=30.0)


def test_schema_distribution_kinds() -> None:
    """Each `kind` selects its model, and means come out in minutes."""
    lognormal = distributions.validate_python({"kind": "lognormal", "median": "1h", "p90": "3h"})
    assert isinstance(lognormal, LogNormal)
    assert lognormal.sigma == pytest.approx(math.log(3) / 1.2815515655446004)
    exponential = distributions.validate_python({"kind": "exponential", "mean": "2h"})
    assert isinstance(exponential, Exponential) and exponential.mean() == 120
    mixture = distributions.validate_python(
        {
            "kind": "mixture",
            "components": [
                {"weight": 3, "dist": "10m"},
                {"weight": 1, "dist": {"kind": "uniform", "low": "1h", "high": "3h"}},
            ],
        }
    )
    assert isinstance(mixture, Mixture) and mixture.mean() == pytest.approx((3 * 10 + 120) / 4)
    empirical = distributions.validate_python({"kind": "empirical", "values": ["1h", "2h"], "weights": [1, 3]})
    assert empirical.mean() == pytest.approx(105)


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "lognormal", "median": "1h", "p90": "30m"},
        {"kind": "uniform", "low": "2h", "high": "1h"},
        {"kind": "triangular", "low": "1h", "mode": "3h", "high": "2h"},
        {"kind": "empirical", "values": []},
        {"kind": "empirical", "values": ["1h"], "weights": [1, 2]},
        {"kind": "lognorm", "median": "1h", "p90": "2h"},
        {"median": "1h"},
        {"kind": "fixed", "value": "1h", "extra": 1},
        True,
    ],
)
def test_schema_distribution_rejects(bad: object) -> None:
    """Inconsistent parameters, unknown kinds, missing kinds and unknown keys are errors."""
    with pytest.raises(ValidationError):
        distributions.validate_python(bad)


def test_schema_unknown_keys_are_errors_everywhere() -> None:
    """Every model forbids unknown keys (extra="forbid")."""
    with pytest.raises(ValidationError, match="Extra inputs"):
        Agency.model_validate({"id": "a", "name": "A", "kind": "ministry", "colour": "red"})
    with pytest.raises(ValidationError, match="Extra inputs"):
        Condition.model_validate({"decision": "a", "when": 1})


def test_schema_models_are_frozen() -> None:
    """A validated scenario cannot be changed in place."""
    agency = Agency.model_validate({"id": "a", "name": "A", "kind": "ministry"})
    with pytest.raises(ValidationError):
        agency.staff = 5  # type: ignore[misc]


def test_schema_condition_needs_exactly_one_subject() -> None:
    """A condition names a decision or an inject, never both or neither; options only for decisions."""
    assert Condition.model_validate({"decision": "a", "options": ["x"]}).decision == "a"
    for bad in ({}, {"decision": "a", "inject": "b"}, {"inject": "b", "options": ["x"]}):
        with pytest.raises(ValidationError):
            Condition.model_validate(bad)


def test_schema_inject_timing() -> None:
    """An inject has exactly one of at/trigger, or is on demand with neither."""
    base = {"id": "m01", "to": ["a"], "synopsis": "s"}
    assert Inject.model_validate({**base, "at": "1h"}).at == 60
    assert Inject.model_validate({**base, "on_demand": True}).at is None
    for bad in ({}, {"at": "1h", "trigger": {"decision": "d"}}, {"at": "1h", "on_demand": True}):
        with pytest.raises(ValidationError):
            Inject.model_validate({**base, **bad})


def test_schema_decision_option_rules() -> None:
    """Decisions need at least one option, unique option ids and some positive probability."""
    base = {"id": "d", "title": "t", "owner": "a", "delay": "1h"}
    for options in (
        [],
        [{"id": "x", "label": "X"}, {"id": "x", "label": "Y"}],
        [{"id": "x", "label": "X", "probability": 0}],
    ):
        with pytest.raises(ValidationError):
            Decision.model_validate({**base, "options": options})


def test_schema_identifiers_are_lower_case() -> None:
    """Ids are lower-case letters, digits and underscores, starting with a letter."""
    with pytest.raises(ValidationError):
        Agency.model_validate({"id": "Okinawa", "name": "A", "kind": "ministry"})
    with pytest.raises(ValidationError):
        Agency.model_validate({"id": "1st", "name": "A", "kind": "ministry"})


def test_schema_aliases_from_and_mean() -> None:
    """`from` and `mean` are written as aliases and dumped back by alias."""
    raw, _ = load_raw(MINIMAL.read_text(encoding="utf-8"))
    scenario = Scenario.model_validate(raw)
    dumped = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["channels"][0]["from"] == "cabinet"
    assert dumped["decisions"][2]["delay"] == {"kind": "exponential", "mean": "4h"}


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False))
def test_duration_dump_reads_back_exactly(minutes):
    """A duration written by a scenario dump reads back to the same float (no lost digits)."""
    from sim.scenario.types import format_duration, parse_duration

    assert parse_duration(format_duration(minutes)) == minutes


def _json_schema_accepts_duration(value: object) -> bool:
    import jsonschema

    from sim.scenario.types import DURATION_JSON_SCHEMA

    return jsonschema.Draft202012Validator(DURATION_JSON_SCHEMA).is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "90m",
        "2h",
        "1d6h",
        "1.5h",
        " 3h ",
        "1d 6h",
        "1e3m",
        45,
        2.5,
        0,
        "",
        "3 hours",
        "h",
        "1h1d",
        "-5m",
        -5,
        True,
        None,
        [1],
        "5",
    ],
)
def test_json_schema_duration_agrees_with_the_parser(value: object) -> None:
    """The JSON Schema an editor sees accepts a duration exactly when the loader does."""
    try:
        durations.validate_python(value)
        loader_accepts = True
    except ValidationError:
        loader_accepts = False
    assert _json_schema_accepts_duration(value) == loader_accepts


@pytest.mark.parametrize("value", ["30m", 30, {"kind": "uniform", "low": "1h", "high": "2h"}])
def test_json_schema_distribution_accepts_shorthand_and_mappings(value: object) -> None:
    """A distribution may be written as a bare duration or as a `kind:` mapping, in the schema as in the loader."""
    import jsonschema

    schema = TypeAdapter(Distribution).json_schema()
    assert jsonschema.Draft202012Validator(schema).is_valid(value)
    assert not jsonschema.Draft202012Validator(schema).is_valid("thirty minutes")
