"""Reforms: named overlays that patch the raw scenario before it is validated again.

Rule kept here: a reform never edits a loaded `Scenario` (models are frozen);
it patches a deep copy of the *raw* mapping, and the loader validates the
result as a whole scenario, so a reform can break nothing silently.

Patch paths are dotted. Each segment selects a mapping key, a list item by its
`id` value (`decisions.basic_response_policy.delay`) or a list item by its
0-based index (`channels.0.latency`). The last segment may name a key that is
not written in the file yet (an optional field left at its default); every
other segment must exist. `Patch.value` replaces the whole value at the path.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from sim.scenario.problems import PathTuple, Positions, Problem, ScenarioError, dotted, suggest


class PathError(ValueError):
    """A patch path that does not lead anywhere in the raw scenario."""

    def __init__(self, path: str, message: str, suggestion: str = "") -> None:
        self.path = path
        self.reason = message
        self.suggestion = suggestion
        super().__init__(f"path {path!r} does not exist: {message}{suggestion}")


def _segments(path: str) -> list[str]:
    parts = path.split(".")
    if not path.strip() or any(not p for p in parts):
        raise PathError(path, "a path is dot-separated names, e.g. 'decisions.some_id.delay'")
    return parts


def resolve_path(raw: Any, path: str, *, allow_new_key: bool = False) -> PathTuple:
    """The concrete key/index path that a dotted patch path names.

    Args:
        raw: the raw scenario mapping.
        path: e.g. `decisions.basic_response_policy.delay` or `channels.0.latency`.
        allow_new_key: accept a last segment that is not (yet) a key of an existing mapping.

    Returns:
        A tuple of mapping keys and list indices, e.g. `('decisions', 2, 'delay')`.

    Raises:
        PathError: a segment does not exist (with a did-you-mean suggestion).
    """
    parts = _segments(path)
    node = raw
    concrete: list[Any] = []
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        where = dotted(parts[:n]) or "the top level"
        if isinstance(node, dict):
            if part in node:
                node = node[part]
            elif last and allow_new_key:
                node = None
            else:
                raise PathError(path, f"no key {part!r} in {where}", suggest(part, node.keys()))
            concrete.append(part)
        elif isinstance(node, list):
            ids = [item.get("id") for item in node if isinstance(item, dict)]
            index = next((i for i, item in enumerate(node) if isinstance(item, dict) and item.get("id") == part), None)
            if index is None and part.isdigit():
                index = int(part)
                if index >= len(node):
                    raise PathError(path, f"{where} has {len(node)} items; index {index} is out of range")
            if index is None:
                raise PathError(path, f"no item with id {part!r} in {where}", suggest(part, ids))
            node = node[index]
            concrete.append(index)
        else:
            raise PathError(path, f"{where} is a single value, not a mapping or a list")
    return tuple(concrete)


def get_path(raw: Any, path: str) -> Any:
    """The value a dotted patch path names (see `resolve_path`)."""
    node = raw
    for part in resolve_path(raw, path):
        node = node[part]
    return node


def _set(raw: Any, concrete: PathTuple, value: Any) -> None:
    node = raw
    for part in concrete[:-1]:
        node = node[part]
    node[concrete[-1]] = value


def _find_reforms(raw: dict[str, Any], names: Sequence[str], positions: Positions) -> list[tuple[int, dict[str, Any]]]:
    entries = raw.get("reforms") if isinstance(raw.get("reforms"), list) else []
    known: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            known.setdefault(entry["id"], i)
    found, problems = [], []
    for name in names:
        if name in known:
            found.append((known[name], entries[known[name]]))
            continue
        listing = ", ".join(known) or "none (the scenario has no reforms:)"
        problems.append(
            positions.problem(
                ("reforms",), f"unknown reform {name!r}{suggest(name, known)}; known: {listing}", key=True
            )
        )
    if problems:
        raise ScenarioError(problems)
    return found


def apply_reforms_positioned(
    raw: dict[str, Any], names: Sequence[str], positions: Positions
) -> tuple[dict[str, Any], Positions]:
    """`apply_reforms`, also moving positions so patched values point at the reform's text."""
    patched = copy.deepcopy(raw)
    problems: list[Problem] = []
    for index, reform in _find_reforms(raw, names, positions):
        patches = reform.get("patches") if isinstance(reform.get("patches"), list) else []
        for j, patch in enumerate(patches):
            if not isinstance(patch, dict) or not isinstance(patch.get("path"), str):
                continue
            where = ("reforms", index, "patches", j)
            try:
                concrete = resolve_path(patched, patch["path"], allow_new_key=True)
            except PathError as error:
                problems.append(positions.problem((*where, "path"), str(error)))
                continue
            if not concrete:
                problems.append(positions.problem((*where, "path"), "a patch cannot replace the whole scenario"))
                continue
            _set(patched, concrete, copy.deepcopy(patch.get("value")))
            positions = positions.rerooted((*where, "value"), concrete)
    if problems:
        raise ScenarioError(problems)
    return patched, positions


def apply_reforms(
    raw: dict[str, Any], names: Sequence[str], *, filename: str = "<scenario>", positions: Positions | None = None
) -> dict[str, Any]:
    """A deep copy of `raw` with each named reform's patches set, in the order given.

    The result is raw data again: validate it (the loader does) before use.

    Raises:
        ScenarioError: an unknown reform name (with did-you-mean and the known
            names) or a patch path that does not exist.
    """
    patched, _ = apply_reforms_positioned(raw, names, positions or Positions(filename))
    return patched
