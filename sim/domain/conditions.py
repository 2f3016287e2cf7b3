"""Conditions over what has happened: decisions taken, injects fired, state and time.

One evaluator, two users. `holds(condition, facts, now)` is a pure function
of the facts so far; the live `Conditions` board keeps those facts up to date
during a run and re-evaluates a watched condition only when something it
depends on changes (a decision, an inject, a variable) or when one of its time
clauses comes due; nothing polls. The metrics module rebuilds the same facts
from the event stream (`Facts.record`) and asks the same questions afterwards,
so a metric and the engine can never disagree about when a condition held.

`when:` is about the world, not about what an agency knows: no message needs
to arrive for `decision: x` to hold once `x` has been taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sim.domain.context import Context
from sim.events import Kind, SimEvent
from sim.scenario.consequences import When

Subject = tuple[str, str]
"""What a condition depends on: ("decision", id), ("inject", id) or ("state", id)."""


RECORDED_KINDS = frozenset({Kind.decision_taken, Kind.decision_skipped, Kind.inject_fired, Kind.state_changed})
"""The only event kinds `Facts.record` learns from: a replay for conditions may skip every other event."""


@dataclass(slots=True)
class Facts:
    """What has happened so far, as far as conditions can see."""

    decisions: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Decision id -> (option, time) of its latest taking (a repeatable decision is taken again);
    a decision found not required counts as taken."""
    injects: dict[str, float] = field(default_factory=dict)
    """Inject id -> time it first fired."""
    state: dict[str, float] = field(default_factory=dict)
    """Variable id -> current value."""

    def record(self, event: SimEvent) -> Subject | None:
        """Update from one event of the stream; return the subject it changed, if any."""
        kind = event.kind
        if kind in (Kind.decision_taken, Kind.decision_skipped) and event.target is not None:
            self.decisions[event.target] = (event.data.get("option"), event.time)
            return ("decision", event.target)
        if kind == Kind.inject_fired:
            inject = event.data.get("inject")
            self.injects.setdefault(inject, event.time)
            return ("inject", inject)
        if kind == Kind.state_changed and event.target is not None:
            self.state[event.target] = event.data["value"]
            return ("state", event.target)
        return None


def subject_of(event: SimEvent) -> Subject | None:
    """The subject `Facts.record` would report `event` changed, without recording it.

    Replaying a stream for one condition skips every event whose subject it does not
    watch: nothing the condition reads changes there, so the result is the same and a
    run's metrics (thirty conditions over the same stream) cost a fraction."""
    kind = event.kind
    if kind == Kind.state_changed or kind == Kind.decision_taken or kind == Kind.decision_skipped:
        target = event.target
        if target is None:
            return None
        return ("state", target) if kind == Kind.state_changed else ("decision", target)
    if kind == Kind.inject_fired:
        return ("inject", event.data.get("inject"))
    return None


def holds(cond: When, facts: Facts, now: float) -> bool:
    """Whether every clause of `cond` holds at scenario time `now`."""
    if cond.after is not None and now < cond.after:
        return False
    if cond.by is not None and now > cond.by:
        return False
    if cond.decision is not None:
        taken = facts.decisions.get(cond.decision)
        if taken is None or (cond.option is not None and taken[0] != cond.option):
            return False
        if cond.for_ is not None and now < taken[1] + cond.for_:
            return False
    if cond.inject is not None:
        fired = facts.injects.get(cond.inject)
        if fired is None or (cond.for_ is not None and now < fired + cond.for_):
            return False
    if cond.state is not None and not _compare(cond, facts.state.get(cond.state)):
        return False
    if cond.all_ is not None and not all(holds(c, facts, now) for c in cond.all_):
        return False
    if cond.any_ is not None and not any(holds(c, facts, now) for c in cond.any_):
        return False
    return not (cond.not_ is not None and holds(cond.not_, facts, now))


def _compare(cond: When, value: float | None) -> bool:
    if value is None:
        return False
    return (
        (cond.at_least is None or value >= cond.at_least)
        and (cond.at_most is None or value <= cond.at_most)
        and (cond.above is None or value > cond.above)
        and (cond.below is None or value < cond.below)
        and (cond.equals is None or value == cond.equals)
    )


def nodes(cond: When) -> Iterator[When]:
    """`cond` and every condition nested in it."""
    yield cond
    for child in [*(cond.all_ or ()), *(cond.any_ or ())]:
        yield from nodes(child)
    if cond.not_ is not None:
        yield from nodes(cond.not_)


def subjects(cond: When) -> list[Subject]:
    """Everything whose change can change whether `cond` holds (besides time), in order."""
    found: list[Subject] = []
    for node in nodes(cond):
        for kind in ("decision", "inject", "state"):
            ident = getattr(node, kind)
            if ident is not None and (kind, ident) not in found:
                found.append((kind, ident))
    return found


def time_points(cond: When, facts: Facts) -> list[float]:
    """Times at which `cond` may change by time alone, given the facts so far (sorted).

    `after` starts to hold at its time, `by` stops after its time (re-checked
    there), and `for` on a decision or inject that has happened comes due then.
    """
    return _time_points(nodes(cond), facts)


def _time_points(conds: Iterable[When], facts: Facts) -> list[float]:
    """`time_points` over a condition's nodes, listed already (a live watch lists them once)."""
    points: set[float] = set()
    for node in conds:
        for limit in (node.after, node.by):
            if limit is not None:
                points.add(limit)
        if node.for_ is not None:
            if node.decision is not None and node.decision in facts.decisions:
                points.add(facts.decisions[node.decision][1] + node.for_)
            if node.inject is not None and node.inject in facts.injects:
                points.add(facts.injects[node.inject] + node.for_)
    return sorted(points)


def evaluations(cond: When, events: Iterable[SimEvent], end: float, extra: Iterable[float] = ()) -> Iterator[float]:
    """Times (in order) at which `cond` is found to hold while replaying an event stream up to `end`.

    The condition is checked at T+0, after every event that changes one of its
    subjects, at its time points and at the `extra` times (e.g. where a span
    starts), as the live board does during a run.
    """
    facts = Facts()
    watched = set(subjects(cond))
    listed = tuple(nodes(cond))
    due = sorted({0.0, *extra, *(t for t in _time_points(listed, facts) if t <= end)})
    checked: set[float] = set()

    def check_due(before: float, inclusive: bool) -> Iterator[float]:
        while due and (due[0] < before or (inclusive and due[0] <= before)):
            t = due.pop(0)
            checked.add(t)
            if holds(cond, facts, t):
                yield t

    for event in events:
        if event.time > end:
            break
        if subject_of(event) not in watched:
            continue  # it cannot change `cond`; the due checks before it run at the next event that can
        yield from check_due(event.time, inclusive=False)
        subject = facts.record(event)
        if subject in watched:
            if holds(cond, facts, event.time):
                yield event.time
            for t in _time_points(listed, facts):
                if event.time <= t <= end and t not in checked and t not in due:
                    due.append(t)
            due.sort()
    yield from check_due(end, inclusive=True)


def first_held(cond: When, events: Iterable[SimEvent], end: float, not_before: float = 0.0) -> float | None:
    """When `cond` first held at or after `not_before` (scenario minutes), or None."""
    for t in evaluations(cond, events, end, extra=(not_before,)):
        if t >= not_before:
            return t
    return None


Callback = Callable[[bool], None]


@dataclass(slots=True)
class _Watch:
    cond: When | None
    callback: Callback
    extra: tuple[Subject, ...]
    active: bool = True
    scheduled: set[float] = field(default_factory=set)
    nodes: tuple[When, ...] = ()
    """`cond` and every condition nested in it, listed once: each change it watches looks for time points."""


class Conditions:
    """The live side: facts kept current during a run, and watches re-evaluated on change.

    The facade (or whoever sees a decision taken or an inject fired) calls
    `decision_taken` / `inject_fired`; the world state reports its own changes.
    A watch's callback receives whether its condition holds now, each time it
    is re-evaluated; `once` watches stop after the first time it holds.
    """

    def __init__(self, ctx: Context, state_values: dict[str, float]) -> None:
        self.ctx = ctx
        self.facts = Facts(state=state_values)
        self._by_subject: dict[Subject, list[_Watch]] = {}

    def holds(self, cond: When | None) -> bool:
        return cond is None or holds(cond, self.facts, self.ctx.now())

    def watch(self, cond: When | None, callback: Callback, *, also: Iterable[Subject] = (), now: bool = True) -> _Watch:
        """Call `callback(holds)` whenever `cond` may have changed (or one of `also` changed), and now."""
        watch = _Watch(cond, callback, tuple(also), nodes=tuple(nodes(cond)) if cond is not None else ())
        keys = [*(subjects(cond) if cond is not None else []), *watch.extra]
        for key in dict.fromkeys(keys):
            self._by_subject.setdefault(key, []).append(watch)
        self._schedule(watch)
        if now:
            self._evaluate(watch)
        return watch

    def once(self, cond: When, action: Callable[[], None]) -> None:
        """Run `action` the first time `cond` holds (now, if it already does)."""

        def fire(ok: bool) -> None:
            if ok and watch.active:
                watch.active = False
                action()

        watch = self.watch(cond, fire, now=False)
        self._evaluate(watch)

    # -- changes --------------------------------------------------------------
    def decision_taken(self, decision_id: str, option: str | None) -> None:
        self.facts.decisions[decision_id] = (option, self.ctx.now())
        self.changed(("decision", decision_id))

    def inject_fired(self, inject_id: str) -> None:
        self.facts.injects.setdefault(inject_id, self.ctx.now())
        self.changed(("inject", inject_id))

    def state_changed(self, name: str) -> None:
        self.changed(("state", name))

    def changed(self, subject: Subject) -> None:
        for watch in list(self._by_subject.get(subject, ())):
            if watch.active:
                self._schedule(watch)
                self._evaluate(watch)

    # -- internals ------------------------------------------------------------
    def _evaluate(self, watch: _Watch) -> None:
        if watch.active:
            watch.callback(self.holds(watch.cond))

    def _schedule(self, watch: _Watch) -> None:
        if watch.cond is None:
            return
        now = self.ctx.now()
        for t in _time_points(watch.nodes, self.facts):
            if t >= now and t not in watch.scheduled:
                watch.scheduled.add(t)
                self.ctx.after(t - now, lambda w=watch: self._evaluate(w))
