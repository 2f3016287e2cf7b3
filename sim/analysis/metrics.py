"""The scenario's own metrics and objectives, computed from the event stream alone.

Pure functions: they read a run's events (live or from a journal) and the
scenario's `metrics:` and `objectives:`, never the live model, so the CLI, a
replay and a report of a stored run get the same numbers. Conditions are
evaluated by the same code the engine uses (`sim.domain.conditions`).

Units: spans and times are hours (rounded to 4 decimals like the built-in
metrics), state statistics are in the variable's unit, counts are numbers,
indicators are 0 or 1. A metric that did not happen (a span whose end never
came, a time whose condition never held) is None, never a made-up number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

from sim.domain.conditions import RECORDED_KINDS, Subject, first_held, subject_of, subjects
from sim.events import Kind, SimEvent
from sim.scenario.consequences import (
    CountMetric,
    EventMatch,
    EventTimeMetric,
    IndicatorMetric,
    Objective,
    SpanMetric,
    StateMetric,
    Statistic,
    TimeMetric,
    When,
)

Value = float | int | None


def scenario_metrics(metrics: Sequence[Any], events: Sequence[SimEvent], end: float | None = None) -> dict[str, Value]:
    """Every metric of `metrics` (a scenario's `metrics:`) over `events`, by id, in declaration order.

    Args:
        metrics: the scenario's metric declarations.
        events: the run's events, in order.
        end: scenario minute the run reached (default: the last event's time); time
            clauses and time-weighted means stop there.
    """
    if end is None:
        end = events[-1].time if events else 0.0
    by_kind: defaultdict[str, list[SimEvent]] = defaultdict(list)  # read with `get`: no empty lists added
    for event in events:
        by_kind[event.kind].append(event)
    facts = FactIndex(events)
    values: dict[str, Value] = {}
    for metric in metrics:
        if isinstance(metric, SpanMetric):
            values[metric.id] = metric_value(metric, facts.about(metric.start, metric.end), end)
        elif isinstance(metric, TimeMetric | IndicatorMetric):
            values[metric.id] = metric_value(metric, facts.about(metric.when), end)
        elif isinstance(metric, StateMetric):
            values[metric.id] = metric_value(metric, by_kind.get(Kind.state_changed, ()), end)
        elif isinstance(metric, CountMetric):
            values[metric.id] = _tally(by_kind.get(metric.event, ()), metric)
        elif isinstance(metric, EventTimeMetric):
            since = metric.since
            origins = by_kind.get(since.event, ()) if since is not None else ()
            values[metric.id] = _event_time(origins, by_kind.get(metric.event, ()), metric)
        else:
            values[metric.id] = metric_value(metric, events, end)
    return values


class FactIndex:
    """The events conditions learn from, by the subject each changes, with its place in the stream;
    `update` indexes only what a growing log added since it last looked (a live console asks
    for span progress at every redraw, over a log of thousands of events)."""

    __slots__ = ("_by_subject", "_seen")

    def __init__(self, events: Sequence[SimEvent] = ()) -> None:
        self._by_subject: dict[Subject, list[tuple[int, SimEvent]]] = {}
        self._seen = 0
        self.update(events)

    def update(self, events: Sequence[SimEvent]) -> None:
        """Index `events[seen:]`: `events` is the same stream, grown (never rewritten)."""
        index = self._by_subject
        for position, event in enumerate(islice(events, self._seen, None), self._seen):  # skipped in C
            if event.kind in RECORDED_KINDS:
                subject = subject_of(event)
                if subject is not None:
                    index.setdefault(subject, []).append((position, event))
        self._seen = len(events)

    def about(self, *conds: When) -> list[SimEvent]:
        """The events, in stream order, that change a subject one of `conds` reads: replaying only
        these gives the same answer as replaying the whole stream (`sim.domain.conditions.evaluations`),
        for a fraction of the cost when a scenario declares dozens of condition metrics."""
        index = self._by_subject
        found = [
            item for key in dict.fromkeys(s for cond in conds for s in subjects(cond)) for item in index.get(key, ())
        ]
        found.sort(key=_position)
        return [event for _, event in found]


def _position(item: tuple[int, SimEvent]) -> int:
    return item[0]


def metric_value(metric: Any, events: Sequence[SimEvent], end: float) -> Value:
    match metric:
        case TimeMetric():
            return _hours(first_held(metric.when, events, end))
        case SpanMetric():
            return span_progress(metric, events, end)[1]
        case IndicatorMetric():
            return int(first_held(metric.when, events, end) is not None)
        case StateMetric():
            return state_statistic(events, metric.state, metric.statistic, end)
        case CountMetric():
            return count(events, metric)
        case EventTimeMetric():
            return event_time(events, metric)
    raise TypeError(f"not a metric: {metric!r}")


def span_progress(metric: SpanMetric, events: Sequence[SimEvent], end: float) -> tuple[float | None, Value]:
    """(scenario minute the span's start first held, its value in hours once its end held too).

    The value alone is the metric; the start tells a live console that the span is running."""
    start = first_held(metric.start, events, end)
    if start is None:
        return None, None
    finish = first_held(metric.end, events, end, not_before=start)
    return start, None if finish is None else _hours(finish - start)


def state_series(events: Sequence[SimEvent], name: str) -> list[tuple[float, float]]:
    """(time, value) of every change of one variable, the initial value first."""
    return [(e.time, e.data["value"]) for e in events if e.kind == Kind.state_changed and e.target == name]


def state_statistic(events: Sequence[SimEvent], name: str, statistic: Statistic | str, end: float) -> float | None:
    """Final, max, min or time-weighted mean (from the first value to `end`) of a variable."""
    series = [(t, v) for t, v in state_series(events, name) if t <= end]
    if not series:
        return None
    values = [v for _, v in series]
    match Statistic(statistic):
        case Statistic.final:
            return values[-1]
        case Statistic.max:
            return max(values)
        case Statistic.min:
            return min(values)
        case Statistic.mean:
            start = series[0][0]
            if end <= start:
                return values[-1]
            area = 0.0
            for (t, v), (t_next, _) in zip(series, [*series[1:], (end, None)], strict=True):
                area += v * (t_next - t)
            return area / (end - start)
    raise ValueError(f"unknown statistic {statistic!r}")


def count(events: Sequence[SimEvent], metric: CountMetric) -> float | int:
    """How many events match (kind, and target/source if given), or the sum of one payload value."""
    return _tally([e for e in events if str(e.kind) == metric.event], metric)


def _tally(events: Iterable[SimEvent], metric: CountMetric) -> float | int:
    """`count` over events all of the metric's kind (`scenario_metrics` indexes them by kind: the
    bundled scenario sums thousands of `cohort_departed`, so the kind is not compared again)."""
    target, source, key = metric.target, metric.source, metric.sum
    total: float | int = 0
    for event in events:
        if target is not None and event.target != target:
            continue
        if source is not None and event.source != source:
            continue
        if key is None:
            total += 1
        else:
            value = event.data.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                total += value
    return total


def _matches(event: SimEvent, target: str | None, source: str | None) -> bool:
    """Whether an event (of the kind looked for) has the target and source looked for."""
    return (target is None or event.target == target) and (source is None or event.source == source)


def _of_kind(events: Iterable[SimEvent], kind: str) -> list[SimEvent]:
    return [e for e in events if str(e.kind) == kind]


def event_time(events: Sequence[SimEvent], metric: EventTimeMetric) -> float | None:
    """Hours from T+0 (or from the first `since` event) to the first (or last) matching event at or after it."""
    origins = _of_kind(events, metric.since.event) if metric.since is not None else ()
    return _event_time(origins, _of_kind(events, metric.event), metric)


def _event_time(origins: Sequence[SimEvent], events: Sequence[SimEvent], metric: EventTimeMetric) -> float | None:
    """`event_time` with the `since` event looked for in `origins` (the run's events of its kind) and
    the matching one in `events` (those of the metric's kind), both in stream order.

    The last matching event is looked for from the end: events come in time order, so the first
    match from the end is the last one, and one before `origin` means none is at or after it (a
    scenario's last flight out of one airport is among thousands of departures)."""
    origin = 0.0
    if metric.since is not None:
        since: EventMatch = metric.since
        origin_event = next((e for e in origins if _matches(e, since.target, since.source)), None)
        if origin_event is None:
            return None
        origin = origin_event.time
    target, source = metric.target, metric.source
    found: float | None
    if metric.last:
        found = next((e.time for e in reversed(events) if _matches(e, target, source)), None)
        if found is not None and found < origin:
            found = None  # the last match is before `origin`: so is every other
    else:
        found = next((e.time for e in events if e.time >= origin and _matches(e, target, source)), None)
    return _hours(None if found is None else found - origin)


def objective_results(objectives: Sequence[Objective], values: Mapping[str, Value]) -> dict[str, int | None]:
    """Each objective: 1 met, 0 not met, None when its metric did not happen."""
    return {o.id: o.met(values.get(o.metric)) for o in objectives}


def run_metrics(scenario: Any, events: Sequence[SimEvent], end: float | None = None) -> dict[str, Any]:
    """The scenario's metrics plus, if it declares objectives, `objectives: {id: 1 | 0 | None}`."""
    values: dict[str, Any] = dict(scenario_metrics(scenario.metrics, events, end))
    if scenario.objectives:
        values["objectives"] = objective_results(scenario.objectives, values)
    return values


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60.0, 4)
