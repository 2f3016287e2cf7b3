"""The consequence sections of a scenario: world state, effects that change it,
conditions over what happened, hazards, and the scenario's own metrics.

These let a player's choice reach the world through data: an option's
`effects` change a state variable, a `when:` condition waits on that state (or
on decisions, injects and time), a hazard's rate reads it, and a metric
measures it from the event stream. Nothing here names any scenario's
vocabulary; ids come from the YAML.

This module imports no other scenario section (the main schema imports it),
so its models only refer to each other and to the shared building blocks.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.scenario.types import Cited, Duration, Identifier, Strict, Window

MetricId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", min_length=1, max_length=100)]
"""A metric id: lower-case words joined by `_`, optionally grouped by dots (`evacuation.completion_hours`)."""

RESERVED_METRIC_IDS = frozenset({"objectives"})
"""Keys of the run's `metrics` that a scenario metric may not take (objectives are reported under it)."""


# ---------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------


class Variable(Cited):
    """A named number in the world that effects change and conditions, hazards and metrics read."""

    id: Identifier
    """Name used by effects, conditions, hazards and metrics, e.g. `escalation`."""
    title: str | None = None
    """How the variable reads to players, e.g. `Escalation level`."""
    unit: str = ""
    """Unit shown with the value, e.g. `level`, `share`, `t`."""
    initial: float = 0.0
    """Value at T+0."""
    min: float | None = None
    """Lowest value; every change is clamped to it (no bound when omitted)."""
    max: float | None = None
    """Highest value; every change is clamped to it (no bound when omitted)."""

    @model_validator(mode="after")
    def _bounds(self) -> Variable:
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError("max must not be below min")
        if self.min is not None and self.initial < self.min:
            raise ValueError(f"initial {self.initial} is below min {self.min}")
        if self.max is not None and self.initial > self.max:
            raise ValueError(f"initial {self.initial} is above max {self.max}")
        return self


# ---------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------


class When(Strict):
    """A condition on what has happened: every clause given must hold (they are joined by 'and').

    Clauses: `decision` (taken, optionally with `option`), `inject` (fired),
    `state` with thresholds (`at_least`, `at_most`, `above`, `below`,
    `equals`), `all` / `any` / `not` over nested conditions, and time: `after`
    and `by` (scenario time from T+0). `for` on a decision or inject clause
    means "at least this long ago". Example, a deadline that passed without a
    decision: `{not: {decision: evacuation_order}, after: 15m}`.
    """

    all_: list[When] | None = Field(default=None, alias="all")
    """Every one of these conditions holds."""
    any_: list[When] | None = Field(default=None, alias="any")
    """At least one of these conditions holds."""
    not_: When | None = Field(default=None, alias="not")
    """This condition does not hold."""
    decision: Identifier | None = None
    """This decision has been taken (or found not required)."""
    option: Identifier | None = None
    """... with this option."""
    inject: Identifier | None = None
    """This inject has fired."""
    for_: Duration | None = Field(default=None, alias="for")
    """The decision was taken / the inject fired at least this long ago."""
    state: Identifier | None = None
    """A state variable, compared with the thresholds below."""
    at_least: float | None = None
    """The variable is at least this (>=)."""
    at_most: float | None = None
    """The variable is at most this (<=)."""
    above: float | None = None
    """The variable is above this (>)."""
    below: float | None = None
    """The variable is below this (<)."""
    equals: float | None = None
    """The variable equals this."""
    after: Duration | None = None
    """Scenario time is at or after this (from T+0), e.g. `15m`."""
    by: Duration | None = None
    """Scenario time is at or before this (from T+0); to say 'later than', use `after`."""

    @model_validator(mode="after")
    def _clauses(self) -> When:
        subjects = [k for k in ("decision", "inject", "state") if getattr(self, k) is not None]
        if len(subjects) > 1:
            raise ValueError(f"give one of 'decision', 'inject' or 'state' per condition (got {', '.join(subjects)})")
        if self.option is not None and self.decision is None:
            raise ValueError("'option' applies only to a 'decision' clause")
        if self.for_ is not None and self.decision is None and self.inject is None:
            raise ValueError("'for' applies only to a 'decision' or 'inject' clause")
        thresholds = [self.at_least, self.at_most, self.above, self.below, self.equals]
        if self.state is not None and all(t is None for t in thresholds):
            raise ValueError("a 'state' clause needs a threshold: at_least, at_most, above, below or equals")
        if self.state is None and any(t is not None for t in thresholds):
            raise ValueError("thresholds (at_least, at_most, above, below, equals) need a 'state' clause")
        nested = self.all_ is not None or self.any_ is not None or self.not_ is not None
        if not subjects and not nested and self.after is None and self.by is None:
            raise ValueError("an empty condition: give decision, inject, state, all, any, not, after or by")
        if self.all_ == [] or self.any_ == []:
            raise ValueError("'all' and 'any' need at least one condition")
        return self


When.model_rebuild()


# ---------------------------------------------------------------------------
# Effects: on injects, decision options and hazards (`channel_disruption`, an
# older spelling of `channel`, lives in schema.py).
# ---------------------------------------------------------------------------


class _StateEffect(Cited):
    state: Identifier
    """The state variable changed."""
    for_: Duration | None = Field(default=None, alias="for")
    """Undo the change after this long (exactly: the value is recomputed without it); default: until changed again."""


class SetEffect(_StateEffect):
    """Set a state variable to a value."""

    kind: Literal["set"]
    value: float


class AddEffect(_StateEffect):
    """Add to a state variable (negative to subtract)."""

    kind: Literal["add"]
    value: float


class ScaleEffect(_StateEffect):
    """Multiply a state variable by a factor."""

    kind: Literal["scale"]
    factor: Annotated[float, Field(ge=0)]


class FireEffect(Cited):
    """Fire an inject (again, if it already fired), after an optional delay."""

    kind: Literal["fire"]
    inject: Identifier
    delay: Duration = 0.0


class CancelEffect(Cited):
    """Withdraw an inject: its `at`, `trigger` or `when` no longer fires it, nor any `fire` still pending."""

    kind: Literal["cancel"]
    inject: Identifier


class _Timed(Cited):
    for_: Duration | None = Field(default=None, alias="for")
    """Undo the change after this long (exactly); default: until changed again."""


class CloseEffect(_Timed):
    """Close places and links of the movement network to movement, e.g. a strike on an airport."""

    kind: Literal["close"]
    places: list[Identifier] = []
    """Place or link ids of `movement:`; empty means every place and link."""
    mode: Literal["air", "sea", "all"] = "all"
    """Only links of this mode (`all`: the places too)."""


class OpenEffect(_Timed):
    """Open places again (ends closures made before it; with `for`, open them for a while only)."""

    kind: Literal["open"]
    places: list[Identifier] = []
    """Place or link ids of `movement:`; empty means every place and link."""
    mode: Literal["air", "sea", "all"] = "all"


class ChannelEffect(_Timed):
    """Change channels: their latency (a factor) or reliability, e.g. a cyberattack or a cut cable.

    Name the channels by `channels` (ids) or every line touching `agencies`
    (including hops up and down the chain of command)."""

    kind: Literal["channel"]
    channels: list[Identifier] = []
    """Channel ids (channels need an `id:`)."""
    agencies: list[Identifier] = []
    """Every line to or from these agencies."""
    latency_factor: Annotated[float, Field(gt=0, le=1000)] | None = None
    """Transmission takes this many times as long (replaces an earlier factor while it lasts)."""
    reliability: Annotated[float, Field(gt=0, le=1)] | None = None
    """Chance a message gets through on one try while the change lasts (named channels only)."""

    @model_validator(mode="after")
    def _what(self) -> ChannelEffect:
        if not self.channels and not self.agencies:
            raise ValueError("name 'channels' or 'agencies'")
        if self.latency_factor is None and self.reliability is None:
            raise ValueError("give 'latency_factor', 'reliability' or both")
        if self.reliability is not None and not self.channels:
            raise ValueError("'reliability' applies to named 'channels'")
        return self


class AgencyEffect(_Timed):
    """Change agencies' staff (messages handled at once) or working hours, e.g. a reinforced crisis cell."""

    kind: Literal["agency"]
    agencies: list[Identifier] = Field(min_length=1)
    staff: Annotated[int, Field(ge=1, le=10_000)] | None = None
    """Staff while the change lasts."""
    hours: Window | None = None
    """Working hours while the change lasts, e.g. `{open: "00:00", close: "24:00"}` for round the clock."""

    @model_validator(mode="after")
    def _what(self) -> AgencyEffect:
        if self.staff is None and self.hours is None:
            raise ValueError("give 'staff', 'hours' or both")
        return self


class MovementEffect(_Timed):
    """Start or stop people leaving home in areas of the movement network."""

    kind: Literal["movement"]
    action: Literal["start", "stop"]
    areas: list[Identifier] = []
    """Area ids; empty means every area."""


class TellEffect(Cited):
    """Tell agencies something: a message from `from` (an agency or `simcell`) that each handles on arrival."""

    kind: Literal["tell"]
    to: list[Identifier] = Field(min_length=1)
    from_: str = Field(default="simcell", alias="from")
    """Sender: an agency id (the message travels over channels) or `simcell` (straight into the inbox)."""
    synopsis: str = Field(min_length=1)
    """What they are told."""


DomainEffect = CloseEffect | OpenEffect | ChannelEffect | AgencyEffect | MovementEffect | TellEffect
"""Effects on the world's places, channels, agencies and movement (the domain models apply them)."""

ConsequenceEffect = SetEffect | AddEffect | ScaleEffect | FireEffect | CancelEffect
"""State and inject effects; the main schema joins them and the domain effects into `Effect`."""

StateEffect = SetEffect | AddEffect | ScaleEffect

HazardEffect = Annotated[ConsequenceEffect | DomainEffect, Field(discriminator="kind")]


# ---------------------------------------------------------------------------
# Hazards
# ---------------------------------------------------------------------------


class RateStep(Strict):
    """One row of a rate table: from this state value upwards (until the next row), this rate."""

    at_least: float
    per_day: Annotated[float, Field(ge=0)]


def _bare_rate(value: Any) -> Any:
    """A bare number is a constant rate per day."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"per_day": value}
    return value


class Rate(Cited):
    """Occurrences per day: constant (`per_day`), linear in a state variable
    (`per_day + per_unit * state`, never below 0) or a table by state value."""

    per_day: Annotated[float, Field(ge=0)] = 0.0
    """Constant rate per day (with `per_unit`: the rate when the variable is 0)."""
    state: Identifier | None = None
    """The state variable the rate depends on."""
    per_unit: float | None = None
    """Rate per day added for each unit of `state` (may be negative; the rate never goes below 0)."""
    table: list[RateStep] | None = None
    """Rate by `state` value: the last row whose `at_least` the value reaches (0 below the first row)."""

    @model_validator(mode="after")
    def _shape(self) -> Rate:
        if (self.per_unit is not None or self.table is not None) and self.state is None:
            raise ValueError("'per_unit' and 'table' need 'state'")
        if self.state is not None and (self.per_unit is None) == (self.table is None):
            raise ValueError("with 'state', give exactly one of 'per_unit' or 'table'")
        if self.table is not None:
            if not self.table:
                raise ValueError("'table' needs at least one row")
            steps = [row.at_least for row in self.table]
            if steps != sorted(steps) or len(set(steps)) != len(steps):
                raise ValueError("table rows must have increasing 'at_least'")
        return self

    def at(self, value: float) -> float:
        """The rate per day when the variable (if any) has `value`."""
        if self.table is not None:
            rate = 0.0
            for row in self.table:
                if value >= row.at_least:
                    rate = row.per_day
            return rate
        if self.per_unit is not None:
            return max(0.0, self.per_day + self.per_unit * value)
        return self.per_day


class Hazard(Cited):
    """A random event (weather, an adversary's move) whose rate may depend on state."""

    id: Identifier
    """Name; also names the hazard's own random stream (`hazard.<id>`)."""
    title: str
    """What happens, e.g. `Missile strike closes the airport`."""
    rate: Annotated[Rate, BeforeValidator(_bare_rate)]
    """Occurrences per day; a bare number is constant."""
    when: When | None = None
    """The hazard can occur only while this holds."""
    limit: int | None = Field(default=None, ge=1)
    """At most this many occurrences in a run (default no limit)."""
    effects: list[HazardEffect] = Field(min_length=1)
    """What each occurrence does (change state, close places, slow channels, tell agencies, fire injects)."""


# ---------------------------------------------------------------------------
# Metrics and objectives
# ---------------------------------------------------------------------------


class Statistic(StrEnum):
    final = "final"
    max = "max"
    min = "min"
    mean = "mean"


class _Metric(Cited):
    id: MetricId
    """Key in the run's `metrics` (and the name `compare` reports)."""
    title: str | None = None
    """How the metric reads in tables."""


class SpanMetric(_Metric):
    """Hours from when `start` first holds to when `end` first holds (at or after that)."""

    kind: Literal["span"]
    start: When
    end: When


class TimeMetric(_Metric):
    """Hours from T+0 to when a condition first holds."""

    kind: Literal["time"]
    when: When


class StateMetric(_Metric):
    """A statistic of a state variable over the run: final, max, min or time-weighted mean."""

    kind: Literal["state"]
    state: Identifier
    statistic: Statistic = Statistic.final


class CountMetric(_Metric):
    """How many events of one kind happened (or the sum of one of their payload values)."""

    kind: Literal["count"]
    event: str = Field(min_length=1)
    """Event kind, e.g. `hazard_occurred`, `departed` (see the event catalogue)."""
    target: str | None = None
    """Only events with this target (e.g. a hazard id for `hazard_occurred`)."""
    source: str | None = None
    """Only events from this source."""
    sum: str | None = None
    """Add up this payload value instead of counting, e.g. `people` of `cohort_arrived`."""


class EventMatch(Strict):
    """Events of one kind, optionally only with this target or source."""

    event: str = Field(min_length=1)
    """Event kind, e.g. `movement_started`, `movement_completed` (see the event catalogue)."""
    target: str | None = None
    source: str | None = None


class EventTimeMetric(_Metric):
    """Hours until the first event of a kind (or the last, with `last: true`), from T+0 or from the
    first event matching `since` (for what the engine measures itself, e.g. an evacuation's completion)."""

    kind: Literal["event_time"]
    event: str = Field(min_length=1)
    target: str | None = None
    source: str | None = None
    last: bool = False
    """Use the last matching event instead of the first."""
    since: EventMatch | None = None
    """Measure from the first event matching this instead of T+0 (null if it never came)."""


class IndicatorMetric(_Metric):
    """1 if the condition held at some time in the run, else 0 (`compare` gives the share of runs)."""

    kind: Literal["indicator"]
    when: When


Metric = Annotated[
    SpanMetric | TimeMetric | StateMetric | CountMetric | IndicatorMetric | EventTimeMetric,
    Field(discriminator="kind"),
]


class Objective(Cited):
    """A target for one metric; reported as met (1), not met (0) or null when the metric did not happen."""

    id: Identifier
    title: str | None = None
    metric: MetricId
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _target(self) -> Objective:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give a target: at_least, at_most or both")
        return self

    def met(self, value: float | None) -> int | None:
        if value is None:
            return None
        ok = (self.at_least is None or value >= self.at_least) and (self.at_most is None or value <= self.at_most)
        return int(ok)
