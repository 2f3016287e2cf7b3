"""The movement network: people moving over places and links of any mode.

A `movement:` section describes where people are (`populations`, grouped by
`area` and class), where they may go (`places`: homes, assembly points, hubs,
shelters, destinations), how they get there (`links` of any mode, each with a
travel time, a capacity, operating hours and an initial open/closed status),
and when staying becomes dangerous (`areas` with a deadline: a tsunami's
arrival, an ash fall). Everyone still outside a safe place when their area's
deadline passes is counted as exposed.

The model moves cohorts (groups of people travelling together) and vehicles,
never single people, and waits on events (departures, arrivals, openings,
closures, released capacity) instead of polling. Effects (`close`, `open`,
`movement`) name these places, links and areas.

This module imports no other scenario section but the consequence models it
shares (`When`); the main schema plugs it in as the optional `movement:`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.consequences import When
from sim.scenario.types import Cited, Distribution, Duration, Fixed, Identifier, Window

MAX_PEOPLE = 10_000_000
"""Most people one population may hold (a large city); the model moves cohorts, so this bounds counts, not work."""

MAX_COHORTS = 10_000
"""Most cohorts one population may leave in: each is a process in the engine."""

MAX_VEHICLES = 10_000
"""Most vehicles one link may run: each is a process in the engine."""


class PlaceKind(StrEnum):
    """What a place is for; `shelter` and `destination` are where people are safe."""

    home = "home"
    assembly = "assembly"
    hub = "hub"
    shelter = "shelter"
    destination = "destination"


SAFE_KINDS = frozenset({PlaceKind.shelter, PlaceKind.destination})
"""Place kinds that count as safe when a population does not list its own `to:`."""


class Mode(StrEnum):
    """How people travel a link."""

    walk = "walk"
    car = "car"
    bus = "bus"
    rail = "rail"
    air = "air"
    sea = "sea"


class Place(Cited):
    """A point of the network: where people live, gather, change mode or are safe."""

    id: Identifier
    """Name used by links, populations and `close` / `open` effects, e.g. `shiroyama_hill`."""
    title: str | None = None
    """How the place reads to players, e.g. `Shiroyama hill (26 m)`."""
    kind: PlaceKind
    """`home`, `assembly`, `hub`, `shelter` or `destination` (the last two are safe by default)."""
    capacity: Annotated[int, Field(ge=0, le=MAX_PEOPLE)] | None = None
    """Most people the place can take in; no limit when omitted. At a `shelter` or `destination`,
    its places: a cohort larger than what is left is split and the rest goes on to the next safe
    place. At a `hub`, `assembly` or `home`, the people it holds at once (an airport terminal):
    a cohort routes through it only while there is room for the whole cohort beside those already
    there or on their way, and otherwise waits where it is (or takes another way) until people
    leave it."""
    open: bool = True
    """Open at T+0; a closed place (a vertical-evacuation building not yet unlocked) takes nobody
    until an `open` effect names it."""


class Vehicles(Cited):
    """Vehicles that shuttle a link, loading up to their seats people at its start whom it brings nearer safety.

    People wait for a vehicle at a place, not at one link: a vehicle of any link leaving that place
    takes, in order of arrival, everyone waiting there whom its link brings closer to one of their
    safe places (and whose modes include its mode). So several ship groups or bus lines serving one
    quay or stop share its queue, as people board whichever comes first."""

    count: Annotated[int, Field(ge=1, le=MAX_VEHICLES)]
    """How many vehicles run the link."""
    seats: Annotated[int, Field(ge=1, le=100_000)]
    """People one vehicle carries per trip."""
    turnaround: Distribution = Field(default_factory=lambda: Fixed(value=0.0))
    """Time to unload and come back empty for the next load (on top of the link's `time`)."""
    ready: Duration = 0.0
    """Scenario time (from T+0) at which the vehicles are first at the link's start, e.g. `4h30m` for
    ships still at sea when the scenario begins. People may go to the start and wait for them before;
    routing counts the time left until then as part of the link's expected time. Default: at T+0."""
    per_day: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    """Most departures a day of all the link's vehicles together (flights a day its stands and slots
    allow; a ship's one sailing a day), counted per calendar day from midnight; a vehicle ready to
    leave once the day's departures are used waits for the next day. No limit when omitted."""
    headway: Duration = 0.0
    """Least time between two departures of the link's vehicles (a stand's turn, a runway slot, a ship's
    sailing interval): a vehicle starts loading no sooner than this after the one before it, so the
    departures a day spread over the hours instead of all loading at the opening. Default: none."""
    max_wait: Duration = 0.0
    """Longest a vehicle that is not full waits for more people after the first boards (a ship held
    for the next busload). It leaves earlier when full, or when nobody else can still come (everyone
    not yet safe or exposed is aboard a vehicle or waiting at this place). Default: leaves at once."""


class Link(Cited):
    """A way from one place to another by one mode, with its own travel time and capacity."""

    id: Identifier
    """Name used by `close` / `open` effects and in events, e.g. `harbour_bridge`."""
    title: str | None = None
    """How the link reads to players, e.g. `Harbour ferry`."""
    from_: Identifier = Field(alias="from")
    """Place the link starts at."""
    to: Identifier
    """Place the link leads to."""
    mode: Mode = Mode.walk
    """`walk`, `car`, `bus`, `rail`, `air` or `sea`."""
    time: Distribution
    """Travel time of one cohort or vehicle trip, e.g. `12m` or a triangular distribution."""
    per_hour: Annotated[float, Field(gt=0, le=10_000_000)] | None = None
    """Most people the link lets through per hour (a road's or a stair's flow); no limit when omitted.
    Cohorts queue for it in order of arrival."""
    vehicles: Vehicles | None = None
    """Vehicles that carry people over this link (a bus shuttle); without them people go by themselves."""
    hours: Window = Field(default_factory=Window)
    """Daily operating hours; people wait at the start outside them. Default: around the clock."""
    open: bool = True
    """Open at T+0; a closed link is left out of every route until an `open` effect names it."""
    both_ways: bool = False
    """The same link also runs from `to` back to `from` (same time, capacity and status)."""
    scale: Identifier | None = None
    """A state variable the link's capacity is multiplied by, read whenever it changes: its flow limit
    (`per_hour`) and its vehicles' seats take that share (at least one seat while it runs), and at 0
    the link is closed until the variable rises again (flights grounded while `airspace_open` is 0,
    half the buses while `fuel` is 0.5). Default: the capacity as given."""

    @model_validator(mode="after")
    def _distinct_ends(self) -> Link:
        if self.from_ == self.to:
            raise ValueError("a link needs two different places ('from' and 'to' are the same)")
        return self


class Area(Cited):
    """A danger zone: after its deadline, its people who are not yet safe are counted as exposed."""

    id: Identifier
    """Name used by populations and `movement` effects, e.g. `harbour_district`."""
    title: str | None = None
    """How the area reads to players."""
    deadline: Duration | None = None
    """Scenario time (from T+0) at which the danger arrives, e.g. `15m` for a tsunami's first wave."""
    when: When | None = None
    """Or: the danger arrives when this condition first holds (plus `delay`), e.g. an eruption inject."""
    delay: Duration = 0.0
    """With `when`: time from the condition holding to the danger arriving."""

    @model_validator(mode="after")
    def _one_deadline(self) -> Area:
        if self.deadline is not None and self.when is not None:
            raise ValueError("give 'deadline' or 'when', not both")
        return self


class Turnout(Cited):
    """When and how fast a population leaves: a start condition, then a spread of departure delays."""

    when: When | None = None
    """Start when this condition first holds (an order, a warning); default at T+0.
    A `movement: start` effect on the area starts it too; `stop` holds those not yet gone."""
    delay: Distribution = Field(default_factory=lambda: Fixed(value=0.0))
    """Each cohort's time from the start to leaving home (preparation, hesitation)."""
    compliance: Identifier | None = None
    """State variable (0-1) read at the start: the share of people who leave at all; the rest stay put."""
    per_hour: Annotated[float, Field(gt=0, le=10_000_000)] | None = None
    """Or: people leave home at this rate from the start (a town reporting to its registration centre),
    in batches of ten minutes' worth, instead of in `cohorts` after a `delay`. A `movement: stop`
    holds the rate at 0 until a `start`."""
    hours: Window = Field(default_factory=Window)
    """With `per_hour`: the daily hours in which people leave home. Default: around the clock."""
    voluntary: bool = False
    """These people leave of their own accord, before and regardless of any order (visitors going home
    on scheduled services): their start is not the movement's start, so it emits no `movement_started`
    and the movement's hours count from the first population that is not voluntary."""
    join: Identifier | None = None
    """With `per_hour`: a population (the town's residents) whose movement start ends these people's own
    pace: those still at home then leave at once, in cohorts of that population's ten minutes' worth
    (tourists going home on scheduled services until the order, then with everyone else)."""
    scale: Identifier | None = None
    """With `per_hour`: a state variable the rate is multiplied by, read whenever it changes
    (a compliance that falls with fear or rises with reassurance)."""

    @model_validator(mode="after")
    def _rate_or_delay(self) -> Turnout:
        if self.per_hour is None and (self.scale is not None or self.join is not None or not self.hours.always_open):
            raise ValueError("'hours', 'scale' and 'join' go with 'per_hour'")
        return self


class Population(Cited):
    """People of one class in one area who start at one place and seek a safe place."""

    id: Identifier
    """Name shown in events, e.g. `harbour_residents`."""
    area: Identifier
    """Area whose deadline applies to these people."""
    class_: str = Field(default="residents", alias="class")
    """Kind of people, e.g. `residents`, `visitors`, `care_home` (for reports only)."""
    people: Annotated[int, Field(ge=0, le=MAX_PEOPLE)]
    """How many people."""
    start: Identifier
    """Place where they are at T+0."""
    to: list[Identifier] = []
    """Places where these people are safe; default every shelter and destination."""
    modes: list[Mode] = []
    """Modes they may use (e.g. `[walk]` for people without a car); default every mode."""
    cohorts: Annotated[int, Field(ge=1, le=MAX_COHORTS)] = 10
    """How many groups they leave in (each with its own departure delay)."""
    turnout: Turnout = Field(default_factory=Turnout)
    """When they start to leave and how their departures spread."""


class CountsState(Cited):
    """State variables the movement model keeps equal to its running totals (so conditions,
    decisions and metrics can read them). Each must be declared under `state:`."""

    safe: Identifier | None = None
    """People who have reached a safe place."""
    exposed: Identifier | None = None
    """People caught outside a safe place by their area's deadline."""
    in_danger: Identifier | None = None
    """People neither safe nor exposed yet (at home, on the way or waiting)."""
    share_safe: Identifier | None = None
    """Safe people as a share (0-1) of everyone in every population."""


class MovementConfig(Cited):
    """People moving over a network of places and links to safety, against deadlines."""

    places: list[Place] = Field(min_length=1)
    """Every place people start at, pass through or reach."""
    links: list[Link] = []
    """Every way between places."""
    areas: list[Area] = Field(min_length=1)
    """Danger zones and their deadlines."""
    populations: list[Population] = Field(min_length=1)
    """Who moves, from where, to which safe places."""
    counts: CountsState | None = None
    """State variables that mirror the running totals (safe, exposed, in danger, share safe)."""
