"""Parameter sweeps: one arm per combination of scenario parameter values.

`--param PATH=V1,V2,...` names any value in the scenario by the dotted path
notation of reforms (`decisions.evacuation_order.delay`, list items by
id). Each value is read as YAML (`12`, `2h`, `{kind: fixed, value: 3h}`);
commas inside brackets or braces do not split values. Several `--param`
options give their full grid. Every point runs the same replication seeds as
every other point (common random numbers), so differences between points are
paired like reform differences.

Rule kept here: a point is built by patching the *raw* scenario (after the
requested reforms) and validating the result as a whole scenario text, so a
value that breaks the scenario is reported, never run.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from sim.analysis.replications import Arm


class SweepError(ValueError):
    """A `--param` that cannot be read or applied."""


@dataclass(frozen=True, slots=True)
class Param:
    path: str
    values: tuple[Any, ...]
    texts: tuple[str, ...]
    """The values as the user wrote them, for names and tables."""


def _split_values(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def parse_param(spec: str) -> Param:
    """`PATH=V1,V2,...` -> Param.

    Raises:
        SweepError: no `=`, no path, an empty value or a value that is not YAML.
    """
    path, sep, rest = spec.partition("=")
    path = path.strip()
    if not sep or not path:
        raise SweepError(f"--param {spec!r}: expected PATH=V1,V2,... (e.g. decisions.warning.delay=30m,1h,2h)")
    texts = _split_values(rest)
    if not rest.strip() or any(not t for t in texts):
        raise SweepError(f"--param {spec!r}: give one or more comma-separated values after '='")
    values = []
    for text in texts:
        try:
            values.append(yaml.safe_load(text))
        except yaml.YAMLError:
            raise SweepError(f"--param {path}: value {text!r} is not a YAML value") from None
    return Param(path, tuple(values), tuple(texts))


def point_name(settings: Sequence[tuple[str, str]]) -> str:
    """`delay=2h` (last path segment) or `a.delay=2h,b.rate=3` when the leaves clash."""
    leaves = [path.rsplit(".", 1)[-1] for path, _ in settings]
    use_full = len(set(leaves)) < len(leaves)
    return ",".join(f"{path if use_full else leaf}={text}" for (path, text), leaf in zip(settings, leaves, strict=True))


def build_points(scenario_text: str, filename: str, params: Sequence[Param], reforms: Sequence[str] = ()) -> list[Arm]:
    """One validated arm per point of the grid of `params`, in grid order.

    Raises:
        SweepError: a path that does not exist, or a value the scenario rejects
            (the message names the setting and the scenario's own complaint).
        ScenarioError: the scenario itself (or a reform) is invalid.
    """
    from sim.scenario.loader import ScenarioError, load_raw, load_scenario_text
    from sim.scenario.reforms import PathError, apply_reforms, resolve_path

    load_scenario_text(scenario_text, filename, reforms)  # the unswept scenario must be valid
    raw, positions = load_raw(scenario_text, filename)
    base = apply_reforms(raw, reforms, filename=filename, positions=positions) if reforms else raw
    for param in params:
        try:
            resolve_path(base, param.path, allow_new_key=True)
        except PathError as error:
            raise SweepError(f"--param {param.path}: {error}") from None
    arms = []
    for combo in itertools.product(*[list(zip(p.values, p.texts, strict=True)) for p in params]):
        patched = _deep_copy(base)
        settings = []
        for param, (value, text) in zip(params, combo, strict=True):
            concrete = resolve_path(patched, param.path, allow_new_key=True)
            node = patched
            for part in concrete[:-1]:
                node = node[part]
            node[concrete[-1]] = _deep_copy(value)
            settings.append((param.path, text))
        name = point_name(settings)
        text = yaml.safe_dump(patched, sort_keys=False, allow_unicode=True)
        label = f"{filename} [{name}]"
        try:
            load_scenario_text(text, label)
        except ScenarioError as error:
            reasons = "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in error.problems)
            raise SweepError(f"--param {name} makes the scenario invalid: {reasons}") from None
        arms.append(
            Arm(
                name=name,
                scenario_text=text,
                filename=label,
                reforms=(),
                settings=tuple((p.path, value) for p, (value, _) in zip(params, combo, strict=True)),
                setting_texts=tuple(t for _, t in combo),
            )
        )
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise SweepError("--param values repeat; give each value once")
    return arms


def _deep_copy(value: Any) -> Any:
    import copy

    return copy.deepcopy(value)
