"""Regenerate the analyst guide's figures and the numbers its prose quotes.

    python benchmarks/guide_figures.py [--out /tmp/guide_compare] [-n 30] [--seed 1] [--reuse]
        [--morris [--morris-n 10] [--morris-out /tmp/morris]]

What it runs, each a plain `ttxsim` command (printed before it runs), so every
number in docs/analyst-guide.md can be traced to one of them:

1. `ttxsim compare --reform integrated_authority --reform standing_jcg_order
   --reform bilateral_cell -n 30 --seed 1 --out OUT` (skipped with `--reuse`).
   The figures are redrawn into docs/img/analysis/ from OUT's own files
   (summary.json, replications.csv, curves.csv) by the stock drawing
   (`sim.analysis.plots.comparison_figures`), with the differences restricted
   to GUIDE_METRICS, as `--metric` would restrict them (OUT's own
   `differences.png` draws the scenario's objectives' metrics and the
   headline list instead).
2. The paired differences the guide quotes (reform minus baseline, mean and
   95 % CI over the paired seeds), read from OUT/summary.json, and the mean
   hours per critical-path segment kind (`critical_path.*_hours`) per arm.
3. `ttxsim explain --seed 1` and `ttxsim explain -n 30 --reform
   integrated_authority`, written next to the figures as text.
4. With `--morris`: `ttxsim sensitivity --method morris --out MORRIS_OUT`
   (the documented default design, about 700 CPU-seconds), timed;
   its figures are copied to docs/img/sensitivity/ and the top five by mu*
   are printed. `--morris-reuse` reads a MORRIS_OUT made earlier.

Nothing here changes the model; run it after any change to the scenario or
the engine and update the guide from what it prints.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.analysis.plots import comparison_figures, labels_for  # noqa: E402
from sim.analysis.replications import Arm, Record, ReplicationSet  # noqa: E402
from sim.analysis.stats import paired_difference  # noqa: E402
from sim.api import load_scenario  # noqa: E402

REFORMS = ("integrated_authority", "standing_jcg_order", "bilateral_cell")
GUIDE_METRICS = (
    "evacuation.start_hours",
    "clearance_hours",
    "evacuation.completion_hours",
    "handover.transfer_hours",
    "consultation.decision_hours",
)
"""The metrics the guide's differences figure and overview show, in this order."""
OTHER_QUOTED = ("airspace_closures", "ishigaki_last_flight_hours", "sea_evacuees", "movement.exposed")
"""Further metrics whose paired differences the guide's prose quotes."""
MORRIS_DESIGN: tuple[str, ...] = ()
"""Options for the guide's Morris run: none, the documented default design over every
assumption (analyst guide, section 10: about 9 minutes on 2 cores)."""
IMG = ROOT / "docs" / "img" / "analysis"
SENSITIVITY_IMG = ROOT / "docs" / "img" / "sensitivity"


def ttxsim(*args: str, capture: bool = True) -> tuple[str, float]:
    """Run `ttxsim ARGS` (this checkout's `sim`), echo the command; return stdout and wall seconds."""
    print("$ ttxsim " + " ".join(args), file=sys.stderr, flush=True)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return done.stdout or "", time.perf_counter() - start


def _number(cell: str) -> float | None:
    if cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def load_replications(out: Path) -> ReplicationSet:
    """The records of `compare --out` rebuilt from its replications.csv (metrics only, no curves)."""
    manifest = json.loads((out / "manifest.json").read_text())
    arms = tuple(Arm(name=a["name"], scenario_text="") for a in manifest["arms"])
    rs = ReplicationSet(arms=arms, master_seed=int(manifest.get("master_seed", 1)))
    records = []
    with (out / "replications.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            metrics = {
                k: _number(v)
                for k, v in row.items()
                if k not in ("replication", "seed", "arm", "events")
                and not (k.startswith("decisions.") and k.rsplit(".", 1)[-1] in ("option", "by"))
            }
            records.append(Record(row["arm"], int(row["replication"]), int(row["seed"]), metrics))
    rs.add(records)
    return rs


def load_curves(out: Path) -> dict[str, dict]:
    """curves.csv back into `curve_summary`'s shape (empty, with a note, if `compare` wrote none)."""
    curves: dict[str, dict] = {}
    if not (out / "curves.csv").exists():
        print(f"note: {out / 'curves.csv'} was not written; the figures have no people-to-move curves", file=sys.stderr)
        return curves
    with (out / "curves.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            c = curves.setdefault(row["arm"], {"hours": [], "median": [], "p05": [], "p95": [], "n": 0})
            for key in ("hours", "median", "p05", "p95"):
                c[key].append(float(row[key]))
            c["n"] = int(row["replications"])
    return curves


def figures(out: Path) -> None:
    """Redraw the guide's figures from `compare --out`'s files with the stock drawing
    (`comparison_figures`, as `compare --out` draws them), the differences restricted to
    GUIDE_METRICS, in that order, as `--metric` would."""
    IMG.mkdir(parents=True, exist_ok=True)
    for name in ("summary.txt", "manifest.json"):
        shutil.copyfile(out / name, IMG / name)
    manifest = json.loads((out / "manifest.json").read_text())
    labels = labels_for(load_scenario(manifest["scenario"]["path"]))
    payload = json.loads((out / "summary.json").read_text())
    metrics = [m for m in GUIDE_METRICS if m in payload["metrics"]]
    comparison_figures(load_replications(out), payload, load_curves(out), IMG, metrics, labels, requested=metrics)


def paired_differences(out: Path) -> None:
    """Print reform minus baseline, mean [95 % CI], for the metrics the guide quotes."""
    payload = json.loads((out / "summary.json").read_text())
    table = payload["metrics"]
    kinds = [m for m in table if m.startswith("critical_path.")]
    print(f"\nPaired differences over {payload['replications']} seeds (reform - baseline, mean [95% CI])")
    for metric in (*GUIDE_METRICS, *OTHER_QUOTED):
        for arm, row in table.get(metric, {}).items():
            diff = row.get("difference")
            if arm == "baseline":
                print(f"  {metric:<34} {arm:<22} mean {row['mean']}  n={row['n']} missing={row['missing']}")
            elif diff and diff["mean"] is not None:
                ci = diff["ci95"] or [None, None]
                print(f"  {metric:<34} {arm:<22} {diff['mean']:+.1f} [{ci[0]:+.1f}, {ci[1]:+.1f}]  n={diff['n']}")
    print("\nCritical path of the headline metric: mean hours per kind (baseline; each reform's paired shift)")
    for metric in kinds:
        rows = table[metric]
        cells = [f"baseline {rows['baseline']['mean']:6.1f}"]
        for arm in REFORMS:
            diff = (rows.get(arm) or {}).get("difference") or {}
            if diff.get("mean") is not None:
                ci = diff["ci95"] or [diff["mean"], diff["mean"]]
                cells.append(f"{arm} {diff['mean']:+6.1f} [{ci[0]:+.1f}, {ci[1]:+.1f}]")
        print(f"  {metric:<36} " + "  ".join(cells))
    print("\nThe same as markdown rows (kinds with 0 h in every run of every arm left out):")
    for metric in kinds:
        rows = table[metric]
        if all(not row["mean"] and not row.get("sd") for row in rows.values()):
            continue
        cells = [metric.removeprefix("critical_path.").removesuffix("_hours"), f"{rows['baseline']['mean']:.1f}"]
        for arm in ("integrated_authority", "bilateral_cell"):
            diff = rows[arm]["difference"]
            ci = diff["ci95"] or [diff["mean"], diff["mean"]]
            cells.append(f"{diff['mean']:+.1f} [{ci[0]:+.1f}, {ci[1]:+.1f}]")
        print("| `" + cells[0] + "` | " + " | ".join(cells[1:]) + " |")
    if not kinds:
        return
    rs = load_replications(out)
    waited = sum(1 for v in rs.values("baseline", "critical_path.calendar_hours") if v)
    print(f"baseline runs with calendar hours on the critical path: {waited} of {rs.replications}")


VOLUNTARY_TOURISTS = ("ishigaki_tourists", "miyako_tourists", "taketomi_tourists")
"""The populations of the movement network that leave on their own (`turnout: voluntary`) before any order."""
VOLUNTARY_OFF = tuple(
    arg
    for population in VOLUNTARY_TOURISTS
    for arg in ("--param", f"movement.populations.{population}.turnout.per_hour=0.0001")
)
"""Sweep parameters that all but switch the tourists' voluntary departures off (a rate must be above 0:
one person in 10,000 hours), so the tourists wait and leave with their town."""
MUNICIPAL_STARTS = tuple(
    f"decisions.guidelines_{town}.taken_hours" for town in ("ishigaki", "miyakojima", "taketomi", "yonaguni", "tarama")
)
"""Each municipality's implementation guidelines, the condition its residents' turnout starts on."""
VARIANT_METRICS = ("evacuation.start_hours", "clearance_hours", "evacuation.completion_hours")


def variants(out: Path, n: int, seed: str, reuse: bool) -> None:
    """The integrated authority's paired effect (reform minus no reform, same seeds) in four variants:
    threatened or unthreatened, with or without the tourists' voluntary departures.

    `compare` pairs every arm with the threatened baseline and has no `--param`, so the variants run
    as one `compare` (unthreatened arms) and four one-point `sweep`s (voluntary departures off), all
    with the same master seed, hence the same replication seeds; the pairs are formed here,
    replication by replication, from their replications.csv."""
    runs = {
        "unthreatened": ("compare", "--reform", "unthreatened", "--reform", "unthreatened+integrated_authority"),
        "off": ("sweep", *VOLUNTARY_OFF),
        "off_reform": ("sweep", *VOLUNTARY_OFF, "--reform", "integrated_authority"),
        "off_unthreatened": ("sweep", *VOLUNTARY_OFF, "--reform", "unthreatened"),
        "off_unthreatened_reform": (
            "sweep",
            *(*VOLUNTARY_OFF, "--reform", "unthreatened", "--reform", "integrated_authority"),
        ),
    }
    sets = {"threatened": load_replications(out)}
    for name, args in runs.items():
        target = out.with_name(f"{out.name}_{name}")
        if not reuse or not (target / "replications.csv").exists():
            if target.exists():
                shutil.rmtree(target)
            ttxsim(*args, "-n", str(n), "--seed", seed, "--out", str(target), "-q", "--no-plots")
        sets[name] = load_replications(target)
    pairs = {
        "threatened baseline": (sets["threatened"], "baseline", sets["threatened"], "integrated_authority"),
        "threatened, no voluntary tourist departures": (
            sets["off"],
            sets["off"].arm_names[0],
            sets["off_reform"],
            sets["off_reform"].arm_names[0],
        ),
        "unthreatened": (
            sets["unthreatened"],
            "unthreatened",
            sets["unthreatened"],
            "unthreatened+integrated_authority",
        ),
        "unthreatened, no voluntary tourist departures": (
            sets["off_unthreatened"],
            sets["off_unthreatened"].arm_names[0],
            sets["off_unthreatened_reform"],
            sets["off_unthreatened_reform"].arm_names[0],
        ),
    }
    print(f"\nintegrated_authority minus no reform, paired over {n} seeds, mean [95% CI] (markdown rows)")
    print("| variant | " + " | ".join(VARIANT_METRICS) + " |")
    for label, (base_set, base_arm, reform_set, reform_arm) in pairs.items():
        if base_set.indices != reform_set.indices:
            raise SystemExit(f"{label}: the two runs do not have the same replications")
        cells = []
        for metric in VARIANT_METRICS:
            base = base_set.values(base_arm, metric)
            diff = paired_difference(base, reform_set.values(reform_arm, metric), True)
            ci = diff.ci95 or (diff.mean, diff.mean)
            mean = sum(v for v in base if v is not None) / max(1, sum(v is not None for v in base))
            cells.append(f"{mean:.1f} h: {diff.mean:+.1f} h [{ci[0]:+.1f}, {ci[1]:+.1f}]")
        print(f"| {label} | " + " | ".join(cells) + " |")
    unthreatened = sets["unthreatened"]
    for arm in unthreatened.arm_names:
        spreads = []
        for record in unthreatened.by_arm(arm):
            starts = [record.metrics.get(m) for m in MUNICIPAL_STARTS]
            starts = [v for v in starts if v is not None]
            if starts:
                spreads.append(max(starts) - min(starts))
        last_flight = [v for v in unthreatened.values(arm, "ishigaki_last_flight_hours") if v is not None]
        clearance = [v for v in unthreatened.values(arm, "clearance_hours") if v is not None]
        print(
            f"{arm}: first-to-last municipal guidelines {sum(spreads) / len(spreads):.1f} h on average "
            f"({len(spreads)} runs); last flight out of Ishigaki {sum(last_flight) / len(last_flight):.1f} h, "
            f"clearance {sum(clearance) / len(clearance):.1f} h after T+0"
        )


def explain(out: Path, n: int) -> None:
    """The two explain outputs the guide quotes (critical path of `clearance_hours`), saved next to the
    figures. A metric `explain` cannot walk is reported, and the rest of the script still runs."""
    try:
        one, _ = ttxsim("explain", "--seed", "1", "--metric", "clearance_hours")
        mean, _ = ttxsim(
            "explain", "-n", str(n), "--seed", "1", "--metric", "clearance_hours", "--reform", "integrated_authority"
        )
    except subprocess.CalledProcessError as error:
        print(f"\nexplain failed (exit status {error.returncode}); its outputs were not regenerated")
        return
    (IMG / "explain_seed1.txt").write_text(one)
    (IMG / "explain_integrated_authority.txt").write_text(mean)
    print("\n" + one + "\n" + mean)


def morris(out: Path, n: int | None, run: bool) -> None:
    """The documented default Morris design, timed (unless `run` is False: an earlier `--out` of
    it is read); figures to docs/img/sensitivity/, the top five printed."""
    if run:
        if out.exists():
            shutil.rmtree(out)
        args = ["sensitivity", "--method", "morris", *MORRIS_DESIGN, "--out", str(out), "-q"]
        if n is not None:
            args[3:3] = ["-n", str(n)]
        _, wall = ttxsim(*args, capture=False)
        print(f"\nMorris: wall time {wall:.0f} s ({wall / 60:.1f} min), load average now {os.getloadavg()[0]:.1f}")
    SENSITIVITY_IMG.mkdir(parents=True, exist_ok=True)
    for source in out.glob("sensitivity_*.*"):
        if source.suffix in (".png", ".svg"):
            shutil.copyfile(source, SENSITIVITY_IMG / source.name)
    payload = json.loads((out / "sensitivity.json").read_text())
    print(f"parameters: {len(payload['parameters'])}, design points: {payload['points']}, runs: {payload['runs']}")
    for metric, entry in payload["metrics"].items():
        print(f"{metric}: top five by mu*")
        for rank, row in enumerate((entry.get("ranking") or [])[:5], 1):
            print(f"  {rank}. {row['path']:<62} mu* {row['mu_star']:7.1f}  sigma {row['sigma']:7.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/guide_compare"), help="compare --out directory")
    parser.add_argument("-n", type=int, default=30, help="paired replications (the guide uses 30)")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--reuse", action="store_true", help="use an existing --out instead of running compare")
    parser.add_argument("--morris", action="store_true", help="also run the default Morris design (~10 min)")
    parser.add_argument("--morris-n", type=int, default=None, help="Morris trajectories (default: the command's)")
    parser.add_argument("--morris-out", type=Path, default=Path("/tmp/morris"))
    parser.add_argument("--morris-reuse", action="store_true", help="read an existing --morris-out, run nothing")
    args = parser.parse_args()

    if not args.reuse:
        if args.out.exists():
            shutil.rmtree(args.out)
        compare = ["compare", *(x for r in REFORMS for x in ("--reform", r)), "-n", str(args.n), "--seed", args.seed]
        _, wall = ttxsim(*compare, "--out", str(args.out), "-q")
        print(f"compare: {wall:.0f} s wall")
    figures(args.out)
    paired_differences(args.out)
    variants(args.out, args.n, args.seed, args.reuse)
    explain(args.out, args.n)
    if args.morris or args.morris_reuse:
        morris(args.morris_out, args.morris_n, run=not args.morris_reuse)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
