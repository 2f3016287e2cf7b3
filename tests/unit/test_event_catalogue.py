"""The event catalogue (docs/events.md) lists every kind and payload key, and runs keep to it."""

from __future__ import annotations

from pathlib import Path

from sim.events import CATALOGUE, Kind, catalogue_markdown
from sim.scenario.loader import load_scenario, load_scenario_text
from sim.scenario.schema import Inject
from sim.simulation import Simulation

ROOT = Path(__file__).resolve().parents[2]


def test_docs_events_md_is_generated_from_the_catalogue():
    """Regenerate with `python -m sim.events > docs/events.md` if this fails."""
    assert (ROOT / "docs" / "events.md").read_text(encoding="utf-8") == catalogue_markdown()


def test_every_kind_is_declared():
    assert set(CATALOGUE) == set(Kind)


def _events():
    """Events of runs that exercise most kinds: Sakishima with effects by hand, the consequence fixture, a
    repeatable decision, and the tsunami (people exposed at a deadline)."""
    sakishima = load_scenario(ROOT / "scenarios" / "sakishima.yaml")
    sim = Simulation(sakishima, seed=2, forced={})
    sim.advance(125 * 60)
    for n, effect in enumerate(
        [
            {"kind": "close", "places": ["ishigaki_air_b787", "ishigaki_air_b737"], "for": "2h"},
            {"kind": "scale", "state": "compliance", "factor": 0.5, "for": "2h"},
            {"kind": "movement", "action": "stop", "areas": ["tarama"], "for": "1h"},
            {"kind": "channel", "agencies": ["okinawa_pref"], "latency_factor": 2, "for": "1h"},
            {"kind": "agency", "agencies": ["okinawa_pref"], "staff": 5, "for": "1h"},
            {"kind": "tell", "to": ["okinawa_pref"], "synopsis": "Hello."},
            {"kind": "open", "mode": "sea", "places": ["ishigaki_jcg"], "for": "2h"},
        ]
    ):
        sim.apply(
            Inject.model_validate(
                {"id": f"e{n}", "on_demand": True, "to": ["pm"], "synopsis": "x", "effects": [effect]}
            )
        )
    sim.note("a note")
    yield from sim.run().events
    fixture = load_scenario(ROOT / "tests" / "data" / "consequences.yaml")
    for option in ("yes", "no"):
        yield from Simulation(fixture, seed=1, forced={"recognise_situation": (option, 60.0)}).run().events
    repeat = load_scenario_text(
        """
scenario: {id: p, title: P, start: "2027-04-05T06:00:00+09:00", horizon: 1d}
agencies: [{id: hq, name: HQ, kind: executive}]
decisions:
  - {id: review, title: Review, owner: hq, delay: 1h, repeat: 6h, options: [{id: ok, label: OK}]}
  - {id: spare, title: Spare, owner: hq, delay: 1h, requires: [{decision: review}], skip_if: [{decision: review, options: [ok]}], options: [{id: ok, label: OK}]}
injects:
  - {id: later, at: 2h, to: [hq], synopsis: Later.}
  - {id: stop, at: 1h, to: [hq], synopsis: Stop., effects: [{kind: cancel, inject: later}]}
"""
    )
    yield from Simulation(repeat, seed=1).run().events
    yield from Simulation(load_scenario(ROOT / "scenarios" / "tsunami.yaml"), seed=1).run().events


def test_runs_emit_exactly_the_declared_payload_keys():
    seen: set[Kind] = set()
    for event in _events():
        spec = CATALOGUE[event.kind]
        required = {k for k, v in spec.payload.items() if not v.startswith("(optional)")}
        assert set(event.data) <= set(spec.payload), (event.kind, set(event.data) - set(spec.payload))
        assert required <= set(event.data), (event.kind, required - set(event.data))
        seen.add(event.kind)
    assert len(seen) >= 25, sorted(set(Kind) - seen)
    movement = {
        Kind.movement_started,
        Kind.movement_changed,
        Kind.movement_completed,
        Kind.cohort_departed,
        Kind.cohort_arrived,
        Kind.people_exposed,
        Kind.leg_closed,
        Kind.leg_reopened,
    }
    assert movement <= seen, sorted(movement - seen)
