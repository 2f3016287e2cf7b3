"""Where the hours went: a time metric split along its critical path.

A class asks why movement started 110 h after T+0; an analyst asks which seam
cost the most hours. Both questions have the same answer: walk back from the
event that ends the metric to the cause of each step, through the event stream
alone (never live model state), so a stored journal explains the same way as
a fresh run. Each step back covers a stretch of time with one reason:

- `deliberation`: a decision had come up and its owner was deciding it;
- `calendar`: waiting for a slot on the clock: a decision whose delay mode was
  a scheduled meeting (e.g. the next regular Tuesday/Friday Cabinet), or one
  whose `when:` had everything but a time window (`after`/`by` at any depth),
  such as the bundled default scenario's regular Cabinet slots;
- `message`: a message was on a channel (or on the chain of command);
- `queue`: it waited for a free desk at a busy agency;
- `office_hours`: it waited for the agency to open;
- `handling`: the agency was reading and passing it on;
- `condition`: everything was known but a `when:` condition on events or state did not yet hold;
- `script`: the exercise script (an inject's schedule or its trigger delay);
- `processing`, `transport`, `operating_hours`, `closure`: a movement network's
  people after they were told to move, over the link that took the last of them
  to safety: turnout and waiting before that link's first departure, the link's
  vehicles working at their capacity (and the trip itself), the link outside its
  operating hours, the link or one of its places closed by an effect or a hazard;
- `other`: time the events do not explain (should stay empty; a test watches).

The segments are contiguous and cover the metric's interval exactly, so they
add up to the metric. `seam` is the agency, channel, population or link responsible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from itertools import pairwise
from typing import Any

from sim.events import Kind, SimEvent
from sim.text import duration_text  # re-exported: `sim.analysis.explain.duration_text` is the one formatter

CALENDAR_WORDS = ("regular", "calendar", "scheduled meeting", "next meeting")
"""A delay mode whose label has one of these is waiting for a meeting, not deliberating."""

DAY = 1440.0


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of the critical path, in hours from T+0."""

    kind: str
    seam: str
    label: str
    start_hours: float
    hours: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Explanation:
    """A time metric of one run and the segments that make it up."""

    metric: str
    title: str
    value_hours: float | None
    start_hours: float | None
    segments: tuple[Segment, ...]

    def to_dict(self) -> dict[str, Any]:
        """The shape of `ttxsim explain --json`."""
        return {
            "metric": self.metric,
            "value_hours": self.value_hours,
            "segments": [s.to_dict() for s in self.segments],
        }

    def by_seam(self) -> list[tuple[str, float]]:
        """Hours per seam, the costliest first."""
        return _totals(self.segments, "seam")

    def by_kind(self) -> list[tuple[str, float]]:
        """Hours per kind of delay, the largest first."""
        return _totals(self.segments, "kind")


def _totals(segments: Sequence[Segment], field: str) -> list[tuple[str, float]]:
    totals: dict[str, float] = {}
    for s in segments:
        totals[getattr(s, field)] = totals.get(getattr(s, field), 0.0) + s.hours
    return sorted(((k, round(v, 4)) for k, v in totals.items()), key=lambda kv: (-kv[1], kv[0]))


class ExplainError(ValueError):
    """The metric is unknown for this scenario, or the run never reached it."""


# ---------------------------------------------------------------------------
# Which metrics can be explained
# ---------------------------------------------------------------------------


EXPLAINED_KINDS = ("time", "span", "event_time")
"""Kinds of the scenario's own metrics that measure time, and so can be split."""


def time_metrics(scenario) -> dict[str, str]:
    """Explainable time metrics of a scenario: id -> title, the headline first."""
    metrics: dict[str, str] = {}
    own = _scenario_time_metrics(scenario)
    headline = headline_metric(scenario)
    for metric in sorted(own, key=lambda m: m.id != headline):
        metrics[metric.id] = metric.title or metric.id
    for decision in scenario.decisions:
        metrics[f"decision.{decision.id}"] = f"{decision.title} (taken, from T+0)"
    return metrics


def _scenario_time_metrics(scenario) -> list[Any]:
    """The scenario's own `metrics:` that measure time (kind `time`, `span` or `event_time`)."""
    return [m for m in getattr(scenario, "metrics", None) or [] if getattr(m, "kind", None) in EXPLAINED_KINDS]


def _clearance_metrics(scenario) -> list[Any]:
    """The scenario's `event_time` metrics of its movement's completion from T+0 (no `since:`)."""
    return [
        m
        for m in _scenario_time_metrics(scenario)
        if m.kind == "event_time" and m.event == str(Kind.movement_completed) and m.since is None
    ]


def headline_metric(scenario) -> str:
    """The one time metric a scenario is judged by, the same in every run (for means over
    replications): its own metric of the movement's completion from T+0 (everyone safe or caught),
    else its first own span or time metric, else its first own event-time metric, else its last
    declared decision."""
    own = _scenario_time_metrics(scenario)
    clearance = _clearance_metrics(scenario)
    spans = [m for m in own if m.kind in ("span", "time")]
    for choice in (clearance, spans, own):
        if choice:
            return choice[0].id
    return f"decision.{scenario.decisions[-1].id}" if scenario.decisions else ""


def default_metric(scenario, events: Sequence[SimEvent]) -> str:
    """The headline that happened in this run: the headline metric, else the first of the scenario's
    own time metrics that happened, else the last decision taken.

    Raises:
        ExplainError: nothing in the run can be explained yet.
    """
    walker = _Walker(scenario, events)
    taken = [e for e in events if e.kind is Kind.decision_taken]
    candidates = [
        headline_metric(scenario),
        *(m.id for m in _scenario_time_metrics(scenario)),
        *(f"decision.{e.target}" for e in reversed(taken)),
    ]
    known = time_metrics(scenario)
    for metric in candidates:
        if metric not in known:
            continue
        try:
            walker.interval(metric)
        except ExplainError:
            continue
        return metric
    raise ExplainError("this run has no time metric to explain yet (no decision was taken)")


def explain(scenario, events: Sequence[SimEvent], metric: str | None = None) -> Explanation:
    """Split `metric` of the run whose `events` these are into critical-path segments.

    Raises:
        ExplainError: unknown metric, or the run never reached it.
    """
    metric = metric or default_metric(scenario, events)
    known = time_metrics(scenario)
    if metric not in known:
        from sim.analysis.metric_names import unknown_metric

        raise ExplainError(unknown_metric(metric, known, "time metric"))
    walker = _Walker(scenario, events)
    start, end = walker.interval(metric)
    full = walker.path_to(metric, end)
    segments = _clip(full, start, end)
    return Explanation(metric, known[metric], round((end - start) / 60.0, 4), round(start / 60.0, 4), segments)


def _clip(path: list[tuple[float, float, str, str, str]], start: float, end: float) -> tuple[Segment, ...]:
    """Segments of `path` (contiguous from T+0 to `end`) inside [start, end], in time order."""
    out = []
    for lo, hi, kind, seam, label in path:
        lo, hi = max(lo, start), min(hi, end)
        hours = round((hi - lo) / 60.0, 4)
        if hours > 0:  # under a second: an instant, not a step
            out.append(Segment(kind, seam, label, round(lo / 60.0, 4), hours))
    return tuple(out)


# ---------------------------------------------------------------------------
# The walk back
# ---------------------------------------------------------------------------


class _Walker:
    """Indexes one run's events and walks causes back from a point in time to T+0."""

    def __init__(self, scenario, events: Sequence[SimEvent]) -> None:
        self.scenario = scenario
        self.events = list(events)
        self.decisions = {d.id: d for d in scenario.decisions}
        self.injects = {i.id: i for i in scenario.injects}
        self.agencies = {a.id: a for a in scenario.agencies}
        self.channels: dict[tuple[str, str], Any] = {}
        for channel in scenario.channels:
            self.channels[(channel.from_, channel.to)] = channel
            if channel.both_ways:
                self.channels.setdefault((channel.to, channel.from_), channel)
        start = scenario.scenario.start
        self.offset = start.hour * 60.0 + start.minute + start.second / 60.0
        self.taken: dict[str, SimEvent] = {}
        self.pending: dict[str, SimEvent] = {}
        self.fired: dict[str, SimEvent] = {}
        self.learned: dict[tuple[str, str], SimEvent] = {}
        self.messages: dict[int, list[SimEvent]] = {}
        self.links = {link.id: link for link in getattr(scenario.movement, "links", None) or []}
        self.populations = {p.id: p for p in getattr(scenario.movement, "populations", None) or []}
        for e in self.events:
            kind = e.kind
            if kind in (Kind.decision_taken, Kind.decision_skipped):
                self.taken.setdefault(e.target, e)
            elif kind is Kind.decision_pending:
                self.pending.setdefault(e.target, e)
            elif kind is Kind.inject_fired:
                self.fired.setdefault(e.data.get("inject"), e)
            if e.data.get("msg") is not None and kind in (
                Kind.message_sent,
                Kind.message_lost,
                Kind.message_delivered,
                Kind.message_handled,
            ):
                self.messages.setdefault(e.data["msg"], []).append(e)
            if kind is Kind.message_handled and not e.data.get("relay"):
                self.learned.setdefault((e.source, e.data.get("fact")), e)
        self.path: list[tuple[float, float, str, str, str]] = []
        self.cursor = 0.0

    # -- the metric's interval ------------------------------------------------
    def interval(self, metric: str) -> tuple[float, float]:
        """(start, end) of the metric in scenario minutes."""
        if metric.startswith("decision."):
            event = self.taken.get(metric.removeprefix("decision."))
            if event is None:
                raise ExplainError(f"decision '{metric.removeprefix('decision.')}' was not taken in this run")
            return 0.0, event.time
        declared = next((m for m in _scenario_time_metrics(self.scenario) if m.id == metric), None)
        if declared is None:
            raise ExplainError(f"unknown time metric '{metric}'")
        return self._declared_interval(declared)

    def _declared_interval(self, metric) -> tuple[float, float]:
        """A scenario `time`, `span` or `event_time` metric, held by the same rule `sim.analysis.metrics` uses."""
        from sim.domain.conditions import first_held

        end_of_run = self.events[-1].time if self.events else 0.0
        if metric.kind == "event_time":
            event = self._metric_event(metric)
            start = self._since(metric)
            if start is None or event is None:
                raise ExplainError(f"'{metric.id}' did not happen in this run")
            return start, event.time
        if metric.kind == "time":
            start, end = 0.0, first_held(metric.when, self.events, end_of_run)
        else:
            start = first_held(metric.start, self.events, end_of_run)
            end = None if start is None else first_held(metric.end, self.events, end_of_run, not_before=start)
        if start is None or end is None:
            raise ExplainError(f"'{metric.id}' did not happen in this run")
        return start, end

    def _since(self, metric) -> float | None:
        """Where an `event_time` metric starts: T+0, or its first `since` event (None if it never came)."""
        if metric.since is None:
            return 0.0
        since = metric.since
        return next((e.time for e in self.events if _matches(e, since.event, since.target, since.source)), None)

    def _metric_event(self, metric) -> SimEvent | None:
        """The event that ends an `event_time` metric: the first (or, with `last:`, the last) match
        at or after its start, as `sim.analysis.metrics.event_time` finds it."""
        origin = self._since(metric)
        if origin is None:
            return None
        found = None
        for e in self.events:
            if e.time >= origin and _matches(e, metric.event, metric.target, metric.source):
                found = e
                if not metric.last:
                    break
        return found

    # -- building the path (backwards) --------------------------------------
    def path_to(self, metric: str, end: float) -> list[tuple[float, float, str, str, str]]:
        """Contiguous segments from T+0 to `end` (where `metric` ends), in time order."""
        self.path, self.cursor = [], end
        try:
            self._walk(metric, end)
        except RecursionError:  # a chain of thousands of steps: keep what was walked, say the rest plainly
            self._back_to(0.0, "other", "model", "chain of causes too long to walk back further")
        self._back_to(0.0, "other", "model", "not explained by the events")
        self.path.reverse()
        return self.path

    def _walk(self, metric: str, end: float) -> None:
        declared = next((m for m in _scenario_time_metrics(self.scenario) if m.id == metric), None)
        if declared is None:
            self._decision(metric.removeprefix("decision."))
        elif declared.kind == "event_time":
            event = self._metric_event(declared)
            self._anchor(end, before_seq=event.seq + 1 if event is not None else None)
        else:  # one of the scenario's own span or time metrics
            self._anchor(end)

    def _anchor(self, end: float, before_seq: int | None = None) -> None:
        """Explain the latest event at `end` (before `before_seq`) that has a cause to walk back;
        a condition on time or state alone is the scenario's."""
        at_end = [e for e in self.events if e.time == end and (before_seq is None or e.seq < before_seq)]
        for e in sorted(at_end, key=lambda e: -e.seq):
            if e.kind in (Kind.decision_taken, Kind.decision_skipped) and e.target in self.taken:
                self._decision(e.target)
                return
            if e.kind is Kind.movement_started:
                self._movement(e)
                return
            if e.kind is Kind.movement_completed:
                self._completed(e)
                return
            if e.kind in (Kind.cohort_arrived, Kind.cohort_departed):
                self._cohort(e)
                return
            if e.kind is Kind.people_exposed:
                self._danger(e)
                return
            if e.kind is Kind.inject_fired and e.data.get("inject") in self.fired:
                self._inject(e.data["inject"])
                return
            if e.kind is Kind.message_handled and not e.data.get("relay"):
                self._learned(e.source, e.data.get("fact"))
                return
        self._back_to(0.0, "condition", "scenario", "the metric's condition held from this time")

    def _completed(self, done: SimEvent) -> None:
        """Nobody was left in danger: explained by whatever happened last at that instant, the
        last cohort reaching safety or the danger catching the last people still in it."""
        last = next(
            (
                e
                for e in reversed(self.events)
                if e.seq < done.seq and e.time == done.time and e.kind in (Kind.cohort_arrived, Kind.people_exposed)
            ),
            None,
        )
        self._back_to(done.time, "other", "model", "")
        if last is None:
            self._back_to(0.0, "other", "model", "not explained by the events")
        elif last.kind is Kind.people_exposed:
            self._danger(last)
        else:
            self._cohort(last)

    def _danger(self, exposed: SimEvent) -> None:
        """The danger reached an area: its time is the scenario's (a declared deadline or a hazard)."""
        self._back_to(exposed.time, "other", "model", "")
        area = self.scenario.area_name(exposed.target)
        self._back_to(0.0, "script", "scenario", f"the danger reaches {area}")

    def _cohort(self, event: SimEvent) -> None:
        """A cohort of the movement network reached safety (or left on a link): the link that took it,
        then the wait from its population's start at that link's start (turnout, closures, hours
        outside the link's timetable, vehicles at their capacity), then what started it."""
        population, cohort = event.source, event.data.get("cohort")
        self._back_to(event.time, "other", "model", "")
        if event.kind is Kind.cohort_departed:
            last: SimEvent | None = event
        else:
            last = next(
                (
                    e
                    for e in reversed(self.events)
                    if e.seq < event.seq
                    and e.kind is Kind.cohort_departed
                    and e.source == population
                    and e.data.get("cohort") == cohort
                ),
                None,
            )
        spec = self.populations.get(population)
        started = self._condition_time(spec.turnout.when) if spec is not None else 0.0
        started = started or 0.0
        if last is None:
            self._back_to(started, "processing", population, f"{population}: turnout and waiting to move")
        else:
            link_id = str(last.data.get("link"))
            mode = last.data.get("mode")
            origin, target = last.data.get("origin"), last.target
            label = f"{population} cohort {cohort}: {origin} -> {target} ({mode})"
            self._back_to(last.time, "transport", link_id, label)
            link = self.links.get(link_id)
            if link is None:
                self._back_to(started, "processing", population, f"{population}: turnout and waiting for {link_id}")
            else:
                self._link_stretch(link, started, last.time, population)
        if started:
            self._anchor(started)

    def _condition_time(self, when) -> float | None:
        """When a `when:` condition first held in this run (0 without one), by the engine's own rule."""
        if when is None:
            return 0.0
        from sim.domain.conditions import first_held

        return first_held(when, self.events, self.events[-1].time if self.events else 0.0)

    def _back_to(self, t: float, kind: str, seam: str, label: str) -> None:
        """Add the segment [t, cursor] and move the cursor back to t (never forward)."""
        t = min(t, self.cursor)
        if self.cursor - t > 1e-9:
            self.path.append((t, self.cursor, kind, seam, label))
        self.cursor = t

    # -- decisions and facts ------------------------------------------------
    def _decision(self, decision_id: str) -> None:
        event = self.taken[decision_id]
        spec = self.decisions.get(decision_id)
        owner = event.source
        title = spec.title if spec is not None else decision_id
        self._back_to(event.time, "other", "model", f"after: {title}")
        pending = self.pending.get(decision_id)
        came_up = pending.time if pending is not None else event.time
        mode = event.data.get("delay_mode")
        by = str(event.data.get("by") or "")
        kind = "calendar" if mode and any(w in mode.lower() for w in CALENDAR_WORDS) else "deliberation"
        label = f"{title} ({mode})" if mode else title
        if by.startswith("human"):
            label = f"{title} (played)"
        self._back_to(came_up, kind, owner, label)
        if spec is None:
            return
        trigger = self._trigger(spec, owner, came_up)
        window = self._window_wait(spec, pending)
        if window is not None:
            opens = f"{self.scenario.scenario.start + timedelta(minutes=came_up):%a %H:%M}"
            since = trigger[0] if trigger is not None else 0.0  # before that the owner did not know enough
            self._back_to(
                max(window, since), "calendar", owner, f"waiting for the time window of: {title} (opens {opens})"
            )
        if trigger is None:
            self._back_to(0.0, "condition", owner, f"waiting for the conditions of: {title}")
            return
        learned_at, fact = trigger
        self._back_to(learned_at, "condition", owner, f"waiting for the conditions of: {title}")
        self._learned(owner, fact)

    def _window_wait(self, spec, pending: SimEvent | None) -> float | None:
        """Since when the decision's `when:` waited for the clock alone, or None.

        It came up at the instant one of its time clauses (`after`/`by`, at any depth of
        `all`/`any`/`not`) opened, and from that start on every decision, inject and state
        it names already stood as it did then: only a time window (a regular Cabinet's
        slot, office hours written as a condition) held it back. A wait that ended with an
        event (a decision, an inject, a state change) stays `condition`; so does a `for:`
        (a wait after an event, not a slot on the clock).
        """
        from sim.domain.conditions import Facts, holds, nodes, subjects

        when = spec.when
        if when is None or pending is None:
            return None
        came_up = pending.time
        if not any(t is not None and abs(t - came_up) < 1e-6 for n in nodes(when) for t in (n.after, n.by)):
            return None
        watched = set(subjects(when))
        facts = Facts()
        changes: list[tuple[float, bool]] = [(0.0, holds(when, facts, came_up))]
        for event in self.events:
            if event.seq >= pending.seq:
                break
            if facts.record(event) in watched:
                changes.append((event.time, holds(when, facts, came_up)))
        if not changes[-1][1]:
            return None
        ready = came_up
        for time, held in reversed(changes):
            if not held:
                break
            ready = time
        return ready if ready < came_up else None

    def _trigger(self, spec, owner: str, came_up: float) -> tuple[float, str] | None:
        """The required fact the owner learned last before the decision came up."""
        best = None
        for condition in spec.requires:
            fact = condition.decision or condition.inject
            when = self._learned_at(owner, fact)
            if when is not None and when <= came_up + 1e-9 and (best is None or when >= best[0]):
                best = (when, fact)
        return best

    def _learned_at(self, agency: str, fact: str) -> float | None:
        spec = self.decisions.get(fact)
        if spec is not None and spec.owner == agency and fact in self.taken:
            return self.taken[fact].time
        event = self.learned.get((agency, fact))
        return None if event is None else event.time

    def _learned(self, agency: str, fact: str) -> None:
        spec = self.decisions.get(fact)
        if spec is not None and spec.owner == agency and fact in self.taken:
            self._decision(fact)
            return
        event = self.learned.get((agency, fact))
        if event is None:
            return
        msg = event.data.get("msg")
        if msg is None:  # an inject from outside the agencies: handled on arrival
            fired = self.fired.get(fact)
            arrived = fired.time if fired is not None else 0.0
            self._handled(event, arrived)
            if fired is not None:
                self._inject(fact)
            return
        self._message(msg)

    def _message(self, msg: int) -> None:
        events = self.messages[msg]
        sent = events[0]
        fact = sent.data.get("fact")
        for previous, event in reversed(list(pairwise(events))):
            if event.kind is Kind.message_delivered:
                self._back_to(event.time, "other", "model", "")
                lost = sum(1 for e in events if e.kind is Kind.message_lost and e.target == event.target)
                a, b = event.source, event.target
                channel = self.channels.get((a, b))
                if channel is not None:
                    seam = channel.id or f"{a}->{b}"
                    label = f"{fact}: {a} -> {b} by channel"
                else:
                    seam, label = f"{a}->{b}", f"{fact}: {a} -> {b} up/down the chain of command"
                if lost:
                    label += f" ({lost} lost, resent)"
                start = self._before(events, event, Kind.message_delivered, sent.time)
                self._back_to(start, "message", seam, label)
            elif event.kind is Kind.message_handled:
                self._handled(event, previous.time)
        self._back_to(sent.time, "other", "model", "")
        if fact in self.decisions and fact in self.taken:
            self._decision(fact)
        elif fact in self.fired:
            self._inject(fact)

    @staticmethod
    def _before(events: list[SimEvent], event: SimEvent, kind: Kind, default: float) -> float:
        """Time of the hop's start: the last handled (or sent) event before this delivery."""
        start = default
        for e in events:
            if e is event:
                break
            if e.kind in (Kind.message_handled, Kind.message_sent):
                start = e.time
        return start

    def _handled(self, event: SimEvent, arrived: float) -> None:
        """Split [arrived, handled] at one agency into queue, office hours and handling.

        The event says how long the message queued for a desk and waited for the
        office to open; the rest, up to the event, was handling.
        """
        agency = event.source
        name = getattr(self.agencies.get(agency), "name", agency)
        fact = event.data.get("fact")
        queued = float(event.data.get("queued") or 0.0)
        closed = float(event.data.get("closed") or 0.0)
        self._back_to(event.time, "other", "model", "")
        verb = "relaying" if event.data.get("relay") else "handling"
        opened = min(event.time, max(arrived, arrived + queued + closed))
        self._back_to(opened, "handling", agency, f"{name}: {verb} {fact}")
        self._back_to(max(arrived, opened - closed), "office_hours", agency, f"{name}: closed, waiting to open")
        self._back_to(arrived, "queue", agency, f"{name}: waiting for a free desk")

    def _inject(self, inject_id: str) -> None:
        fired = self.fired[inject_id]
        spec = self.injects.get(inject_id)
        self._back_to(fired.time, "other", "model", "")
        synopsis = spec.synopsis if spec is not None else inject_id
        if fired.data.get("manual"):
            self._back_to(0.0, "script", "simcell", f"{inject_id} fired by the facilitator: {synopsis}")
            return
        trigger = getattr(spec, "trigger", None)
        if trigger is not None and trigger.decision in self.taken:
            taken = self.taken[trigger.decision]
            if taken.time <= fired.time + 1e-9:
                self._back_to(taken.time, "script", "simcell", f"{inject_id} follows its trigger: {synopsis}")
                self._decision(trigger.decision)
                return
        fired_by = self._fired_by_option(inject_id, fired.time)
        if fired_by is not None:
            decision, option = fired_by
            label = f"{inject_id} follows {decision} = {option} after the effect's delay: {synopsis}"
            self._back_to(self.taken[decision].time, "script", "simcell", label)
            self._decision(decision)
            return
        if spec is not None and getattr(spec, "at", None) is None and getattr(spec, "when", None) is not None:
            held = self._condition_time(spec.when)
            if held is not None and 0 < held <= fired.time:
                self._back_to(held, "script", "simcell", f"{inject_id} fires when its condition holds: {synopsis}")
                self._anchor(held, before_seq=fired.seq)
                return
        self._back_to(0.0, "script", "simcell", f"{inject_id} scheduled by the script: {synopsis}")

    def _fired_by_option(self, inject_id: str, when: float) -> tuple[str, str] | None:
        """The decision whose chosen option has a `fire` effect for this inject, landing at `when`."""
        for decision in self.decisions.values():
            taken = self.taken.get(decision.id)
            if taken is None or taken.kind is not Kind.decision_taken:
                continue
            chosen = next((o for o in decision.options if o.id == taken.data.get("option")), None)
            for effect in getattr(chosen, "effects", None) or []:
                fires = getattr(effect, "kind", None) == "fire" and effect.inject == inject_id
                if fires and abs(taken.time + effect.delay - when) < 1e-6:
                    return decision.id, chosen.id
        return None

    # -- the movement network ------------------------------------------------
    def _movement(self, event: SimEvent) -> None:
        """People of an area were told to move: after whatever else happened at that instant
        (the decision or inject their turnout waits for)."""
        self._back_to(event.time, "other", "model", "")
        if event.time > 0:
            self._anchor(event.time, before_seq=event.seq)

    def _link_stretch(self, link, start: float, end: float, population: str) -> None:
        """[start, end] of a population at the start of the link that took its last cohort on:
        closures of the link or its places, the link outside its hours, then working time, which is
        turnout and waiting before the link's first departure and, on a link with vehicles, the
        vehicles working at their capacity after it."""
        first = next(
            (
                e.time
                for e in self.events
                if e.kind is Kind.cohort_departed and e.data.get("link") == link.id and start <= e.time <= end
            ),
            end,
        )
        if link.vehicles is None:
            first = end  # people go by themselves: the wait is their turnout and the link's flow
        closures = self._closures({link.id, link.from_, link.to}, start, end)
        name = link.title or link.id
        pieces = []
        for lo, hi, what, why in _split_by_hours(start, end, link.hours, self.offset, closures):
            if what == "work" and lo < first < hi:
                pieces += [(lo, first, "work", why), (first, hi, "work", why)]
            else:
                pieces.append((lo, hi, what, why))
        for lo, hi, what, why in reversed(pieces):
            self._back_to(hi, "other", "model", "")
            if what == "closure":
                self._back_to(lo, "closure", link.id, f"{name}: closed ({why})")
            elif what == "hours":
                label = f"{name}: closed outside {_clock(link.hours.open)}-{_clock(link.hours.close)}"
                self._back_to(lo, "operating_hours", link.id, label)
            elif hi <= first:
                label = f"{population}: turnout and waiting for {name}"
                self._back_to(lo, "processing", population, label)
            else:
                self._back_to(lo, "transport", link.id, f"{name}: vehicles working at their capacity")

    def _closures(self, legs: set[str], lo: float, hi: float) -> dict[tuple[float, float], str]:
        """Closed stretches of any of `legs` (a link and its places) within [lo, hi], with what closed
        it: from each `leg_closed` to that leg's next `leg_reopened` (or the closure's own end,
        whichever comes first)."""
        out: dict[tuple[float, float], str] = {}
        for i, e in enumerate(self.events):
            closed = legs.intersection(e.data.get("legs", [])) if e.kind is Kind.leg_closed else set()
            if not closed:
                continue
            hours = e.data.get("hours")
            until = e.time + float(hours) * 60.0 if hours is not None else math.inf
            reopened = next(
                (
                    r.time
                    for r in self.events[i + 1 :]
                    if r.kind is Kind.leg_reopened and closed.intersection(r.data.get("legs", [])) and r.time >= e.time
                ),
                math.inf,
            )
            a, b = max(lo, e.time), min(hi, until, reopened)
            if b > a:
                out[(a, b)] = self._cause(e, i)
        return out

    def _cause(self, event: SimEvent, index: int) -> str:
        """What closed a leg, in words: the inject's synopsis, the decision, or the source as given."""
        source = event.source
        inject = source.removeprefix("inject:") if source.startswith("inject:") else None
        if inject is None and source == "weather":  # older records: an inject fired at the same instant
            inject = next(
                (
                    p.data.get("inject")
                    for p in reversed(self.events[:index])
                    if p.time == event.time and p.kind is Kind.inject_fired
                ),
                None,
            )
        spec = self.injects.get(inject) if inject else None
        if spec is not None:
            return f"{inject}: {spec.synopsis}"
        return source


def _matches(event: SimEvent, kind: str, target: str | None, source: str | None) -> bool:
    return (
        str(event.kind) == kind
        and (target is None or event.target == target)
        and (source is None or event.source == source)
    )


def _split_by_hours(
    lo: float, hi: float, window, offset: float, closures: dict[tuple[float, float], str]
) -> list[tuple[float, float, str, str]]:
    """[lo, hi] cut into closure, outside-hours and working stretches, in time order:
    (start, end, "closure" | "hours" | "work", why)."""
    points = {lo, hi}
    for a, b in closures:
        points.update(t for t in (a, b) if lo < t < hi)
    if not window.always_open:
        day = int((lo + offset) // DAY)
        while day * DAY - offset <= hi:
            for tod in (window.open, window.close):
                t = day * DAY + tod - offset
                if lo < t < hi:
                    points.add(t)
            day += 1
    cuts: list[tuple[float, float, str, str]] = []
    ordered = sorted(points)
    for a, b in pairwise(ordered):
        mid = (a + b) / 2
        why = next((w for (x, y), w in closures.items() if x <= mid <= y), None)
        if why is not None:
            what = "closure"
        elif not window.always_open and not (window.open <= (mid + offset) % DAY < window.close):
            what, why = "hours", ""
        else:
            what, why = "work", ""
        if cuts and cuts[-1][2] == what and cuts[-1][3] == why:
            cuts[-1] = (cuts[-1][0], b, what, why)
        else:
            cuts.append((a, b, what, why))
    return cuts


def _clock(minutes: float) -> str:
    return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


# ---------------------------------------------------------------------------
# Charts: a Gantt with one row per seam (text cells and a matplotlib figure)
# ---------------------------------------------------------------------------

KIND_COLOURS = {
    "deliberation": "#1f77b4",
    "calendar": "#d62728",
    "message": "#9467bd",
    "queue": "#ff7f0e",
    "office_hours": "#8c564b",
    "handling": "#17becf",
    "condition": "#bcbd22",
    "script": "#7f7f7f",
    "processing": "#e377c2",
    "transport": "#2ca02c",
    "operating_hours": "#c7c7c7",
    "closure": "#000000",
    "other": "#f7b6d2",
}
"""One colour per kind, shared by the report figure and the console (Rich accepts hex colours)."""

OTHER_SEAMS = "other seams"


@dataclass(frozen=True, slots=True)
class GanttRow:
    """One seam: its total hours and its segments as (start_hours, hours, kind), in time order."""

    seam: str
    hours: float
    bars: tuple[tuple[float, float, str], ...]


def gantt_rows(explanation: Explanation, min_share: float = 0.01) -> list[GanttRow]:
    """Seams in order of first appearance on the path; seams under `min_share` of the metric
    are pooled in one last row, so the chart stays readable with dozens of short hops."""
    total = explanation.value_hours or 0.0
    order: list[str] = []
    bars: dict[str, list[tuple[float, float, str]]] = {}
    for s in explanation.segments:
        if s.seam not in bars:
            order.append(s.seam)
            bars[s.seam] = []
        bars[s.seam].append((s.start_hours, s.hours, s.kind))
    rows, pooled = [], []
    for seam in order:
        hours = sum(h for _, h, _ in bars[seam])
        if total and hours < min_share * total:
            pooled += bars[seam]
        else:
            rows.append(GanttRow(seam, round(hours, 4), tuple(bars[seam])))
    if pooled:
        rows.append(GanttRow(OTHER_SEAMS, round(sum(h for _, h, _ in pooled), 4), tuple(sorted(pooled))))
    return rows


def gantt_cells(row: GanttRow, origin: float, total: float, width: int) -> list[str | None]:
    """The row as `width` cells over [origin, origin + total]: each cell holds the kind that
    fills most of it, and a segment shorter than a cell still marks the cell it starts in."""
    cells: list[str | None] = [None] * width
    if total <= 0 or width <= 0:
        return cells
    step = total / width
    fill = [0.0] * width
    for start, hours, kind in row.bars:
        lo, hi = start - origin, start - origin + hours
        first = min(width - 1, max(0, int(lo / step)))
        last = min(width - 1, max(0, int((hi - 1e-9) / step)))
        for i in range(first, last + 1):
            covered = min(hi, (i + 1) * step) - max(lo, i * step)
            if covered > fill[i]:
                fill[i], cells[i] = covered, kind
        if cells[first] is None:
            cells[first] = kind
    return cells


def critical_path_figure(explanation: Explanation, scenario_title: str = ""):
    """A matplotlib Gantt of the critical path: one row per seam, bars coloured by kind.

    matplotlib is imported here only (the engine never needs it). Text from the scenario is
    shown literally (a `$` would otherwise start mathtext).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from sim.analysis.fonts import use_figure_fonts

    use_figure_fonts()

    def literal(text: str) -> str:
        return text.replace("$", r"\$")

    rows = gantt_rows(explanation)
    fig, ax = plt.subplots(figsize=(8.5, 0.34 * len(rows) + 2.0))
    kinds_used: list[str] = []
    for y, row in enumerate(rows):
        for start, hours, kind in row.bars:
            ax.barh(y, hours, left=start, height=0.62, color=KIND_COLOURS.get(kind, "#f7b6d2"), linewidth=0)
            if kind not in kinds_used:
                kinds_used.append(kind)
        end = max(s + h for s, h, _ in row.bars)
        ax.text(end, y, f" {duration_text(row.hours)}", va="center", fontsize=7.5)
    ax.set_yticks(range(len(rows)), [literal(r.seam) for r in rows])
    ax.invert_yaxis()
    origin = explanation.start_hours or 0.0
    ax.set_xlim(origin, origin + (explanation.value_hours or 0.0) * 1.08)
    ax.set_xlabel("hours after T+0")
    title = f"Where the hours went: {explanation.title}, {duration_text(explanation.value_hours)}"
    ax.set_title(literal(f"{title}\n{scenario_title}" if scenario_title else title), fontsize=9.5)
    handles = [Patch(color=KIND_COLOURS.get(k, "#f7b6d2"), label=k.replace("_", " ")) for k in kinds_used]
    fig.legend(handles=handles, loc="lower center", fontsize=7.5, frameon=False, ncol=min(len(handles), 7) or 1)
    height = fig.get_size_inches()[1]
    legend_rows = (len(handles) + 6) // 7
    fig.tight_layout(rect=(0, min(0.45, (0.12 + 0.2 * legend_rows) / height), 1, 1))
    return fig


# ---------------------------------------------------------------------------
# Over replications: which delays a reform removes
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shift:
    """Mean hours of one kind (or seam) per run, baseline and reformed, and the difference."""

    key: str
    baseline_hours: float
    reform_hours: float | None

    @property
    def shift_hours(self) -> float | None:
        return None if self.reform_hours is None else round(self.reform_hours - self.baseline_hours, 4)

    def to_dict(self, field: str) -> dict[str, Any]:
        return {
            field: self.key,
            "baseline_hours": self.baseline_hours,
            "reform_hours": self.reform_hours,
            "shift_hours": self.shift_hours,
        }


def mean_hours(explanations: Sequence[Explanation], field: str) -> dict[str, float]:
    """Mean hours per `field` ("kind" or "seam") over runs; a run without that key counts 0."""
    totals: dict[str, float] = {}
    for explanation in explanations:
        for s in explanation.segments:
            key = getattr(s, field)
            totals[key] = totals.get(key, 0.0) + s.hours
    n = max(1, len(explanations))
    return {k: round(v / n, 4) for k, v in totals.items()}


def shifts(baseline: Sequence[Explanation], reformed: Sequence[Explanation] | None, field: str) -> list[Shift]:
    """Per kind or seam: mean hours in each arm, the largest baseline cost first."""
    base = mean_hours(baseline, field)
    other = mean_hours(reformed, field) if reformed is not None else {}
    keys = sorted(set(base) | set(other), key=lambda k: (-base.get(k, 0.0), k))
    return [Shift(k, base.get(k, 0.0), other.get(k, 0.0) if reformed is not None else None) for k in keys]


SEGMENT_KINDS = (
    "deliberation",
    "calendar",
    "message",
    "queue",
    "office_hours",
    "handling",
    "condition",
    "script",
    "processing",
    "transport",
    "operating_hours",
    "closure",
)
"""Every kind a segment can have (besides `other`), in the order tables show them."""


def segment_metrics(scenario, events: Sequence[SimEvent]) -> dict[str, float | None]:
    """Hours of each kind on the critical path of the scenario's headline metric (the same in
    every run), as flat metrics (`critical_path.calendar_hours`, ...), so `compare` reports their
    means and how a reform shifts them like any other metric. All None (a miss) in a run that
    never reached the headline."""
    try:
        explanation = explain(scenario, events, headline_metric(scenario))
    except ExplainError:
        return {f"critical_path.{kind}_hours": None for kind in SEGMENT_KINDS}
    totals = dict(explanation.by_kind())
    return {f"critical_path.{kind}_hours": totals.get(kind, 0.0) for kind in SEGMENT_KINDS}
