"""Cross-reference checks: the second validation pass (style.md 7, Harlequin's `Problems`).

`schema.py` checks each block on its own; this module checks that the blocks
fit together: ids are unique, every agency, decision, inject and option that
is named exists, the chain of command and the decision `requires` chains have
no cycles, and every reform patch path leads somewhere.

Rule kept here: collect *every* problem, never stop at the first. The checks
run over the raw mapping, typed by walking the pydantic schema alongside it
(so a `Condition` is found wherever the schema puts one, including sections
this module does not know, such as `movement:`). Because they do not need a
fully valid `Scenario`, their problems are reported together with the schema
errors. Values of the wrong type are skipped here (the schema pass reports them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from sim.scenario.consequence_refs import ConsequenceChecks
from sim.scenario.movement_refs import MovementChecks
from sim.scenario.problems import PathTuple, Positions, Problem, suggest
from sim.scenario.reforms import PathError, resolve_path
from sim.scenario.schema import (
    Agency,
    Channel,
    Condition,
    Decision,
    Inject,
    Scenario,
)
from sim.scenario.walk import _direct_models, _get, _item_type, _pick, _value_type, allowed_keys, field_key

SIMCELL = "simcell"
"""The exercise control cell: a valid inject sender that is not an agency."""


def iter_models(
    raw: Any, annotation: Any = Scenario, path: PathTuple = ()
) -> Iterator[tuple[PathTuple, type[BaseModel], dict[str, Any]]]:
    """Every mapping in `raw` that the schema validates as a model: (path, model class, mapping).

    Discriminated unions are resolved by the raw `kind:`; a mapping whose model
    cannot be told is skipped.
    """
    models = _pick(_direct_models(annotation), raw)
    if isinstance(raw, dict) and len(models) == 1:
        cls = models[0]
        yield path, cls, raw
        fields = {field_key(name, f): f for name, f in cls.model_fields.items()}
        fields.update(dict(cls.model_fields.items()))
        for key, value in raw.items():
            if key in fields:
                yield from iter_models(value, fields[key].annotation, (*path, key))
        return
    item = _item_type(annotation)
    if item is not None and isinstance(raw, list):
        for i, value in enumerate(raw):
            yield from iter_models(value, item, (*path, i))
        return
    value_type = _value_type(annotation)
    if value_type is not None and isinstance(raw, dict):
        for key, value in raw.items():
            yield from iter_models(value, value_type, (*path, key))


def _ids(raw: Any, section: str) -> Iterator[tuple[int, str]]:
    items = raw.get(section) if isinstance(raw, dict) else None
    if isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                yield i, item["id"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str_list(value: Any) -> Iterator[tuple[int, str]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield i, item


class _Checker:
    def __init__(self, raw: dict[str, Any], positions: Positions) -> None:
        self.raw = raw
        self.positions = positions
        self.problems: dict[Problem, None] = {}  # an ordered set: linear in the number of problems
        self.agencies = self._unique("agencies", "agency")
        self.decisions = self._unique("decisions", "decision")
        self.injects = self._unique("injects", "inject")
        self._unique("reforms", "reform")
        self._unique("channels", "channel")
        self.options: dict[str, list[str]] = {}
        for i, decision_id in _ids(raw, "decisions"):
            if decision_id not in self.options:
                self.options[decision_id] = self._unique_in(("decisions", i, "options"), "option")
                if _decision_can_be_skipped(raw, i):
                    self.options[decision_id].append("not_required")
        self.consequences = ConsequenceChecks(self)

    # -- helpers -----------------------------------------------------------

    def report(self, path: PathTuple, message: str) -> None:
        self.problems[self.positions.problem(path, message)] = None

    def line_of(self, path: PathTuple) -> int:
        return self.positions.nearest(path)[0]

    def _unique(self, section: str, noun: str) -> dict[str, int]:
        return {k: v[-1] for k, v in self._unique_ids((section,), noun).items()}

    def _unique_in(self, path: PathTuple, noun: str) -> list[str]:
        return list(self._unique_ids(path, noun))

    def _unique_ids(self, path: PathTuple, noun: str) -> dict[str, tuple[PathTuple, int]]:
        first: dict[str, tuple[PathTuple, int]] = {}
        items = _get(self.raw, path)
        if not isinstance(items, list):
            return first
        for i, item in enumerate(items):
            if not (isinstance(item, dict) and isinstance(item.get("id"), str)):
                continue
            here = (*path, i, "id")
            if item["id"] in first:
                self.report(
                    here,
                    f"duplicate {noun} id {item['id']!r} (first defined at line {self.line_of(first[item['id']][0])})",
                )
            else:
                first[item["id"]] = (here, i)
        return first

    def expect(
        self, path: PathTuple, value: Any, known: dict[str, Any] | list[str], noun: str, extra: str = ""
    ) -> None:
        if isinstance(value, str) and value not in known:
            self.report(path, f"unknown {noun} {value!r}{suggest(value, list(known))}{extra}")

    def agency(self, path: PathTuple, value: Any) -> None:
        self.expect(path, value, self.agencies, "agency")

    def decision(self, path: PathTuple, value: Any) -> None:
        self.expect(path, value, self.decisions, "decision")

    def options_of(self, path: PathTuple, decision: Any, values: Any) -> None:
        if not isinstance(decision, str) or decision not in self.options:
            return
        known = self.options[decision]
        for i, option in _str_list(values):
            if option not in known:
                self.report(
                    (*path, i),
                    f"decision {decision!r} has no option {option!r}{suggest(option, known)}; "
                    f"its options: {', '.join(known)}",
                )

    # -- checks ------------------------------------------------------------

    def run(self) -> list[Problem]:
        for path, cls, data in iter_models(self.raw):
            self.check_model(path, cls, data)
        self.check_chain_of_command()
        self.check_requires_cycles()
        self.check_reform_paths()
        MovementChecks(self).run()
        return list(self.problems)

    def check_model(self, path: PathTuple, cls: type[BaseModel], data: dict[str, Any]) -> None:
        self.consequences.check_model(path, cls, data)
        if issubclass(cls, Agency):
            self.agency((*path, "parent"), data.get("parent"))
            for i, agency in _str_list(data.get("forwards")):
                self.agency((*path, "forwards", i), agency)
        elif issubclass(cls, Channel):
            self.agency((*path, "from"), data.get("from", data.get("from_")))
            self.agency((*path, "to"), data.get("to"))
            facts = [*self.decisions, *self.injects]
            for i, fact in _str_list(data.get("carries")):
                self.expect((*path, "carries", i), fact, facts, "decision or inject")
        elif issubclass(cls, Decision):
            self.agency((*path, "owner"), data.get("owner"))
            for i, agency in _str_list(data.get("notify")):
                self.agency((*path, "notify", i), agency)
        elif issubclass(cls, Inject):
            for i, agency in _str_list(data.get("to")):
                self.agency((*path, "to", i), agency)
            sender = data.get("from", data.get("from_"))
            if isinstance(sender, str) and sender != SIMCELL and sender not in self.agencies:
                self.report(
                    (*path, "from"),
                    f"unknown sender {sender!r}"
                    f"{suggest(sender, [*self.agencies, SIMCELL])}; expected an agency id or 'simcell'",
                )
        elif issubclass(cls, Condition):
            self.decision((*path, "decision"), data.get("decision"))
            self.expect((*path, "inject"), data.get("inject"), self.injects, "inject")
            self.options_of((*path, "options"), data.get("decision"), data.get("options"))

    def check_chain_of_command(self) -> None:
        parent: dict[str, tuple[str, int]] = {}
        for i, agency_id in _ids(self.raw, "agencies"):
            up = self.raw["agencies"][i].get("parent")
            if isinstance(up, str) and up in self.agencies and agency_id not in parent:
                parent[agency_id] = (up, i)
        done: set[str] = set()
        for start in parent:
            trail: list[str] = []
            node: str | None = start
            while node is not None and node not in done and node not in trail:
                trail.append(node)
                node = parent[node][0] if node in parent else None
            if node is not None and node in trail:
                cycle = trail[trail.index(node) :]
                first = min(cycle, key=lambda a: parent[a][1])
                k = cycle.index(first)
                cycle = cycle[k:] + cycle[:k]
                self.report(
                    ("agencies", parent[first][1], "parent"),
                    f"the chain of command has a cycle: {' -> '.join([*cycle, first])}",
                )
            done.update(trail)

    def check_requires_cycles(self) -> None:
        """Decision -> required decision/inject; inject -> decision (or inject) that triggers it."""
        edges: dict[tuple[str, str], list[tuple[tuple[str, str], PathTuple]]] = {}
        for i, decision_id in _ids(self.raw, "decisions"):
            node = ("decision", decision_id)
            if node in edges:
                continue
            edges[node] = []
            for j, cond in enumerate(_as_list(_get(self.raw, ("decisions", i, "requires")))):
                target = self._condition_node(cond)
                if target:
                    edges[node].append((target, ("decisions", i, "requires", j)))
        for i, inject_id in _ids(self.raw, "injects"):
            node = ("inject", inject_id)
            if node in edges:
                continue
            target = self._condition_node(_get(self.raw, ("injects", i, "trigger")))
            edges[node] = [(target, ("injects", i, "trigger"))] if target else []
        for cycle, path in _cycles(edges):
            names = [name if kind == "decision" else f"inject {name}" for kind, name in cycle]
            kind, name = cycle[0]
            what = f"decision {name!r} requires itself" if kind == "decision" else f"inject {name!r} triggers itself"
            self.report(path, f"{what}: {' -> '.join([*names, names[0]])}")

    def _condition_node(self, cond: Any) -> tuple[str, str] | None:
        if not isinstance(cond, dict):
            return None
        if isinstance(cond.get("decision"), str) and cond["decision"] in self.decisions:
            return ("decision", cond["decision"])
        if isinstance(cond.get("inject"), str) and cond["inject"] in self.injects:
            return ("inject", cond["inject"])
        return None

    def check_reform_paths(self) -> None:
        for i, _reform_id in _ids(self.raw, "reforms"):
            for j, patch in enumerate(_as_list(_get(self.raw, ("reforms", i, "patches")))):
                if not (isinstance(patch, dict) and isinstance(patch.get("path"), str)):
                    continue
                where = ("reforms", i, "patches", j, "path")
                try:
                    concrete = resolve_path(self.raw, patch["path"], allow_new_key=True)
                except PathError as error:
                    self.report(where, str(error))
                    continue
                if not concrete:
                    continue
                container = _get(self.raw, concrete[:-1])
                if isinstance(container, dict) and concrete[-1] not in container:
                    allowed = allowed_keys(self.raw, concrete[:-1])
                    if concrete[-1] not in allowed:
                        where_text = ".".join(patch["path"].split(".")[:-1]) or "the top level"
                        self.report(
                            where,
                            f"path {patch['path']!r} does not exist: no key {concrete[-1]!r} in "
                            f"{where_text}{suggest(concrete[-1], [*container, *allowed])}",
                        )


def _cycles(edges: dict[Any, list[tuple[Any, PathTuple]]]) -> Iterator[tuple[list[Any], PathTuple]]:
    """One cycle per strongly connected component (Tarjan), each with the path of its first edge."""
    order = {node: n for n, node in enumerate(edges)}
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    stack: list[Any] = []
    on_stack: set[Any] = set()
    components: list[list[Any]] = []

    def strongconnect(root: Any) -> None:  # iterative Tarjan
        work = [(root, 0)]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, k = work[-1]
            succ = edges.get(node, [])
            if k < len(succ):
                work[-1] = (node, k + 1)
                nxt = succ[k][0]
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)

    for node in edges:
        if node not in index:
            strongconnect(node)
    for component in components:
        members = set(component)
        first = min(component, key=lambda n: (n[0] != "decision", order.get(n, len(order))))
        self_loop = any(t == first for t, _ in edges.get(first, []))
        if len(component) == 1 and not self_loop:
            continue
        # Shortest way back from `first` to itself inside the component (BFS).
        parents: dict[Any, tuple[Any, PathTuple]] = {}
        frontier = [first]
        found: Any = None
        while frontier and found is None:
            following = []
            for node in frontier:
                for target, path in edges.get(node, []):
                    if target not in members or target in parents:
                        continue
                    parents[target] = (node, path)
                    if target == first:
                        found = node
                        break
                    following.append(target)
                if found is not None:
                    break
            frontier = following
        if found is None:
            continue
        cycle = [first]
        node = parents[first][0]
        while node != first:
            cycle.append(node)
            node = parents[node][0]
        cycle = [cycle[0], *reversed(cycle[1:])]
        first_edge = next(p for t, p in edges[first] if t == (cycle[1] if len(cycle) > 1 else first))
        yield cycle, first_edge


def check_references(raw: dict[str, Any], positions: Positions | None = None) -> list[Problem]:
    """Every cross-reference problem in a raw scenario mapping.

    Args:
        raw: the mapping from `loader.load_raw` (or `Scenario.model_dump(mode="json", by_alias=True)`).
        positions: where each value sits; without them every problem is at 1:1 of `<scenario>`.

    Returns:
        The problems, in the order found (the loader sorts them by line).
    """
    return _Checker(raw, positions or Positions("<scenario>")).run()


def check_scenario(scenario: Scenario) -> list[Problem]:
    """`check_references` for a `Scenario` built in code (no file positions)."""
    return check_references(scenario.model_dump(mode="json", by_alias=True))


def _decision_can_be_skipped(raw: dict, index: int) -> bool:
    """A decision with `skip_if` may end as `not_required` (see sim.domain.decisions)."""
    decisions = raw.get("decisions")
    decision = decisions[index] if isinstance(decisions, list) else None
    return isinstance(decision, dict) and bool(decision.get("skip_if"))
