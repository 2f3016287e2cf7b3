"""Which assumptions the results depend on: Morris screening and Sobol indices.

A scenario marks every number no source gives with `assumption:`. This module
finds those numbers, gives each a range, builds a SALib design over them,
turns every design point into a patched scenario (the reform machinery: raw
data patched, then validated again) and ranks the assumptions by their effect
on a metric.

Parameters (one per assumption-tagged number, path in reform notation):

* a delay or latency distribution (`agencies.cabinet.handling`): a *scale*
  factor on every duration in it (median and p90 alike, so the shape stays),
  default range x0.5 to x2;
* a mixture's weights (`decisions.X.delay.components`): the *share* of the
  first component, the others keeping their proportions, default +-50 %
  clipped to [0.01, 0.99]; each component's own distribution is a scale
  parameter (`decisions.X.delay.components.0.dist`);
* a decision's option odds (`decisions.X.options`, two or more options with a
  positive probability): the share of the first such option, +-50 % clipped
  to [0, 1];
* a probability (`channels.X.reliability`, `care_share`): +-50 % clipped to
  [0, 1] and to the field's own bounds;
* a count or capacity (`staff`, fleet `count`, `flights`): a scale factor
  x0.5 to x2, rounded, never below the field's minimum;
* any other number (`care_factor`, an effect's `factor`): x0.5 to x2 within
  the field's bounds.

A number belongs to the nearest enclosing block that says where it comes
from: a block with `assumption:` (with or without `source:`) makes its
numbers assumptions; a block with only `source:` makes them sourced, and a
block with neither inherits. Time points (`at`, the horizon, the start),
times of day, the model's `tick`, evaluation targets (`expected_within`), the
`scenario:` header, `reforms:`, `metrics:` and `objectives:` are never varied.

Rules kept here: pure functions over the raw mapping and the validated
scenario; no engine import (style.md 2.9). Runs go through the same
replication runner and backends as `compare`, with common random numbers:
design point p, replication k uses the seed of replication k in every point.
"""

from __future__ import annotations

import copy
import fnmatch
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

METHODS = ("morris", "sobol")
DURATION_RANGE = (0.5, 2.0)
"""Default scale range for delays, latencies, counts and other numbers."""
PROBABILITY_SPREAD = 0.5
"""Default +-share for probabilities and shares (then clipped)."""
SKIPPED_FIELDS = frozenset({"at", "horizon", "start", "tick", "expected_within", "source", "assumption", "id"})
"""Fields never varied: time points, the model's time step, evaluation targets, notes and ids."""
SKIPPED_SECTIONS = frozenset({"scenario", "reforms", "metrics", "objectives"})
STATE_SCALE_FIELDS = frozenset({"min", "max"})
"""A state variable's min and max define the scale its initial value, thresholds and effects are written on."""
CONDITION_FIXED_FIELDS = frozenset({"after", "by", "equals"})
"""In a `when:` condition: time points (`after`, `by`) and `equals` (a level or flag, not a quantity)."""
THRESHOLDS = ("at_least", "at_most", "above", "below")
STRICT_MARGIN = 1e-6
"""How far inside a strict bound (`gt`, `above`) a varied value stays."""
DISTRIBUTION_KEYS = ("value", "low", "mode", "high", "median", "p90", "mean")
DEFAULT_LEVELS = 4
"""Morris grid levels (SALib's default)."""


class SensitivityError(ValueError):
    """A sensitivity request that cannot be run (no parameters, a bad glob, an invalid point)."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """One assumption to vary, and how."""

    path: str
    """Dotted path in reform notation (list items by id), e.g. `agencies.cabinet.handling`."""
    kind: str
    """`scale` (a factor on a distribution or number), `share` (first option or component),
    `probability` (the value itself) or `count` (a factor, rounded)."""
    baseline: float
    """The factor's value in the scenario as written (1.0 for a scale factor)."""
    low: float
    high: float
    assumption: str
    label: str
    """What the parameter is, for tables and plots: `Cabinet: handling (x0.5-x2)`."""
    minimum: float | None = None
    """The field's own lower bound (counts), applied after rounding."""
    narrowed: str = ""
    """Why the default range was cut, e.g. `... (state alliance_cohesion: 0 to 1)`; empty: the default range."""
    clamp: tuple[float | None, float | None] = (None, None)
    """The values the number may take (after scaling and rounding it is kept within them)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "baseline": self.baseline,
            "low": self.low,
            "high": self.high,
            "label": self.label,
            "assumption": self.assumption,
            "narrowed": self.narrowed,
        }


# ---------------------------------------------------------------------------
# Finding the parameters
# ---------------------------------------------------------------------------


def _bounds(field_info: Any) -> tuple[float | None, float | None, bool]:
    """(lower, upper, lower is strict) from a pydantic field's annotated-types metadata."""
    low = high = None
    strict = False
    for item in getattr(field_info, "metadata", ()):
        if getattr(item, "ge", None) is not None:
            low = float(item.ge)
        if getattr(item, "gt", None) is not None:
            low, strict = float(item.gt), True
        if getattr(item, "le", None) is not None:
            high = float(item.le)
        if getattr(item, "lt", None) is not None:
            high = float(item.lt)
    return low, high, strict


def _validator_of(field_info: Any) -> Any:
    for item in getattr(field_info, "metadata", ()):
        func = getattr(item, "func", None)
        if func is not None:
            return func
    return None


def _is_distribution(value: Any) -> bool:
    from sim.scenario.types import Empirical, Exponential, Fixed, LogNormal, Mixture, Triangular, Uniform

    return isinstance(value, Fixed | Uniform | Triangular | LogNormal | Exponential | Empirical | Mixture)


def _segment(item: Any, index: int) -> str:
    ident = getattr(item, "id", None)
    return ident if isinstance(ident, str) else str(index)


def _title(scenario: Any, path: str) -> str:
    """A readable name for a parameter path: the block's name or title, then the field."""
    parts = path.split(".")
    section, rest = parts[0], parts[1:]
    names: dict[str, str] = {}
    for item in getattr(scenario, section, None) or []:
        ident = getattr(item, "id", None)
        name = getattr(item, "name", None) or getattr(item, "title", None)
        if ident and name:
            names[ident] = name
    if rest and rest[0] in names:
        return f"{names[rest[0]]}: {' '.join(rest[1:]) or section}"
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class _Limits:
    """The values a number may take: its field's bounds, cut by what the scenario declares elsewhere."""

    low: float | None = None
    high: float | None = None
    strict_low: bool = False
    strict_high: bool = False
    reason: str = ""

    def within(self, other: _Limits | None) -> _Limits:
        """The tighter of two sets of limits; `reason` names the ones that bind."""
        if other is None:
            return self
        low, strict_low, high, strict_high = self.low, self.strict_low, self.high, self.strict_high
        reasons = [self.reason] if self.low is not None or self.high is not None else []
        if other.low is not None and (low is None or other.low >= low):
            low, strict_low = other.low, other.strict_low or (other.low == low and strict_low)
        if other.high is not None and (high is None or other.high <= high):
            high, strict_high = other.high, other.strict_high or (other.high == high and strict_high)
        reasons.append(other.reason)
        return _Limits(low, high, strict_low, strict_high, "; ".join(r for r in reasons if r))

    def edges(self) -> tuple[float | None, float | None]:
        """The lowest and highest value allowed (a strict bound moved inside by STRICT_MARGIN)."""
        low = (
            None if self.low is None else self.low + (STRICT_MARGIN * max(1.0, abs(self.low)) if self.strict_low else 0)
        )
        high = (
            None
            if self.high is None
            else self.high - (STRICT_MARGIN * max(1.0, abs(self.high)) if self.strict_high else 0)
        )
        return low, high

    def clip_value(self, low: float, high: float) -> tuple[float, float]:
        """A range of values cut to the limits."""
        edge_low, edge_high = self.edges()
        return (low if edge_low is None else max(edge_low, low), high if edge_high is None else min(edge_high, high))

    def clip_factor(self, value: float, low: float, high: float) -> tuple[float, float]:
        """A range of factors on `value` cut so that value x factor stays within the limits (either sign)."""
        edge_low, edge_high = self.edges()
        if value > 0:
            if edge_low is not None:
                low = max(low, edge_low / value)
            if edge_high is not None:
                high = min(high, edge_high / value)
        else:
            if edge_low is not None:
                high = min(high, edge_low / value)
            if edge_high is not None:
                low = max(low, edge_high / value)
        return low, high

    def clamp(self, value: float) -> float:
        low, high = self.edges()
        if low is not None:
            value = max(low, value)
        return value if high is None else min(high, value)


def _g(value: float | None, missing: str = "-inf") -> str:
    return missing if value is None else f"{value:g}"


def _narrowing(wanted: tuple[float, float], got: tuple[float, float], limits: _Limits) -> str:
    """`narrowed` text when the range got is narrower than the default range wanted, else empty."""
    if got[0] > wanted[0] + 1e-9 or got[1] < wanted[1] - 1e-9:
        return f"{_g(wanted[0])} to {_g(wanted[1])} cut to {got[0]:.4g} to {got[1]:.4g} ({limits.reason})"
    return ""


def _skipped_in(model: Any) -> frozenset[str]:
    """Fields of this kind of block that are never varied (beyond SKIPPED_FIELDS)."""
    from sim.scenario.consequences import Rate, Variable, When

    if isinstance(model, Variable):
        return STATE_SCALE_FIELDS
    if isinstance(model, When):
        return CONDITION_FIXED_FIELDS
    if isinstance(model, Rate):
        return frozenset({"table"})  # one parameter for the whole table, see `_Walk.rate_table`
    return frozenset()


@dataclass
class _Walk:
    scenario: Any
    raw: Any
    found: list[Parameter] = field(default_factory=list)

    def exists(self, path: str) -> bool:
        from sim.scenario.reforms import PathError, get_path

        try:
            get_path(self.raw, path)
        except PathError:
            return False
        return True

    def add(
        self,
        path: str,
        kind: str,
        baseline: float,
        low: float,
        high: float,
        note: str,
        narrowed: str = "",
        minimum: float | None = None,
        limits: _Limits | None = None,
    ) -> None:
        if not self.exists(path) or not low < high:
            return
        label = _title(self.scenario, path)
        clamp = limits.edges() if limits is not None else (None, None)
        self.found.append(Parameter(path, kind, baseline, low, high, note, label, minimum, narrowed, clamp))

    def model(self, model: Any, path: list[str], note: str | None) -> None:
        """Visit a pydantic model; `note` is the assumption text in force (None: sourced or untagged)."""
        own_assumption = getattr(model, "assumption", None)
        if own_assumption:
            note = own_assumption
        elif getattr(model, "source", None):
            note = None
        if _is_distribution(model):
            self.distribution(model, path, note)
            return
        self.options(model, path, note)
        self.rate_table(model, path, note)
        skipped = _skipped_in(model)
        for name, info in type(model).model_fields.items():
            key = info.alias or name
            if key in SKIPPED_FIELDS or key in skipped or (not path and key in SKIPPED_SECTIONS):
                continue
            self.value(getattr(model, name), info, [*path, key], note, self.scenario_bounds(model, key))

    def scenario_bounds(self, model: Any, key: str) -> _Limits | None:
        """Bounds the scenario sets elsewhere for `model.key`: a state variable's min and max for its
        initial value, a threshold on it and a value an effect sets it to (the schema checks the
        first; the others outside the range never hold or are clamped anyway)."""
        from sim.scenario.consequences import SetEffect, Variable, When

        if isinstance(model, Variable) and key == "initial":
            var = model
        elif (isinstance(model, When) and key in THRESHOLDS) or (isinstance(model, SetEffect) and key == "value"):
            var = next((v for v in getattr(self.scenario, "state", None) or [] if v.id == model.state), None)
        else:
            return None
        if var is None or (var.min is None and var.max is None):
            return None
        return _Limits(
            var.min,
            var.max,
            strict_low=key == "below",
            strict_high=key == "above",
            reason=f"state {var.id}: {_g(var.min)} to {_g(var.max, 'inf')}",
        )

    def value(self, value: Any, info: Any, path: list[str], note: str | None, limits: _Limits | None = None) -> None:
        from pydantic import BaseModel

        from sim.scenario.types import parse_duration

        if isinstance(value, BaseModel):
            self.model(value, path, note)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    self.model(item, [*path, _segment(item, i)], note)
        elif isinstance(value, bool) or not isinstance(value, int | float) or note is None:
            return
        elif path[-1] != "probability":  # option odds are varied together, see `options`
            func = _validator_of(info)
            if func is not None and func is not parse_duration:
                return  # a time of day, or another text form
            low, high, strict = _bounds(info)
            field_limits = _Limits(low, high, strict_low=strict, reason=f"field bounds {_g(low)} to {_g(high, 'inf')}")
            self.number(".".join(path), value, func is parse_duration, field_limits.within(limits), note)

    def number(self, path: str, value: float, duration: bool, limits: _Limits, note: str) -> None:
        """A factor range for one number, cut to `limits` (and saying so in `narrowed`)."""
        if value == 0:
            return
        lower, upper = limits.low, limits.high
        if lower is not None and upper is not None and lower >= 0 and upper <= 1 and not duration:
            wanted = (value * (1 - PROBABILITY_SPREAD), value * (1 + PROBABILITY_SPREAD))
            low, high = limits.clip_value(*wanted)
            narrowed = _narrowing(wanted, (low, high), limits)
            self.add(path, "probability", value, low, high, note, narrowed, limits=limits)
            return
        low, high = limits.clip_factor(value, *DURATION_RANGE)
        narrowed = _narrowing(DURATION_RANGE, (low, high), limits)
        if isinstance(value, int):
            self.add(path, "count", 1.0, low, high, note, narrowed, minimum=lower, limits=limits)
        else:
            self.add(path, "scale", 1.0, low, high, note, narrowed, limits=limits)

    def rate_table(self, model: Any, path: list[str], note: str | None) -> None:
        """A hazard's rate table by state level as one factor on every row's rate: the rows' `at_least`
        levels stay as written, so the table keeps its increasing order at every design point."""
        from sim.scenario.consequences import Rate

        if note is None or not isinstance(model, Rate) or not model.table:
            return
        if all(row.per_day == 0 for row in model.table):
            return
        self.add(".".join([*path, "table"]), "table", 1.0, *DURATION_RANGE, note)

    def distribution(self, dist: Any, path: list[str], note: str | None) -> None:
        from sim.scenario.types import Mixture

        if isinstance(dist, Mixture):
            components = dist.components
            if note is not None and len(components) > 1:
                total = sum(c.weight for c in components)
                share = components[0].weight / total
                low = max(0.01, share * (1 - PROBABILITY_SPREAD))
                high = min(0.99, share * (1 + PROBABILITY_SPREAD))
                self.add(".".join([*path, "components"]), "share", share, low, high, note)
            for i, component in enumerate(components):
                self.model(component.dist, [*path, "components", str(i), "dist"], note)
            return
        if note is None or dist.mean() <= 0:
            return
        self.add(".".join(path), "scale", 1.0, *DURATION_RANGE, note)

    def options(self, model: Any, path: list[str], note: str | None) -> None:
        """A decision's option odds as one `share` parameter (first option with odds above 0)."""
        options = getattr(model, "options", None)
        if note is None or not isinstance(options, list) or not options:
            return
        weights = [getattr(o, "probability", None) for o in options]
        if any(not isinstance(w, int | float) for w in weights):
            return
        positive = [w for w in weights if w > 0]
        if len(positive) < 2:
            return
        share = positive[0] / sum(weights)
        low = max(0.0, share * (1 - PROBABILITY_SPREAD))
        high = min(1.0, share * (1 + PROBABILITY_SPREAD))
        self.add(".".join([*path, "options"]), "share", share, low, high, note)


def find_parameters(scenario: Any, raw: Mapping[str, Any]) -> list[Parameter]:
    """Every assumption-tagged number of a validated scenario, in file order.

    Args:
        scenario: the validated scenario (its types say what each number is).
        raw: the same scenario as raw data (only numbers written there are varied,
            not defaults the author never wrote).
    """
    walk = _Walk(scenario, raw)
    walk.model(scenario, [], None)
    seen: set[str] = set()
    unique = []
    for parameter in walk.found:
        if parameter.path not in seen:
            seen.add(parameter.path)
            unique.append(parameter)
    return unique


def select(parameters: Sequence[Parameter], globs: Sequence[str], exclude: Sequence[str] = ()) -> list[Parameter]:
    """The parameters whose path matches any glob (`decisions.*.delay`, `*.handling`; all without
    globs), less those matching any `exclude` glob (`*.residents`: sourced numbers that share a
    block with an assumption).

    Raises:
        SensitivityError: a glob that matches nothing (with the number of parameters there are).
    """
    for glob in exclude:
        if not any(fnmatch.fnmatchcase(p.path, glob) for p in parameters):
            raise SensitivityError(f"--exclude {glob!r} matches none of the {len(parameters)} assumption parameters")
    parameters = [p for p in parameters if not any(fnmatch.fnmatchcase(p.path, g) for g in exclude)]
    if not globs:
        return list(parameters)
    chosen = []
    for glob in globs:
        matched = [p for p in parameters if fnmatch.fnmatchcase(p.path, glob)]
        if not matched:
            raise SensitivityError(
                f"--params {glob!r} matches none of the {len(parameters)} assumption parameters (list them with --list)"
            )
        chosen += [p for p in matched if p not in chosen]
    return [p for p in parameters if p in chosen]


# ---------------------------------------------------------------------------
# Design points -> patches on the raw scenario
# ---------------------------------------------------------------------------


def _scale_duration(value: Any, factor: float) -> Any:
    from sim.scenario.types import parse_duration

    return round(parse_duration(value) * factor, 6)


def scale_distribution(raw: Any, factor: float) -> Any:
    """A raw distribution (`30m`, or a mapping with `kind`) with every duration multiplied by `factor`."""
    if not isinstance(raw, Mapping):
        return _scale_duration(raw, factor)
    out = dict(raw)
    if out.get("kind") == "mixture":
        out["components"] = [
            {**c, "dist": scale_distribution(c["dist"], factor)} if isinstance(c, Mapping) else c
            for c in out.get("components", [])
        ]
        return out
    for key in DISTRIBUTION_KEYS:
        if key in out:
            out[key] = _scale_duration(out[key], factor)
    if isinstance(out.get("values"), list):
        out["values"] = [_scale_duration(v, factor) for v in out["values"]]
    return out


def _reshare(items: list[Any], key: str, share: float, floor: float = 0.0) -> list[Any]:
    """Items whose `key` weights give the first positive one `share` of the total; the others keep their proportions."""
    weights = [float(item.get(key, 1.0)) if isinstance(item, Mapping) else 0.0 for item in items]
    total = sum(weights)
    first = next(i for i, w in enumerate(weights) if w > 0)
    rest = total - weights[first]
    out = []
    for i, (item, weight) in enumerate(zip(items, weights, strict=True)):
        if i == first:
            new = share * total
        else:
            new = weight * (1 - share) * total / rest if rest > 0 else 0.0
        out.append({**item, key: max(floor, round(new, 9))})
    return out


def patch_value(raw: Mapping[str, Any], parameter: Parameter, x: float) -> Any:
    """The raw value to set at `parameter.path` for factor value `x`."""
    from sim.scenario.reforms import get_path

    current = get_path(raw, parameter.path)
    if parameter.kind == "share":
        key = "weight" if parameter.path.endswith(".components") else "probability"
        floor = 1e-6 if key == "weight" else 0.0
        return _reshare(list(current), key, x, floor)
    limits = _Limits(*parameter.clamp)
    if parameter.kind == "probability":
        return limits.clamp(round(x, 9))
    if parameter.kind == "count":
        value = round(current * x)
        return max(int(parameter.minimum or 0), value)
    if parameter.kind == "table":
        return [{**row, "per_day": round(float(row.get("per_day", 0.0)) * x, 9)} for row in current]
    if isinstance(current, Mapping | str):
        return scale_distribution(current, x)
    return limits.clamp(round(current * x, 9))


def point_patches(raw: Mapping[str, Any], parameters: Sequence[Parameter], row: Sequence[float]):
    """(path, value) patches for one design row."""
    return tuple((p.path, patch_value(raw, p, float(x))) for p, x in zip(parameters, row, strict=True))


def base_raw(text: str, filename: str, reforms: Sequence[str] = ()) -> dict[str, Any]:
    """The raw mapping of a scenario text with its reforms applied (what design points patch)."""
    from sim.scenario.loader import load_raw
    from sim.scenario.reforms import apply_reforms

    raw, positions = load_raw(text, filename)
    return apply_reforms(raw, reforms, filename=filename, positions=positions) if reforms else raw


def patched_scenario(raw: Mapping[str, Any], patches: Sequence[tuple[str, Any]], filename: str = "<scenario>"):
    """`raw` with the patches set, validated as a whole scenario (as a reform is).

    Raises:
        SensitivityError: the patched scenario is invalid (the message names the problems).
    """
    from pydantic import ValidationError

    from sim.scenario.references import check_references
    from sim.scenario.reforms import resolve_path
    from sim.scenario.schema import Scenario

    patched = copy.deepcopy(raw)
    for path, value in patches:
        concrete = resolve_path(patched, path)
        node = patched
        for part in concrete[:-1]:
            node = node[part]
        node[concrete[-1]] = copy.deepcopy(value)
    try:
        scenario = Scenario.model_validate(patched)
    except ValidationError as error:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False))
        raise SensitivityError(f"{filename}: a design point makes the scenario invalid: {reasons}") from None
    problems = check_references(patched)
    if problems:
        reasons = "; ".join(f"{p.path}: {p.message}" for p in problems)
        raise SensitivityError(f"{filename}: a design point makes the scenario invalid: {reasons}")
    return scenario


RANDOM_CORNERS = 8
"""Seeded random corners `check_extremes` tries besides all-low, all-high and the two alternating ones."""


def corners(parameters: Sequence[Parameter], seed: int = 0) -> list[list[float]]:
    """Corners of the design box to validate before a design: all parameters low, all high, the two
    alternating ones and RANDOM_CORNERS seeded random ones (the fixed four set every other parameter
    alike, so a pair invalid only when one is high and the other low would otherwise surface mid-design)."""
    import random

    rng = random.Random(seed)
    rows = [
        [p.low for p in parameters],
        [p.high for p in parameters],
        [p.low if i % 2 else p.high for i, p in enumerate(parameters)],
        [p.high if i % 2 else p.low for i, p in enumerate(parameters)],
    ]
    rows += [[rng.choice((p.low, p.high)) for p in parameters] for _ in range(RANDOM_CORNERS)]
    return rows


def check_extremes(raw: Mapping[str, Any], parameters: Sequence[Parameter], filename: str, seed: int = 0) -> None:
    """Validate the corners every design stays within (see `corners`), before any run.

    Raises:
        SensitivityError: a corner is invalid; the message names one parameter that causes it.
    """
    for row in corners(parameters, seed):
        try:
            patched_scenario(raw, point_patches(raw, parameters, row), filename)
        except SensitivityError:
            for p, x in zip(parameters, row, strict=True):
                try:
                    patched_scenario(raw, point_patches(raw, [p], [x]), filename)
                except SensitivityError as error:
                    raise SensitivityError(f"parameter {p.path} at {x:g}: {error}") from None
            raise


# ---------------------------------------------------------------------------
# Designs and indices (SALib)
# ---------------------------------------------------------------------------


def require_salib() -> None:
    """Raise SensitivityError with one sentence if SALib (the analysis extra) is missing."""
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise SensitivityError(
            "sensitivity needs SALib, which is not installed: install the analysis extra, "
            "e.g. pip install 'ttxsim[analysis]'"
        ) from None


def problem(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """SALib's problem definition: one variable per parameter, named by its path."""
    return {
        "num_vars": len(parameters),
        "names": [p.path for p in parameters],
        "bounds": [[p.low, p.high] for p in parameters],
    }


def design(method: str, parameters: Sequence[Parameter], n: int, seed: int, levels: int = DEFAULT_LEVELS):
    """The design matrix (rows = points, columns = parameters).

    Morris: `n` trajectories of k+1 points (n(k+1) points). Sobol (Saltelli
    scheme, first and total order only): n(k+2) points; SALib wants n a power
    of two, so n is rounded up to one.
    """
    require_salib()
    spec = problem(parameters)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(spec, n, num_levels=levels, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(spec, sobol_base(n), calc_second_order=False, seed=seed)
    raise SensitivityError(f"unknown method {method!r} (choose {' or '.join(METHODS)})")


def sobol_base(n: int) -> int:
    """The power of two at or above n (SALib's Sobol sequence needs one)."""
    return 1 << max(0, math.ceil(math.log2(max(1, n))))


def analyze(method: str, parameters: Sequence[Parameter], x, y, seed: int, levels: int = DEFAULT_LEVELS) -> list[dict]:
    """Indices per parameter, sorted by importance (Morris mu*, Sobol ST), largest first.

    Morris rows: path, label, mu_star, mu_star_conf, mu, sigma.
    Sobol rows: path, label, S1, S1_conf, ST, ST_conf.
    """
    import numpy as np

    spec = problem(parameters)
    y = np.asarray(y, dtype=float)
    if method == "morris":
        from SALib.analyze import morris

        result = morris.analyze(spec, np.asarray(x), y, num_levels=levels, seed=seed)
        keys, order = ("mu_star", "mu_star_conf", "mu", "sigma"), "mu_star"
    else:
        from SALib.analyze import sobol

        result = sobol.analyze(spec, y, calc_second_order=False, seed=seed)
        keys, order = ("S1", "S1_conf", "ST", "ST_conf"), "ST"
    rows = []
    for i, p in enumerate(parameters):
        row = {"path": p.path, "label": p.label}
        for key in keys:
            value = float(result[key][i])
            row[key] = None if not math.isfinite(value) else round(value, 6)
        rows.append(row)
    rows.sort(key=lambda r: -(r[order] if r[order] is not None else -math.inf))
    return rows


def point_means(
    values: Sequence[Sequence[float | None]], censor_at: float | None = None
) -> tuple[list[float], list[int]]:
    """Per design point: the mean over replications, and how many runs the metric did not happen in.

    Without `censor_at` the mean is over the values that happened (NaN if none did).
    With it, a run where the metric did not happen counts as `censor_at` (the horizon:
    the run ended before it happened, so the true value is at least that): a
    lower bound, stated as such in the output, never presented as a value.
    """
    means, missing = [], []
    for row in values:
        present = [v for v in row if v is not None]
        missing.append(len(row) - len(present))
        if censor_at is not None:
            present += [censor_at] * (len(row) - len(present))
        means.append(math.fsum(present) / len(present) if present else math.nan)
    return means, missing


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def render_table(result: Mapping[str, Any], top: int = 10, label: Callable[[str], str] | None = None) -> str:
    """The ranking for the terminal: one block per metric, top parameters first."""
    lines = [result["title"], ""]
    method = result["method"]
    for metric, entry in result["metrics"].items():
        name = label(metric) if label else metric
        lines.append(f"{name} [{metric}]")
        if entry.get("note"):
            lines.append(f"  ({entry['note']})")
        ranking = entry.get("ranking") or []
        if not ranking:
            lines.append("")
            continue
        width = max(len(r["path"]) for r in ranking[:top]) + 2
        if method == "morris":
            lines.append(f"  {'#':>2}  {'parameter':<{width}}{'mu*':>9}{'± 95%':>9}{'sigma':>9}{'mu':>9}")
            for i, r in enumerate(ranking[:top], 1):
                lines.append(
                    f"  {i:>2}  {r['path']:<{width}}{_num(r['mu_star'])}{_num(r['mu_star_conf'])}"
                    f"{_num(r['sigma'])}{_num(r['mu'])}"
                )
        else:
            lines.append(f"  {'#':>2}  {'parameter':<{width}}{'S1':>8}{'± 95%':>8}{'ST':>8}{'± 95%':>8}")
            for i, r in enumerate(ranking[:top], 1):
                lines.append(
                    f"  {i:>2}  {r['path']:<{width}}{_num(r['S1'], 8, 3)}{_num(r['S1_conf'], 8, 3)}"
                    f"{_num(r['ST'], 8, 3)}{_num(r['ST_conf'], 8, 3)}"
                )
        if len(ranking) > top:
            lines.append(f"  ... {len(ranking) - top} more (see --json or --out)")
        lines.append("")
    return "\n".join(lines).rstrip()


def _num(value: float | None, width: int = 9, digits: int = 2) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def iter_rows(x, parameters: Sequence[Parameter]) -> Iterator[dict[str, float]]:
    for row in x:
        yield {p.path: float(v) for p, v in zip(parameters, row, strict=True)}
