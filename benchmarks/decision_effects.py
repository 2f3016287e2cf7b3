"""The decision-effect table: what each option of each decision changes, over paired seeds.

    python benchmarks/decision_effects.py [SCENARIO] [-n 50] [--jobs 2] [--seed 1]
        [--decision ID]... [--area-metrics] [--json FILE]

For every decision with two or more options (or those named with
`--decision`), each option is forced whenever the decision comes up
(`--decide DECISION=OPTION`, through the compare/replication machinery) on
the same N replication seeds (common random numbers). The first option is
the reference; for every other option the table prints, for the headline
metrics, the paired difference (option minus reference) with its 95 % CI,
and flags a decision whose options change no headline metric (every CI
covers zero) as a *gate*.

Some decisions only come up in a variant or after a given earlier choice;
`CONTEXTS` names the reforms (variants) and forced earlier options under
which they are measured, so that every pair actually plays the decision.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.analysis.backends import InlineBackend, ProcessBackend  # noqa: E402
from sim.analysis.replications import Arm, run_replications  # noqa: E402
from sim.analysis.stats import paired_difference  # noqa: E402
from sim.runner import run_chunk  # noqa: E402
from sim.scenario.bundled import resolve  # noqa: E402
from sim.scenario.loader import load_raw, load_scenario_text  # noqa: E402

HEADLINE = (
    "clearance_hours",
    "evacuation.completion_hours",
    "evacuation.start_hours",
    "ishigaki_last_flight_hours",
    "movement.exposed",
    "handover.transfer_hours",
    "consultation.decision_hours",
    "escalation_mean",
    "alliance_cohesion_final",
    "compliance_mean",
    "airspace_closures",
    "airport_strikes_ishigaki",
    "airport_strikes_miyako",
    "cyberattacks",
    "sea_evacuees",
    "defence_operation_in_force",
    "article5_branch",
    "defence_order_hours",
)
"""Metrics of the table; a decision changes a metric when its paired 95 % CI excludes zero."""

CONTEXTS: dict[str, list[tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]] = {
    "diet_defence_approval": [((), (("defense_operation_order", "prior_approval"),))],
    "diet_ex_post_approval": [((), (("defense_operation_order", "urgent"),))],
    "jcg_special_necessity": [
        ((), (("defense_operation_order", "urgent"), ("dm_orders_commandant", "rear_area_evacuation")))
    ],
    "dm_orders_commandant": [((), (("defense_operation_order", "urgent"), ("jcg_special_necessity", "necessary")))],
    "jcg_control_lifted": [
        (("ceasefire_day8",), (("defense_operation_order", "urgent"), ("jcg_special_necessity", "necessary")))
    ],
    "us_combat_sorties": [((), (("consultation_answer", "yes"),))],
    "typhoon_response": [(("compound_crisis",), ())],
    "mso_beyond_jcg": [(("grey_zone_intrusion",), ())],
    "mso_order": [(("grey_zone_intrusion",), (("mso_beyond_jcg", "beyond"),))],
    "emergency_declaration": [((), ()), (("emergency_clause",), (("cabinet_procedure", "regular"),))],
}
"""Decision -> the (reforms, forced earlier options) under which its options are compared."""


def decisions_to_measure(scenario, names: list[str]) -> list:
    chosen = [d for d in scenario.decisions if len(d.options) >= 2]
    if names:
        unknown = set(names) - {d.id for d in scenario.decisions}
        if unknown:
            raise SystemExit(f"unknown decision(s): {', '.join(sorted(unknown))}")
        by_id = {d.id: d for d in scenario.decisions}
        chosen = [by_id[name] for name in dict.fromkeys(names)]  # in the order given
    return chosen


def with_area_metrics(text: str, filename: str, scenario) -> tuple[str, tuple[str, ...]]:
    """The scenario text with one metric per municipality's residents added: T+0 to the last of them
    safe (`last_safe.<population>`), and those metric ids. The movement network reports no figure per
    area, so a decision that changes one small island only (Yonaguni's, Tarama's own variant) shows
    here and nowhere in HEADLINE."""
    raw, _ = load_raw(text, filename)
    residents = [p.id for p in scenario.movement.populations if p.class_ == "residents"] if scenario.movement else []
    added = [
        {
            "id": f"last_safe.{population}",
            "kind": "event_time",
            "event": "cohort_arrived",
            "source": population,
            "last": True,
            "title": f"T+0 to the last of {population} safe (h)",
        }
        for population in residents
    ]
    raw["metrics"] = [*(raw.get("metrics") or []), *added]
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), tuple(m["id"] for m in added)


def measure(text: str, path: str, decision, reforms, forced, n: int, seed: int, backend, metrics=HEADLINE) -> dict:
    """Paired differences of every option against the first, per headline metric."""
    arms = [
        Arm(
            option.id,
            text,
            path,
            reforms,
            forced=(*((d, o, None) for d, o in forced), (decision.id, option.id, None)),
        )
        for option in decision.options
    ]
    rs = run_replications(arms, range(n), master_seed=seed, runner=run_chunk, backend=backend)
    reference = decision.options[0].id
    rows = []
    for option in decision.options[1:]:
        for metric in metrics:
            base, other = rs.values(reference, metric), rs.values(option.id, metric)
            diff = paired_difference(base, other, None)
            excludes = diff.n >= 2 and diff.ci95 is not None and (diff.ci95[0] > 0 or diff.ci95[1] < 0)
            rows.append(
                {
                    "option": option.id,
                    "metric": metric,
                    "n": diff.n,
                    "mean": diff.mean,
                    "ci95": list(diff.ci95) if diff.ci95 is not None else None,
                    "changes": bool(excludes),
                }
            )
    return {"reference": reference, "rows": rows}


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def header(n: int) -> str:
    return "\n".join(
        [
            f"Paired differences (option minus the first option), {n} seeds, 95 % CI; "
            "only metrics whose CI excludes 0.",
            "",
            "| decision | context | option vs reference | changed metrics: mean [95 % CI] |",
            "|---|---|---|---|",
        ]
    )


def rows(result: dict) -> str:
    """The table rows of one decision in one context."""
    context = " ".join([*result["reforms"], *(f"{d}={o}" for d, o in result["forced"])]) or "baseline"
    by_option: dict[str, list[str]] = {}
    for row in result["rows"]:
        by_option.setdefault(row["option"], [])
        if row["changes"]:
            lo, hi = row["ci95"]
            by_option[row["option"]].append(f"{row['metric']} {fmt(row['mean'])} [{fmt(lo)}, {fmt(hi)}]")
    lines = []
    for option, changed in by_option.items():
        text = "; ".join(changed) if changed else "none (gate)"
        lines.append(f"| {result['decision']} | {context} | {option} vs {result['reference']} | {text} |")
    return "\n".join(lines)


def footer(results: list[dict]) -> str:
    gates = sorted({r["decision"] for r in results if not any(row["changes"] for row in r["rows"])})
    return f"\nDecisions whose options change no headline metric: {', '.join(gates) or 'none'}."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=None)
    parser.add_argument("-n", "--replications", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--decision", action="append", default=[])
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results to this file")
    parser.add_argument(
        "--area-metrics",
        action="store_true",
        help="also measure, per municipality, T+0 to the last of its residents safe (last_safe.<population>)",
    )
    args = parser.parse_args(argv)
    path = resolve(args.scenario)
    text = Path(path).read_text(encoding="utf-8")
    scenario = load_scenario_text(text, str(path))
    metrics = HEADLINE
    if args.area_metrics:
        text, added = with_area_metrics(text, str(path), scenario)
        metrics = (*HEADLINE, *added)
    backend = InlineBackend() if args.jobs <= 1 else ProcessBackend(args.jobs)
    results = []
    start = time.perf_counter()
    print(header(args.replications), flush=True)
    try:
        for decision in decisions_to_measure(scenario, args.decision):
            for reforms, forced in CONTEXTS.get(decision.id, [((), ())]):
                result = measure(
                    text, str(path), decision, reforms, forced, args.replications, args.seed, backend, metrics
                )
                result.update(decision=decision.id, reforms=list(reforms), forced=[list(f) for f in forced])
                results.append(result)
                print(rows(result), flush=True)
                print(f"# {decision.id} {' '.join(reforms)}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    finally:
        close = getattr(backend, "close", None)
        if close:
            close()
    print(footer(results))
    print(f"\n({len(results)} decisions/contexts, {time.perf_counter() - start:.0f} s on {args.jobs} process(es))")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
