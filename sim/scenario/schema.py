"""The scenario format: what a trainer or analyst writes in `scenarios/*.yaml`.

Everything the engine models is read from here, so a number can be sourced,
questioned and patched by a reform without touching code. The models are
strict (unknown keys are errors) and frozen (a loaded scenario never changes;
reforms produce a new one). Cross-references between sections are checked in
`references.py`, not here, so that every problem can be reported at once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from sim.scenario.consequences import (
    AddEffect,
    AgencyEffect,
    CancelEffect,
    ChannelEffect,
    CloseEffect,
    FireEffect,
    Hazard,
    Metric,
    MovementEffect,
    Objective,
    OpenEffect,
    ScaleEffect,
    SetEffect,
    TellEffect,
    Variable,
    When,
)
from sim.scenario.movement import MovementConfig
from sim.scenario.types import (
    Cited,
    Distribution,
    Duration,
    Fixed,
    Identifier,
    Strict,
    Weight,
    Window,
    format_duration,
)

MAX_HORIZON = 366 * 1440.0
"""Longest horizon a scenario may declare (a year and a day, in minutes): an exercise
or an analysis run never needs more, and every model's activity grows with it."""

MIN_RETRY = 1.0
"""Shortest wait before resending over an unreliable channel (minutes): a shorter
wait lets an unlucky message be resent without end at one instant."""

MAX_FACTOR = 1000.0
"""Largest multiplier an inject effect may apply (a channel slow-down)."""


MIN_PACE, MAX_PACE = 0.1, 2880.0
"""Slowest and fastest clock a live session runs (simulated minutes per wall second)."""


def _playable_pace(minutes: float) -> float:
    if not MIN_PACE <= minutes <= MAX_PACE:
        raise ValueError(
            f"must be between 0.1m and 2d of simulated time per wall second, got {format_duration(minutes)}"
        )
    return minutes


class Metadata(Cited):
    """What the exercise is, when it starts and how long it may run."""

    id: Identifier
    """Short id used in results, e.g. `tsunami`."""
    title: str
    """Title shown on the briefing screen and in reports."""
    description: str = ""
    """One paragraph: the situation and what the exercise is for."""
    start: datetime
    """Calendar time of T+0, ISO 8601 in quotes, e.g. `"2027-04-05T06:00:00+09:00"`."""
    horizon: Duration
    """How far the simulation runs at most, e.g. `21d` (at most `366d`)."""
    objectives: list[str] = []
    """Exercise objectives (HSEEP): what the players should demonstrate."""
    pace: Annotated[Duration, AfterValidator(_playable_pace)] = 60.0
    """Simulated time per wall-clock second when a live session starts (`play`, `host`), e.g. `1m` for
    a tsunami's two hours played in two minutes; the facilitator changes it during play. Default `1h`."""

    @model_validator(mode="after")
    def _bounded(self) -> Metadata:
        if self.horizon > MAX_HORIZON:
            raise ValueError(
                f"horizon {format_duration(self.horizon)} is longer than the {format_duration(MAX_HORIZON)} "
                "a scenario may run; split the exercise or shorten the horizon"
            )
        return self


class AgencyKind(StrEnum):
    executive = "executive"
    secretariat = "secretariat"
    ministry = "ministry"
    military = "military"
    coast_guard = "coast_guard"
    prefecture = "prefecture"
    municipality = "municipality"
    host_prefecture = "host_prefecture"
    ally = "ally"
    alliance = "alliance"
    operator = "operator"


class Agency(Cited):
    """An organisation that receives, handles and passes on messages and owns decisions."""

    id: Identifier
    name: str
    """Full name, e.g. `Prefectural Government`."""
    kind: AgencyKind
    parent: Identifier | None = None
    """Next agency up the chain of command (`null` at the top)."""
    staff: int = Field(default=2, ge=1)
    """Messages the agency can handle at the same time."""
    handling: Distribution = Field(default_factory=lambda: Fixed(value=10.0))
    """Time to read, decide what to do with and pass on one message."""
    hours: Window = Field(default_factory=Window)
    """Working hours in which messages are handled; default around the clock."""
    role: str | None = None
    """Role title for the player who may act for this agency, e.g. `Prefectural Governor`."""
    relay: bool = False
    """Passes on messages between any of its lines (a liaison hub, a crisis centre). Without it an
    agency passes messages on only up and down the chain of command."""
    forwards: list[Identifier] = []
    """Agencies it passes every inject it receives on to (over the channels), e.g. a prefecture
    forwarding warnings to its municipalities. Injects reach only the agencies they name and these."""
    brief: str | None = None
    """What this role's player is told at the start (shown at their seat, never to other roles)."""


class Channel(Cited):
    """A direct line between two agencies; without one, messages climb the hierarchy.

    A message uses a channel for one hop; an agency in the middle of a route
    passes it on only if it is a `relay:` or the message moves up or down the
    chain of command through it."""

    id: Identifier | None = None
    """Optional name, so a reform can patch `channels.<id>.latency`."""
    from_: Identifier = Field(alias="from")
    to: Identifier
    latency: Distribution
    """Transmission time of one message."""
    reliability: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    """Chance a message gets through on one try (above 0); a failed try is resent after `retry`."""
    retry: Duration = 30.0
    """Wait before resending a message that did not get through (at least `1m` when `reliability` is below 1)."""
    both_ways: bool = True
    """The same line also carries messages from `to` back to `from`."""
    carries: list[Identifier] | None = None
    """Only these decisions' outcomes and injects travel on it (ids); default: everything."""

    @model_validator(mode="after")
    def _retry_advances(self) -> Channel:
        if self.reliability < 1.0 and self.retry < MIN_RETRY:
            raise ValueError(
                f"retry must be at least {format_duration(MIN_RETRY)} when reliability is below 1, "
                f"or lost messages are resent without end at one instant"
            )
        return self


class Routing(Cited):
    """How messages travel between agencies that share no direct channel."""

    hierarchy_latency: Distribution = Field(default_factory=lambda: Fixed(value=30.0))
    """Latency of one hop up or down the chain of command where no channel is declared."""


class Condition(Strict):
    """A fact an agency must know: a decision taken (with one of `options`) or an inject received."""

    decision: Identifier | None = None
    inject: Identifier | None = None
    options: list[Identifier] | None = None
    """Only these outcomes satisfy the condition; default any outcome."""

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        if (self.decision is None) == (self.inject is None):
            raise ValueError("give exactly one of 'decision' or 'inject'")
        if self.inject is not None and self.options is not None:
            raise ValueError("'options' applies only to a decision")
        return self


class DecisionOption(Cited):
    id: Identifier
    """Option id, used in conditions (`options: [yes]`)."""
    label: str
    """How the option reads to the player."""
    probability: Weight = 1.0
    """Relative weight with which the modelled policy chooses this option."""
    consequence: str | None = None
    """One line telling the player what taking this option does (shown in the console)."""
    effects: list[Effect] = []
    """What taking this option does to the world (state, injects, closures, ...)."""


class Decision(Cited):
    """A point where an agency must choose; a human role or the modelled policy answers."""

    id: Identifier
    title: str
    """The question, e.g. `Recognise an armed-attack-anticipated situation?`"""
    owner: Identifier
    """Agency that takes the decision (and the role that plays it)."""
    requires: list[Condition] = []
    """Facts the owner must know first (all of them); they reach it as messages."""
    when: When | None = None
    """Also wait until this holds in the world (no message needed): state, decisions, injects, time."""
    skip_if: list[Condition] = []
    """If the owner knows any of these when the decision comes up, it is not needed."""
    delay: Distribution
    """Modelled time from the decision coming up to the answer."""
    options: list[DecisionOption] = Field(min_length=1)
    notify: list[Identifier] = []
    """Agencies told of the outcome besides the owners of dependent decisions."""
    expected: str | None = None
    """What the exercise design expects (shown to evaluators, used in the AAR)."""
    expected_within: Duration | None = None
    """Expected time from the decision coming up to the answer, for P/S/M/U ratings."""
    expected_from: Condition | None = None
    """Count `expected_within` from when this happened in the world (an inject fired, a
    decision taken anywhere) instead of from the decision coming up: the time the owner's
    chain spent learning of it then counts against the owner too. E.g. `{inject: m04}`."""
    repeat: Duration | None = None
    """Re-open the decision this long after each time it is taken (e.g. `12h`: a standing review);
    it comes up again once its `requires` and `when` hold. Default: taken once."""

    @model_validator(mode="after")
    def _unique_options(self) -> Decision:
        if self.repeat is not None and self.repeat <= 0:
            raise ValueError("repeat must be longer than 0m (a decision cannot re-open at the instant it is taken)")
        ids = [o.id for o in self.options]
        if len(ids) != len(set(ids)):
            raise ValueError(f"option ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
        if sum(o.probability for o in self.options) <= 0:
            raise ValueError("at least one option needs a probability above 0")
        return self


# --------------------------------------------------------------------------
# Effects: what an option, an inject or a hazard does to the modelled world
# besides telling agencies something (the general ones are in consequences.py).
# --------------------------------------------------------------------------


class ChannelDisruptionEffect(Cited):
    """A cyberattack slows every message to or from some agencies."""

    kind: Literal["channel_disruption"]
    agencies: list[Identifier] = Field(min_length=1)
    factor: Annotated[float, Field(ge=1, le=MAX_FACTOR)]
    """Multiplier on channel latency, e.g. 4 for four times slower."""
    duration: Duration


Effect = Annotated[
    ChannelDisruptionEffect
    | SetEffect
    | AddEffect
    | ScaleEffect
    | FireEffect
    | CancelEffect
    | CloseEffect
    | OpenEffect
    | ChannelEffect
    | AgencyEffect
    | MovementEffect
    | TellEffect,
    Field(discriminator="kind"),
]
DecisionOption.model_rebuild(force=True)  # resolve `effects: list[Effect]`, declared above `Effect`


class Inject(Cited):
    """One row of the Master Scenario Events List (HSEEP MSEL)."""

    id: Identifier
    """Control number, e.g. `m01`."""
    at: Duration | None = None
    """Scenario time at which the inject fires, e.g. `1d6h`."""
    trigger: Condition | None = None
    """Or: fire when this decision is taken (anywhere), after `delay`."""
    when: When | None = None
    """Or: fire when this condition first holds, after `delay` (e.g. a deadline passed without a decision)."""
    delay: Duration = 0.0
    """Wait after the trigger before firing."""
    on_demand: bool = False
    """Held in the library for the facilitator to fire by hand; never scheduled."""
    from_: str = Field(default="simcell", alias="from")
    """Who sends it (an agency id or `simcell`, the exercise control cell)."""
    to: list[Identifier] = Field(min_length=1)
    """Agencies that receive it."""
    method: str = "phone"
    """How it arrives: phone, email, news, liaison officer, ..."""
    synopsis: str
    """What the players are told."""
    expected_action: str = ""
    """What the players are expected to do (MSEL 'expected player action')."""
    objective: str | None = None
    """Exercise objective / core capability this inject tests."""
    controller: str | None = None
    """Responsible controller."""
    contingency: bool = False
    """A contingency inject, held back unless play needs it."""
    notes: str | None = None
    public: bool | None = None
    """Shown on the class's public display when it fires. Default: yes for news, press,
    media, broadcast and bulletin methods, no otherwise."""
    effects: list[Effect] = []

    @model_validator(mode="after")
    def _timing(self) -> Inject:
        timed = (self.at is not None) + (self.trigger is not None) + (self.when is not None)
        if self.on_demand and timed:
            raise ValueError("an on_demand inject has neither 'at', 'trigger' nor 'when'")
        if not self.on_demand and timed != 1:
            raise ValueError("give exactly one of 'at', 'trigger' or 'when' (or set on_demand: true)")
        return self


class Patch(Strict):
    """Set one value in the scenario. Paths are dotted; list items are named by their id:
    `decisions.basic_response_policy.delay` or `channels.0.latency`."""

    path: str = Field(min_length=1)
    """Dotted path into the scenario, list items by id: `channels.acg_nss.latency`."""
    value: Any
    """The new value (replaces the whole value at the path)."""


class Reform(Cited):
    """A named overlay that changes how coordination works, applied before a run."""

    id: Identifier
    title: str
    description: str = ""
    patches: list[Patch] = Field(min_length=1)


class Scenario(Cited):
    """A complete exercise: world, decision chains, MSEL and reforms."""

    scenario: Metadata
    """Identity, calendar start, horizon and objectives."""
    routing: Routing = Field(default_factory=Routing)
    """How messages travel where no channel is declared."""
    agencies: list[Agency] = Field(min_length=1)
    """Every organisation in play, with its place in the chain of command."""
    channels: list[Channel] = []
    """Direct lines between agencies."""
    decisions: list[Decision] = []
    """Decision points and their modelled policies."""
    injects: list[Inject] = []
    """The MSEL: scheduled, triggered and on-demand injects."""
    reforms: list[Reform] = []
    """Named overlays an analyst can apply with `--reform`."""
    movement: MovementConfig | None = None
    """People moving over a network of places and links to safety, against deadlines (see `movement.py`)."""
    state: list[Variable] = []
    """World state: named variables that effects change and conditions, hazards and metrics read."""
    hazards: list[Hazard] = []
    """Random events whose rate may depend on state, each on its own random stream."""
    metrics: list[Metric] = []
    """The scenario's own metrics, computed from the event stream and reported by `run` and `compare`."""
    objectives: list[Objective] = []
    """Targets for metrics; each is reported as met (1), not met (0) or null."""

    def agency(self, agency_id: str) -> Agency:
        return next(a for a in self.agencies if a.id == agency_id)

    def decision(self, decision_id: str) -> Decision:
        return next(d for d in self.decisions if d.id == decision_id)

    def inject(self, inject_id: str) -> Inject:
        return next(i for i in self.injects if i.id == inject_id)

    def reform(self, reform_id: str) -> Reform:
        return next(r for r in self.reforms if r.id == reform_id)

    def area_name(self, area_id: str | None) -> str:
        """How an area of the movement network reads to players: its title, or its id when it has none
        (ids of events, logs, reports)."""
        return _name_of([(a.id, a.title) for a in self.movement.areas] if self.movement else [], area_id)

    def place_name(self, place_id: str | None) -> str:
        """A movement network place's title (`Shiroyama hill (26 m)`), or its id when it has none."""
        return _name_of([(p.id, p.title) for p in self.movement.places] if self.movement else [], place_id)

    def agency_name(self, agency_id: str | None) -> str:
        """An agency's name (`National Security Secretariat / NSC`), or its id when there is no such agency."""
        return _name_of([(a.id, a.name) for a in self.agencies], agency_id)

    def decision_title(self, decision_id: str | None) -> str:
        """A decision's title (the question put to its owner), or its id when there is no such decision."""
        return _name_of([(d.id, d.title) for d in self.decisions], decision_id)

    def link_name(self, link_id: str | None) -> str:
        """A movement network link's title (`One patrol vessel A -> B`), or its id when it has none."""
        return _name_of([(k.id, k.title) for k in self.movement.links] if self.movement else [], link_id)

    def population_name(self, population_id: str | None) -> str:
        """A population as people read it: its area's name and its class (`Harbour district: care home`),
        populations having no title of their own; its id when there is no such population."""
        for population in self.movement.populations if self.movement else []:
            if population.id == population_id:
                return f"{self.area_name(population.area)}: {population.class_.replace('_', ' ')}"
        return str(population_id)

    def channel_name(self, channel_id: str | None) -> str:
        """A named channel as the two agencies it joins (`Agency A -> Agency B`), or its id."""
        for channel in self.channels:
            if channel.id is not None and channel.id == channel_id:
                return f"{self.agency_name(channel.from_)} -> {self.agency_name(channel.to)}"
        return str(channel_id)

    def name_of(self, ident: str | None) -> str:
        """Whatever `ident` names in this scenario, as people read it: an agency, decision, channel,
        movement link, population, area or place (in that order); `ident` itself when nothing has it.
        For ids met in analyses (seams of a critical path) whose kind is not known beforehand."""
        for name in (
            self.agency_name,
            self.decision_title,
            self.channel_name,
            self.link_name,
            self.population_name,
            self.area_name,
            self.place_name,
        ):
            named = name(ident)
            if named != str(ident):
                return named
        return str(ident)


def _name_of(named: list[tuple[str, str | None]], ident: str | None) -> str:
    """The first non-empty name given to `ident`, else `ident` itself as text."""
    return next((name for key, name in named if key == ident and name), None) or str(ident)
