"""Scenario metrics are pure functions of the event stream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from sim.analysis.metrics import run_metrics, scenario_metrics, state_statistic
from sim.events import Kind, SimEvent
from sim.scenario.consequences import Metric
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation

DATA = Path(__file__).resolve().parents[1] / "data"
METRIC = TypeAdapter(Metric)


def ev(seq, time, kind, target=None, source="x", **data):
    return SimEvent(seq, time, kind, source, target, data)


EVENTS = [
    ev(0, 0.0, Kind.state_changed, "level", value=2.0),
    ev(1, 30.0, Kind.cohort_departed, "port", people=40),
    ev(2, 60.0, Kind.state_changed, "level", value=4.0),
    ev(3, 90.0, Kind.cohort_departed, "port", people=35),
    ev(4, 90.0, Kind.cohort_departed, "airport", people=100),
    ev(5, 120.0, Kind.decision_taken, "order", option="yes"),
    ev(6, 180.0, Kind.state_changed, "level", value=1.0),
]


def metrics(*raw):
    return scenario_metrics([METRIC.validate_python(r) for r in raw], EVENTS, end=240.0)


def test_state_statistics_are_time_weighted_to_the_end():
    assert state_statistic(EVENTS, "level", "mean", 240.0) == (2 * 60 + 4 * 120 + 1 * 60) / 240
    assert state_statistic(EVENTS, "level", "max", 240.0) == 4.0
    assert state_statistic(EVENTS, "level", "min", 240.0) == 1.0
    assert state_statistic(EVENTS, "level", "final", 100.0) == 4.0
    assert state_statistic(EVENTS, "nothing", "final", 240.0) is None


def test_counts_filter_by_target_and_sum_payload_values():
    got = metrics(
        {"id": "trips", "kind": "count", "event": "cohort_departed"},
        {"id": "by_sea", "kind": "count", "event": "cohort_departed", "target": "port", "sum": "people"},
    )
    assert got == {"trips": 3, "by_sea": 75}


def test_times_spans_and_indicators_in_hours_and_null_when_they_did_not_happen():
    got = metrics(
        {"id": "order_hours", "kind": "time", "when": {"decision": "order"}},
        {
            "id": "high_to_order",
            "kind": "span",
            "start": {"state": "level", "at_least": 4},
            "end": {"decision": "order"},
        },
        {"id": "never", "kind": "span", "start": {"decision": "order"}, "end": {"inject": "m9"}},
        {"id": "was_high", "kind": "indicator", "when": {"state": "level", "above": 3}},
        {"id": "no_answer", "kind": "indicator", "when": {"decision": "order", "option": "no"}},
    )
    assert got == {"order_hours": 2.0, "high_to_order": 1.0, "never": None, "was_high": 1, "no_answer": 0}


def test_a_stored_event_log_gives_the_same_metrics_as_the_run(tmp_path):
    scenario = load_scenario(DATA / "consequences.yaml")
    simulation = Simulation(scenario, seed=4)
    result = simulation.run()
    lines = [event.to_json() for event in result.events]
    stored = [SimEvent.from_dict(json.loads(line)) for line in lines]
    again = run_metrics(scenario, stored, simulation.now)
    assert again == {k: result.metrics[k] for k in again}
    assert set(again) == {m.id for m in scenario.metrics} | {"objectives"}


def test_metric_ids_must_be_lower_case_words():
    with pytest.raises(ValueError):
        METRIC.validate_python({"id": "Bad-Id", "kind": "count", "event": "cohort_departed"})
