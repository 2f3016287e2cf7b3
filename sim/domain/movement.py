"""The movement model: cohorts of people moving over a network of places and links.

Event-driven, with no tick: every cohort is one SimPy process that waits on
exactly what holds it up (its departure delay, a link's operating hours, its
turn at a link with a flow limit, a vehicle, a closed route reopening) and
every vehicle waits for people to board. A cohort (people travelling
together) moves as one; it is split only where capacity is partial: a vehicle
with fewer seats left, a shelter with fewer places left.

Routing: from where it stands, a cohort takes the shortest expected travel
time over open links (of the modes its population may use) to the nearest
open safe place with room left; when a link or place closes or a shelter
fills, waiting cohorts choose again. A cohort already on a link finishes it.
Routing runs thousands of times a run, so a population's few candidate routes
from a place are listed once and priced instead of searched (the same route
to the last bit; the search settles what the list cannot: a street grid with
too many routes, ties between different ways), and where all of them go the
same way, only whether one is open is asked.

Vehicles: people wait for them at a place, in one queue per place, and a
vehicle of any link leaving it takes whoever its link brings closer to one of
their safe places (ship groups or bus lines sharing a quay or a stop). A
vehicle runs from its `ready` time (routing counts the wait until then) and,
when not full, waits up to `max_wait` for more people unless nobody else can
still come.

The ledger: every person is at all times exactly one of safe (reached a safe
place), exposed (outside a safe place when their area's deadline passed) or
in danger (neither yet). `people_exposed` and `cohort_arrived` carry the
counts, so moved + exposed + in danger = population holds on the event stream
as well as here.

Effects reach the model through `close`, `open` (places and links, any mode
or only links of one mode) and `change_movement` (`start` / `stop` areas),
called by the one effect dispatcher (`sim.domain.effects`).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import simpy

from sim.domain.context import Context
from sim.domain.state import Adjustable, Adjuster
from sim.engine.clock import MINUTES_PER_DAY, minutes_until_open
from sim.engine.release import Release
from sim.engine.signals import Signal, any_of, first_of
from sim.events import Kind
from sim.scenario.movement import SAFE_KINDS, Link, Mode, MovementConfig, Place, Population, Turnout, Vehicles
from sim.scenario.types import Window

SOURCE = "movement"

BATCH_MINUTES = 10.0
"""A rate turnout lets people go in batches of this many minutes' worth (at least one person), as the
island model does: the events grow with the people moved, not with the hours that pass."""

ROUTE_LIMIT = 16
"""Most candidate routes listed for one population from one place (and, times 8, most steps taken
listing them): beyond that (a street grid) routing searches the network every time instead."""


@dataclass(slots=True)
class _Place:
    spec: Place
    open: Adjustable
    room: float
    """Places left (infinite without a capacity)."""
    heading: int = 0
    """People on their way here (routing sends no more than there is room for)."""
    waiting: list[_Cohort] = field(default_factory=list)
    """Cohorts waiting here for a vehicle, in order of arrival (any link leaving here may take them)."""
    boarding: Signal = field(default_factory=Signal)
    """Fired when someone joins `waiting` (vehicles wait on it)."""

    queued: int = 0
    """People in `waiting` (kept as they join, board or leave; recounted when a vehicle looks)."""
    freed: deque[_Blocked] = field(default_factory=deque)
    """Cohorts waiting before this holding place while it is full, in order."""
    promised: int = 0
    """People let go from `freed` who have not chosen again yet: the room they were let go for is kept
    in mind for them (see `Movement._let_in`)."""

    pruned: int = 0
    """How many areas' dangers had come when its queue was last rid of those exposed (see `_recount`)."""

    walkable: bool = False
    """Some link out of it needs no vehicle (people waiting here for one may take it instead)."""

    holds: bool = False
    """A hub, assembly point or home with a capacity: `room` is what is left of it beside the people
    in it or on their way in; a cohort goes in only while it fits, and waits before it otherwise."""
    blocked: int = 0
    """People waiting before a full holding place to go in."""
    outflow: float = math.inf
    """People a minute the links out of a holding place can take on (routing's estimate of how
    soon room frees)."""


@dataclass(slots=True, eq=False)
class _Blocked:
    """A cohort waiting before a full holding place (see `_Place.freed`)."""

    wake: simpy.Event
    people: int
    queued: bool = True
    """Still in the place's line (`Movement._let_in` takes it out when it lets it go)."""
    promised: bool = False
    """Let go for room that is kept in mind for it (`_Place.promised`) until it chooses again."""


@dataclass(slots=True)
class _Link:
    """One link's live state, shared by both directions of a `both_ways` link."""

    spec: Link
    open: Adjustable
    gate: list[list[Any]] | None
    """The flow limit: one cohort at a time passes the gate, for people / per_hour; the cohorts at it
    in order, each `[wake-up, passing]`, the first passing (None without a flow limit)."""
    queued: int = 0
    """People waiting for or passing the gate (routing adds the wait they cause)."""
    changed: Signal = field(default_factory=Signal)
    factor: float = 1.0
    """Its capacity now as a share of the scenario's (its `scale:` variable's value, at least 0)."""
    hold: int = 0
    """With a `scale:`: the token of the closure the scale holds on `open` while it is 0."""
    id: str = field(init=False)
    vehicles: Vehicles | None = field(init=False)
    per_hour: float | None = field(init=False)
    """The spec's, read once: a scenario's types are pydantic models, whose attributes are read
    through a Python hook, and the run reads these at every step of every cohort."""

    def __post_init__(self) -> None:
        self.id, self.vehicles, self.per_hour = self.spec.id, self.spec.vehicles, self.spec.per_hour

    @property
    def is_open(self) -> bool:
        flag = self.open  # as `_is_open`, inline (vehicles ask at every wake-up)
        return (flag.value() if flag.modifiers else flag.base) >= 1.0


@dataclass(slots=True, eq=False)
class _Edge:
    """One direction of a link (compared by identity: routes are tuples of these)."""

    link: _Link
    start: str
    end: str
    cost: float
    """Expected minutes to traverse (the travel time's mean)."""
    day: int = -1
    """Calendar day of the last counted departure (for the vehicles' `per_day`)."""
    departures: int = 0
    """Departures counted on `day`."""
    next_at: float = 0.0
    """Earliest time (SimPy clock) the next vehicle may start loading (the vehicles' `headway`)."""
    turn_taken: bool = False
    """With several vehicles, or a headway or departures a day: one vehicle holds the turn to wait for
    riders (and the next departure slot)..."""
    turn_line: list[simpy.Event] = field(default_factory=list)
    """... and the others wait for it in order (each event hands it on)."""
    origin: _Place | None = None
    destination: _Place | None = None
    """The places at its start and end (set once the places exist; routing reads them often)."""
    per_round: int = 0
    """Seats of all its vehicles (0 without vehicles)."""
    round_time: float = 0.0
    """Minutes of one vehicle's round: the trip's mean and the turnaround's."""
    hours: Window | None = None
    """The link's operating hours (None when always open)..."""
    open_at: float = 0.0
    close_at: float = MINUTES_PER_DAY
    """... and their opening and closing minutes."""
    per_hour: float | None = None
    """The link's flow limit (people an hour)."""
    ready: float | None = None
    """When its vehicles are ready (None without vehicles)."""
    mode: str = ""
    """The link's mode, as events and populations name it."""
    stream: str = ""
    """The random stream of its travel times."""
    served: list[_Population] | None = None
    """The populations its vehicles may carry (see `Movement._may_still_come`; found when first asked)."""


@dataclass(frozen=True, slots=True, eq=False)
class _Route:
    """One candidate route: a simple path from a place to one of a population's safe places."""

    edges: tuple[_Edge, ...]
    end: str
    stem: tuple[_Edge, ...]
    """All its edges but the last."""
    passes_safe: tuple[str, ...]
    """The population's safe places it passes on the way (a route passing one that can take the cohort is
    not taken: that one is nearer)."""
    flags: tuple[Adjustable, ...]
    """The open flags of its links and of the places they lead to (it is open while all are)."""
    rank: int
    """Where its last edge stands among the ways out of the place it leaves from (the search's order)."""
    index: tuple[int, ...] = ()
    """Its edges' places in `_Routes.edges`."""


@dataclass(frozen=True, slots=True)
class _Routes:
    """A population's candidate routes from one place (see `_list_routes`)."""

    routes: tuple[_Route, ...]
    edges: tuple[_Edge, ...]
    """The edges on them, each once (`_Route.index` points into it)."""
    one_way: bool
    """All take the same first step (one link, or a vehicle from here) to the same place, and none can
    cost without bound: the cheapest open one goes the way any open one does, so routing a cohort
    needs no costs."""


@dataclass(slots=True, eq=False)
class _Cohort:
    """Compared by identity (each is its own group of people; queues find and remove it often)."""

    number: int
    population: _Population
    people: int
    place: str
    status: str = "home"
    """`home`, `moving`, `safe` or `exposed`."""
    resolved: bool = False
    """Safe or exposed (set with the status: queues and counts ask this very often)."""
    boarded: simpy.Event | None = None
    """While queued for a vehicle: what wakes it (set off when carried, or when its way may have changed)."""
    carried: bool = False
    """A vehicle took the whole cohort aboard (it carries it on from here)."""
    inside: str | None = None
    """The holding place (see `_Place.holds`) the cohort is in and takes room at, until it leaves."""
    bound: str | None = None
    """The holding place ahead on its route where it has room kept for it."""
    owed: _Place | None = None
    """A full holding place that let it go from its line for room it keeps in mind for it, until the
    cohort goes in or chooses another way (`Movement._settle`)."""


@dataclass(slots=True)
class _Population:
    spec: Population
    safe: frozenset[str]
    modes: frozenset[str]
    cohorts: list[_Cohort] = field(default_factory=list)
    started: bool = False
    announced: bool = False
    """Its start was in a `movement_started` (its own, or its area's with others told to move with it)."""
    settled: int = 0
    """People of it safe or exposed."""
    reach: frozenset[str] = frozenset()
    """Places from which some chain of its modes' links (open or not) leads to one of its safe places."""
    ways: dict[str, list[_Edge]] = field(default_factory=dict)
    """Per place: the edges out of it of its modes that lead towards its safe places (routing looks at
    no other: a search that enters a dead end finds the same route, only later)."""
    passes: frozenset[str] = frozenset()
    """Places some chain of its modes' links (open or not) leads to from its start."""
    safe_places: tuple[tuple[str, _Place], ...] = ()
    """Its safe places, by name."""
    routes: dict[str, _Routes | None] = field(default_factory=dict)
    """Per place it routes from: its candidate routes (None where there are too many to list)."""
    home: _Cohort | None = None
    """With a rate turnout: those not yet gone from home (one cohort that a `Release` draws down)."""
    release: Release | None = None
    joined: bool = False
    """With a `join`: the joined population has started, so those left have gone with it."""
    id: str = field(init=False)
    area: str = field(init=False)
    start: str = field(init=False)
    """The spec's, read once (as `_Link.id`)."""

    def __post_init__(self) -> None:
        self.id, self.area, self.start = self.spec.id, self.spec.area, self.spec.start


@dataclass(slots=True)
class _Area:
    id: str
    flowing: Adjustable
    """1 while people may leave home, 0 while a `movement: stop` holds them."""
    changed: Signal = field(default_factory=Signal)
    expired: bool = False
    populations: list[_Population] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MovementTotals:
    """The ledger at one moment: population = safe + exposed + in_danger."""

    population: int
    safe: int
    exposed: int
    in_danger: int


class Movement:
    """One run's movement over the network described by a scenario's `movement:`.

    Args:
        ctx: the engine context (clock, random streams, event bus).
        config: the scenario's `movement:` section (validated; references checked).
    """

    def __init__(self, ctx: Context, config: MovementConfig) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.config = config
        self._adjuster = Adjuster(ctx)
        self.places = {p.id: _Place(p, Adjustable(1.0 if p.open else 0.0), _room(p)) for p in config.places}
        for place in self.places.values():
            place.holds = place.spec.capacity is not None and place.spec.kind not in SAFE_KINDS
        self.links: dict[str, _Link] = {}
        self._out: dict[str, list[_Edge]] = {p.id: [] for p in config.places}
        for spec in config.links:
            link = _Link(spec, Adjustable(1.0 if spec.open else 0.0), None, hold=-1 - len(self.links))
            if spec.per_hour is not None:
                link.gate = []
            self.links[spec.id] = link
            ends = [(spec.from_, spec.to)] + ([(spec.to, spec.from_)] if spec.both_ways else [])
            for start, end in ends:
                edge = _Edge(link, start, end, spec.time.mean(), origin=self.places[start])
                edge.destination = self.places[end]
                edge.hours = None if spec.hours.always_open else spec.hours
                edge.open_at, edge.close_at = spec.hours.open, spec.hours.close
                edge.per_hour = spec.per_hour
                edge.mode, edge.stream = str(spec.mode), f"movement.link.{spec.id}"
                if spec.vehicles is not None:
                    edge.ready = spec.vehicles.ready
                    edge.per_round = spec.vehicles.count * spec.vehicles.seats
                    edge.round_time = edge.cost + spec.vehicles.turnaround.mean()
                self._out[start].append(edge)
                if spec.vehicles is not None:
                    for k in range(spec.vehicles.count):
                        self.env.process(self._vehicle(edge, k + 1))
        for name, place in self.places.items():
            place.walkable = any(edge.link.vehicles is None for edge in self._out[name])
            if place.holds:
                place.outflow = sum(_outflow(edge.link.spec) for edge in self._out[name])
        self.areas = {a.id: _Area(a.id, Adjustable(1.0)) for a in config.areas}
        self.populations: dict[str, _Population] = {}
        for spec in config.populations:
            safe = frozenset(spec.to) or frozenset(p.id for p in config.places if p.kind in SAFE_KINDS)
            modes = frozenset(str(m) for m in spec.modes) or frozenset(str(lk.mode) for lk in config.links)
            population = _Population(spec, safe, modes)
            population.safe_places = tuple((name, self.places[name]) for name in sorted(safe))
            population.reach = _reaching(safe, modes, config.links)
            population.passes = _reaching(frozenset({spec.start}), modes, config.links, forward=True)
            population.ways = {  # an edge to where none of its safe places can be reached is no way
                name: [e for e in out if str(e.link.spec.mode) in modes and e.end in population.reach]
                for name, out in self._out.items()
            }
            self.populations[spec.id] = population
            self.areas[spec.area].populations.append(population)
        self.network_changed = Signal()
        """Fired when a link or place opens or closes, or a safe place fills: waiting cohorts route again."""
        self.room_freed = Signal()
        """Fired when people leave a holding place: cohorts without a route try again."""
        self._cohort_numbers = 0
        self._total = sum(p.people for p in config.populations)
        self._safe = 0
        self._exposed = 0
        self._first_start: float | None = None
        self._riding: list[_Cohort] = []
        """Cohorts aboard a vehicle under way."""
        self._staying: list[_Cohort] = []
        """Cohorts that do not leave (compliance below 1): nobody waits for them."""
        self._completed = False
        self._expiries = 0
        """Areas whose danger has come."""
        self._upstream: dict[str, frozenset[str]] = {}
        """Per place: the places from which some link leads to it (people there may still come)."""
        self._state: Any = None
        self._conditions: Any = None

    # -- wiring ---------------------------------------------------------------
    def bind(self, state: Any, conditions: Any) -> None:
        """The world state (compliance, the `counts` variables) and the conditions (`when:`) this model reads."""
        self._state = state
        self._conditions = conditions
        scaled = [link for link in self.links.values() if link.spec.scale is not None]
        if scaled or any(p.turnout.scale is not None for p in self.config.populations):
            state.on_change(self._state_changed)
        for link in scaled:
            self._rescale(link, "scenario")

    def _state_changed(self, name: str) -> None:
        """A state variable changed: rate turnouts scaled by it re-plan their next batch, and links
        scaled by it take their new capacity (or close at 0, and open again above it)."""
        for population in self.populations.values():
            if population.release is not None and population.spec.turnout.scale == name:
                population.release.replan()
        for link in self.links.values():
            if link.spec.scale == name:
                self._rescale(link, f"state:{name}")

    def _rescale(self, link: _Link, cause: str) -> None:
        """Read a scaled link's variable: its capacity is that share of the scenario's, and at 0 it is
        closed (a closure of its own on the link's `open`, so effects' closures and openings of the
        link keep their own durations; a permanent `open` effect ends it, as it ends every closure)."""
        assert link.spec.scale is not None and self._state is not None
        link.factor = max(0.0, float(self._state.value(link.spec.scale)))
        flag = link.open
        held = any(m.token == link.hold for m in flag.modifiers)
        was_open = link.is_open
        if link.factor <= 0.0 and not held:
            flag.change("scale", 0.0, link.hold)
        elif link.factor > 0.0 and held:
            flag.remove(link.hold)
        if was_open and not link.is_open:
            self.ctx.emit(
                Kind.leg_closed, cause, None, mode=str(link.spec.mode), places=[], legs=[link.spec.id], hours=None
            )
        elif link.is_open and not was_open:
            self.ctx.emit(Kind.leg_reopened, cause, None, legs=[link.spec.id])
        self._changed([link])

    def start(self) -> None:
        """At T+0: arm each area's deadline and each population's start."""
        for spec in self.config.areas:
            area = self.areas[spec.id]
            if spec.deadline is not None:
                self.ctx.after(spec.deadline - self.ctx.now(), lambda area=area: self._expire(area))
            elif spec.when is not None:
                self._on(
                    spec.when, lambda area=area, delay=spec.delay: self.ctx.after(delay, lambda: self._expire(area))
                )
        self._publish_counts("scenario")
        for population in self.populations.values():
            when = population.spec.turnout.when
            if when is None:
                self._start_population(population, "scenario")
            else:
                self._on(when, lambda population=population: self._start_population(population, "condition"))

    def _on(self, when: Any, action: Callable[[], None]) -> None:
        if self._conditions is None:
            raise ValueError("the movement model needs the conditions to wait on a 'when:'")
        self._conditions.once(when, action)

    # -- effects ----------------------------------------------------------------
    def close(self, mode: str, names: list[str], duration: float | None, cause: str) -> None:
        """Close links and places (all if `names` is empty; only links of `mode` unless `all`)."""
        self._set_open(0.0, mode, names, duration, cause)

    def open(self, mode: str, names: list[str], duration: float | None, cause: str) -> None:
        """Open links and places again (ending closures made before), for `duration` or until closed again."""
        self._set_open(1.0, mode, names, duration, cause)

    def change_movement(self, action: str, areas: list[str], duration: float | None, cause: str) -> None:
        """`start` people leaving home in areas (lifting a stop), or `stop` them (those on the way go on)."""
        names = areas or list(self.areas)
        for name in names:
            area = self.areas[name]
            if action == "start":
                for population in area.populations:
                    self._start_population(population, cause)
            self._adjuster.change(
                area.flowing, "set", 1.0 if action == "start" else 0.0, duration, lambda _d, a=area: self._flow(a)
            )
        self.ctx.emit(
            Kind.movement_changed,
            cause,
            None,
            action=action,
            areas=names,
            hours=None if duration is None else round(duration / 60.0, 4),
        )

    def _flow(self, area: _Area) -> None:
        """An area's people were stopped or let go: waiting cohorts look again, rate turnouts re-plan."""
        area.changed.fire()
        for population in area.populations:
            if population.release is not None:
                population.release.replan()

    def _set_open(self, value: float, mode: str, names: list[str], duration: float | None, cause: str) -> None:
        places = [] if mode != "all" else [p for name, p in self.places.items() if not names or name in names]
        links = [
            lk for name, lk in self.links.items() if (not names or name in names) and mode in ("all", str(lk.spec.mode))
        ]
        if names and not places and not links:
            return  # names that are neither places nor links of this network
        things: list[_Place | _Link] = [*places, *links]
        was_open = [_is_open(x) for x in things]
        undone: list[_Place | _Link] = []  # those whose change ran out (not ended before by a later `set`)
        for thing in things:
            self._adjuster.change(
                thing.open,
                "set",
                value,
                duration,
                lambda d, x=thing: undone.append(x) if d["change"] == "restore" else None,
            )
        ids = [x.spec.id for x in things]
        if value == 0.0:
            hours = None if duration is None else round(duration / 60.0, 4)
            self.ctx.emit(Kind.leg_closed, cause, None, mode=mode, places=sorted(set(names)), legs=ids, hours=hours)
        else:
            self._report_reopened(things, was_open, cause)
        self._changed(links)
        if duration is not None:
            self.ctx.after(duration, lambda: self._ended(undone, value, mode, names, cause, links))

    def _ended(
        self, things: list[_Place | _Link], value: float, mode: str, names: list[str], cause: str, links: list[_Link]
    ) -> None:
        """A timed `close` / `open` ran out (the adjuster has just undone it): report what changed back."""
        if value == 0.0:
            self._report_reopened(things, [False] * len(things), cause)
        else:
            again = [x.spec.id for x in things if not _is_open(x)]
            if again:
                self.ctx.emit(
                    Kind.leg_closed, cause, None, mode=mode, places=sorted(set(names)), legs=again, hours=None
                )
        self._changed(links)

    def _report_reopened(self, things: list[_Place | _Link], was_open: list[bool], cause: str) -> None:
        reopened = [x.spec.id for x, before in zip(things, was_open, strict=True) if not before and _is_open(x)]
        if reopened:
            self.ctx.emit(Kind.leg_reopened, cause, None, legs=reopened)

    def _changed(self, links: list[_Link]) -> None:
        self._network_changed()
        for link in links:
            link.changed.fire()

    def _network_changed(self) -> None:
        self.network_changed.fire()

    # -- populations and cohorts -------------------------------------------------
    def _start_population(self, population: _Population, cause: str) -> None:
        if population.started:
            return
        population.started = True
        spec = population.spec
        area = self.areas[spec.area]
        if not spec.turnout.voluntary:
            if self._first_start is None:
                self._first_start = self.ctx.now()
            self._announce(population, area)
        if area.expired:
            return  # the danger came first: these people were counted exposed already
        leaving = spec.people
        if spec.turnout.compliance is not None and self._state is not None:
            share = min(1.0, max(0.0, self._state.value(spec.turnout.compliance)))
            leaving = round(spec.people * share)
        stay = spec.people - leaving
        if stay:
            staying = self._cohort(population, stay)  # stays at home: in danger until the deadline
            population.cohorts.append(staying)
            self._staying.append(staying)
        if spec.turnout.per_hour is not None:
            self._start_rate(population, area, leaving)
        else:
            for size in _split(leaving, spec.cohorts):
                cohort = self._cohort(population, size)
                population.cohorts.append(cohort)
                self.env.process(self._journey(cohort))
        for joiner in self.populations.values():
            if joiner.spec.turnout.join == spec.id:
                self._join(joiner, population, cause)

    def _announce(self, population: _Population, area: _Area) -> None:
        """One `movement_started` for the area's populations told to move together: those that start on
        the same `when:` (its residents and its care cases on the town's order) are one start of the
        area's movement, read as one line, with their people added up. A population of the area that
        starts on another condition is announced when it starts."""
        if population.announced:
            return
        when = population.spec.turnout.when
        together = [
            p
            for p in area.populations
            if not p.announced and not p.spec.turnout.voluntary and p.spec.turnout.when == when
        ]
        for p in together:
            p.announced = True
        people = sum(p.spec.people for p in together)
        self.ctx.emit(Kind.movement_started, area.id, None, municipality=area.id, people=people)

    def _join(self, joiner: _Population, population: _Population, cause: str) -> None:
        """`population` started: those of `joiner` still at home leave now, in its batches."""
        self._start_population(joiner, cause)
        home = joiner.home
        if joiner.joined or home is None or home.status != "home":
            return
        joiner.joined = True
        if joiner.release is not None:
            joiner.release.replan()  # its own pace is over
        per_hour = population.spec.turnout.per_hour or joiner.spec.turnout.per_hour or 1.0
        batch = math.ceil(per_hour * BATCH_MINUTES / 60.0)
        for size in _split(home.people, math.ceil(home.people / batch)):
            self._leave_home(joiner, size)

    def _start_rate(self, population: _Population, area: _Area, leaving: int) -> None:
        """People leave home at the turnout's rate: a `Release` lets each batch go as one cohort."""
        turnout: Turnout = population.spec.turnout
        assert turnout.per_hour is not None
        home = population.home = self._cohort(population, leaving)
        population.cohorts.append(home)
        hours = turnout.hours
        window = (0.0, MINUTES_PER_DAY) if hours.always_open else (hours.open, hours.close)

        per_minute, scaled_by = turnout.per_hour / 60.0, turnout.scale  # read once: asked at every batch

        def rate() -> float:
            if area.flowing.value() < 1.0 or area.expired or population.joined:
                return 0.0
            if scaled_by is None or self._state is None:
                return per_minute
            scale = self._state.value(scaled_by)
            return per_minute * (scale if scale > 0.0 else 0.0)

        population.release = Release(
            self.env,
            math.ceil(turnout.per_hour * BATCH_MINUTES / 60.0),
            window,
            rate,
            lambda: home.people if home.status == "home" else 0,
            lambda n: self._leave_home(population, n),
        )
        population.release.replan()

    def _leave_home(self, population: _Population, people: int) -> None:
        """`people` of a rate turnout leave home together as one cohort."""
        home = population.home
        assert home is not None
        people = home.people if home.people < people else people  # `min(people, home.people)`
        if people <= 0 or home.status != "home":
            return
        home.people -= people
        cohort = self._cohort(population, people)
        cohort.status = "moving"
        population.cohorts.append(cohort)
        self.env.process(self._onward(cohort))

    def _cohort(self, population: _Population, people: int) -> _Cohort:
        self._cohort_numbers += 1
        return _Cohort(self._cohort_numbers, population, people, population.start)

    def _journey(self, cohort: _Cohort) -> Iterator[simpy.Event]:
        """One cohort: wait to leave, then move link by link until safe (or exposed)."""
        spec = cohort.population.spec
        area = self.areas[spec.area]
        yield self.env.timeout(self.ctx.streams.sample(spec.turnout.delay, f"movement.turnout.{spec.id}"))
        while area.flowing.value() < 1.0 and not cohort.resolved:
            yield area.changed.wait(self.env)
        if cohort.resolved:
            return
        cohort.status = "moving"
        yield from self._onward(cohort)

    def _onward(self, cohort: _Cohort) -> Iterator[simpy.Event]:
        """Move from the cohort's place until it is safe or exposed."""
        while not cohort.resolved:
            if cohort.place in cohort.population.safe and self._admit(cohort):
                return
            route = self._route(cohort)
            if cohort.owed is not None and not (
                route and route[0].link.vehicles is None and route[0].destination is cohort.owed
            ):
                self._settle(cohort)  # it takes another way: the room it was let go for is free for the next
            if not route:
                yield any_of(
                    self.env, self.network_changed, self.areas[cohort.population.area].changed, self.room_freed
                )
                continue
            target = self.places[route[-1].end]
            target.heading += cohort.people
            try:
                handed_over = yield from self._traverse(cohort, route[0])
            finally:
                target.heading -= cohort.people
            if handed_over:
                return  # a vehicle carries it on from here
        self._settle(cohort)  # safe or exposed while the room it was let go for was kept

    def _free(self, name: str, people: int) -> None:
        """People left a holding place: wake those waiting before it, in order, as many as now fit
        (each chooses again, and may take another way), and any cohort that had no way at all."""
        place = self.places[name]
        place.room += people
        self._let_in(place)
        self.room_freed.fire()

    @staticmethod
    def _let_in(place: _Place) -> None:
        """Let go those at the head of the line before a holding place while the room not yet kept
        for others takes them. Each chooses again; room is kept in mind for it until it goes in or
        takes another way (`_settle`): otherwise a cohort that turns away would leave room that
        nobody in the line is ever told of."""
        room = place.room - place.promised
        while place.freed and place.freed[0].people <= room:
            blocked = place.freed.popleft()
            blocked.queued = False
            room -= blocked.people
            if not blocked.wake.triggered:  # else its way changed at this moment: it chooses again anyway
                blocked.promised = True
                place.promised += blocked.people
                blocked.wake.succeed()

    def _settle(self, cohort: _Cohort) -> None:
        """The cohort has chosen again after a holding place let it go (went in, or took another way):
        the room kept for it is no longer kept, and the line there may go on."""
        place = cohort.owed
        if place is None:
            return
        cohort.owed = None
        place.promised -= cohort.people
        self._let_in(place)

    def _left(self, cohort: _Cohort) -> None:
        """The cohort sets off from its place: the room it took there is free again."""
        if cohort.inside is not None and cohort.inside == cohort.place:
            self._free(cohort.inside, cohort.people)
            cohort.inside = None

    def _reached(self, cohort: _Cohort, place: str) -> None:
        cohort.place = place
        if cohort.bound == place:
            cohort.inside, cohort.bound = place, None

    def _admit(self, cohort: _Cohort) -> bool:
        """Take the cohort (or as many as there is room for) into its safe place; True if all are in."""
        place = self.places[cohort.place]
        if not _is_open(place) or place.room <= 0:
            return False
        room, people = place.room, cohort.people
        taken = int(room if room < people else people)  # `min(people, room)`, without the call
        place.room -= taken
        rest = cohort.people - taken
        if rest:
            cohort.people = taken
            remainder = self._cohort(cohort.population, rest)
            remainder.status, remainder.place = "moving", cohort.place
            cohort.population.cohorts.append(remainder)
            self.env.process(self._onward(remainder))
        cohort.status, cohort.resolved = "safe", True
        self._safe += taken
        cohort.population.settled += taken
        self.ctx.emit(
            Kind.cohort_arrived,
            cohort.population.id,
            cohort.place,
            cohort=cohort.number,
            area=cohort.population.area,
            people=taken,
            hours=round((self.ctx.now() - (self._first_start or 0.0)) / 60.0, 4),
        )
        if place.room <= 0:
            self._network_changed()  # full: others choose another place
        self._publish_counts(SOURCE)
        self._check_completed()
        return not rest

    def _traverse(self, cohort: _Cohort, edge: _Edge) -> Iterator[simpy.Event]:
        """Take one link; returns True if a vehicle took the whole cohort (its process then carries on)."""
        link = edge.link
        if link.vehicles is not None:  # wait in the place's queue; the vehicles keep the link's hours
            if not link.is_open or cohort.resolved:
                return False
            return (yield from self._ride(cohort, edge))
        if edge.hours is not None and (wait := minutes_until_open(self.env.now, edge.open_at, edge.close_at)):
            yield self.env.timeout(wait)
        if not link.is_open or cohort.resolved:
            return False
        target = self.places[edge.end]
        if target.holds and cohort.bound != edge.end:
            if target.room < cohort.people:  # full: wait before it until people leave, then choose again
                self._settle(cohort)
                area = self.areas[cohort.population.area]
                target.blocked += cohort.people
                entry = _Blocked(self.env.event(), cohort.people)
                target.freed.append(entry)
                try:
                    # not on every change of the network: those waiting are let in as room frees
                    # (each then chooses again), or choose again if this way closes
                    yield any_of(self.env, link.changed, area.changed, event=entry.wake)
                finally:
                    target.blocked -= cohort.people
                    if entry.queued:
                        target.freed.remove(entry)
                    elif entry.promised:
                        cohort.owed = target
                return False
            target.room -= cohort.people
            cohort.bound = edge.end
            self._settle(cohort)
        try:
            if link.gate is not None:
                return (yield from self._pass(cohort, edge))
            if not cohort.resolved:  # no flow limit: over the link at once (one generator fewer a link)
                yield self._depart(cohort, edge)
                self._reached(cohort, edge.end)
            return False
        finally:
            if cohort.bound == edge.end and cohort.place != edge.end:  # turned back before going: free the room
                cohort.bound = None
                self._free(edge.end, cohort.people)

    def _pass(self, cohort: _Cohort, edge: _Edge) -> Iterator[simpy.Event]:
        """Through the link's flow limit and over it; False (choose again) if it closed meanwhile."""
        link = edge.link
        gate = link.gate
        assert gate is not None
        turn = [self.env.event(), not gate]  # passes at once if nobody is at the gate
        gate.append(turn)
        link.queued += cohort.people
        try:
            if not turn[1]:  # the one before hands the gate on, or the link changes
                yield link.changed.wait(self.env, turn[0])
                if not turn[1] or not link.is_open or cohort.resolved:
                    return False  # closed (or opened) while queuing: choose again
            yield self.env.timeout(cohort.people / (link.per_hour * link.factor) * 60.0)
        finally:
            link.queued -= cohort.people
            gate.remove(turn)
            if turn[1] and gate:  # the next in line passes
                gate[0][1] = True
                if not gate[0][0].triggered:
                    gate[0][0].succeed()
        if cohort.resolved:
            return False
        yield self._depart(cohort, edge)
        self._reached(cohort, edge.end)
        return False

    def _depart(self, cohort: _Cohort, edge: _Edge) -> simpy.Event:
        """The cohort sets off over a link without vehicles: the timer of its arrival at the link's end."""
        link = edge.link
        people = cohort.people
        self.ctx.emit(
            Kind.cohort_departed,
            cohort.population.id,
            edge.end,
            cohort=cohort.number,
            link=link.id,
            mode=edge.mode,
            origin=edge.start,
            people=people,
        )
        self._left(cohort)
        return self.env.timeout(self.ctx.streams.sample(link.spec.time, edge.stream))

    def _ride(self, cohort: _Cohort, edge: _Edge) -> Iterator[simpy.Event]:
        """Wait at the link's start for a vehicle; True once the whole cohort is aboard (the vehicle moves
        it on), False if a way without vehicles has become quicker (choose again). The cohort keeps its
        place in the queue while links open and close; part of it may ride first, split off by a vehicle."""
        place = self.places[edge.start]
        area = self.areas[cohort.population.area]
        cohort.carried = False
        place.waiting.append(cohort)
        place.queued += cohort.people
        place.boarding.fire()
        # Only where some way out needs no vehicle can another way become quicker (a terminal's
        # people can but fly): elsewhere they wait for a vehicle, or for their area's danger.
        walkable = place.walkable
        try:
            while True:
                wake = cohort.boarded = self.env.event()  # `_board` sets it off when it carries the cohort
                if walkable:
                    yield any_of(self.env, self.network_changed, area.changed, event=wake)
                else:
                    yield area.changed.wait(self.env, wake)
                if cohort.carried:
                    return True
                if cohort.resolved:
                    return False
                route = self._route(cohort)
                if route and route[0].link.vehicles is None:
                    return False
        finally:
            cohort.boarded = None
            if not cohort.carried and cohort in place.waiting:
                place.waiting.remove(cohort)
                place.queued -= cohort.people

    def _vehicle(self, edge: _Edge, number: int) -> Iterator[simpy.Event]:
        """One vehicle: from its `ready` time, load whoever waits at the link's start and is going its way
        (splitting a cohort larger than the seats left), wait up to `max_wait` for more, carry, come back."""
        spec = edge.link.spec
        vehicles = spec.vehicles
        assert vehicles is not None
        place = self.places[edge.start]
        if vehicles.ready > self.ctx.now():
            yield self.env.timeout(vehicles.ready - self.ctx.now())
        # The spec's values, read once (pydantic attributes cost a Python hook each; this loop runs
        # at every wake-up of every vehicle).
        per_day, headway, seats_each, max_wait = vehicles.per_day, vehicles.headway, vehicles.seats, vehicles.max_wait
        time, turnaround, link_id = spec.time, vehicles.turnaround, spec.id
        turnaround_stream = f"movement.vehicle.{link_id}"
        always_open, open_at, close_at = edge.hours is None, edge.open_at, edge.close_at  # its hours, as numbers
        rationed = per_day is not None or headway > 0
        flag = edge.link.open
        taking_turns = rationed or vehicles.count > 1
        while True:
            # One vehicle of a link at a time waits for riders (and, rationed, for the next departure
            # slot); the others queue quietly for the turn instead of all waking whenever anyone joins.
            if taking_turns:
                if edge.turn_taken:
                    handed = self.env.event()
                    edge.turn_line.append(handed)
                    yield handed
                edge.turn_taken = True
            while (
                not (
                    riders := self._riders(edge)
                    if (running := (flag.value() if flag.modifiers else flag.base) >= 1.0)
                    else self._recount(place)
                )
                or not running
                or (not always_open and minutes_until_open(self.env.now, open_at, close_at))
                or not _may_depart(edge, per_day, self.env.now)
            ):
                if riders and running:  # (nothing since `running` was read opens or closes a link)
                    wait = 0.0 if always_open else minutes_until_open(self.env.now, open_at, close_at)
                    if wait <= 0.0 and edge.next_at > self.env.now:  # the headway after the last departure
                        wait = edge.next_at - self.env.now
                    elif wait <= 0.0:  # the day's departures are used: until midnight
                        wait = MINUTES_PER_DAY - self.env.now % MINUTES_PER_DAY
                    yield self.env.timeout(wait)
                elif not running:  # closed: nobody joining its queue can make it go; only an opening
                    yield first_of(self.env, self.network_changed.wait(self.env))
                elif rationed:  # the one vehicle holding the turn: woken directly, one step
                    yield any_of(self.env, place.boarding, self.network_changed)
                else:  # two steps, as `a | b` was (one changes who boards which boat in the Izu-Oshima log)
                    yield first_of(self.env, place.boarding.wait(self.env), self.network_changed.wait(self.env))
            if per_day is not None:
                _count_departure(edge, self.env.now)
            edge.next_at = self.env.now + headway
            if taking_turns:  # the next vehicle in line takes the turn (no SimPy resource: one step, not three)
                if edge.turn_line:
                    edge.turn_line.pop(0).succeed()
                else:
                    edge.turn_taken = False
            aboard: list[_Cohort] = []
            seats = self._board(riders, _seats(seats_each, edge.link.factor), aboard)
            leave_at = self.env.now + max_wait
            while seats > 0 and leave_at - self.env.now > 1e-9 and self._may_still_come(place, edge):
                if taking_turns:
                    yield any_of(self.env, place.boarding, edge.link.changed, within=leave_at - self.env.now)
                else:
                    yield first_of(  # one hop, as `a | b` was before the closure joined in
                        self.env,
                        place.boarding.wait(self.env),
                        edge.link.changed.wait(self.env),
                        self.env.timeout(leave_at - self.env.now),
                    )
                if not edge.link.is_open:
                    break
                seats = self._board(self._riders(edge), seats, aboard)
            if not edge.link.is_open:  # closed while loading: those aboard get off and choose again
                for rider in aboard:
                    self._riding.remove(rider)
                    self.env.process(self._onward(rider))
                continue
            trip = self.ctx.streams.sample(time, edge.stream)
            for rider in aboard:
                self.ctx.emit(
                    Kind.cohort_departed,
                    rider.population.id,
                    edge.end,
                    cohort=rider.number,
                    link=link_id,
                    mode=edge.mode,
                    origin=edge.start,
                    people=rider.people,
                    vehicle=number,
                )
                self._left(rider)
            if trip > 0.0:  # a trip counted as taking no time (people safe once off) needs no wake-up
                yield self.env.timeout(trip)
            back = self.env.timeout(self.ctx.streams.sample(turnaround, turnaround_stream))
            self._set_down(aboard, edge.end)
            yield back

    def _set_down(self, aboard: list[_Cohort], end: str) -> None:
        """The riders are at the link's end: those safe there go in at once, in order, until one cannot
        (all of it); that one and those after it carry on as processes. Their processes would have
        started right after this step, in the same order, and done no more than `_admit`: going in
        here saves two SimPy events a cohort without changing what happens or when."""
        place = self.places[end]
        at_once = True
        for rider in aboard:
            self._riding.remove(rider)
            if rider.resolved:
                continue
            self._reached(rider, end)
            at_once = at_once and end in rider.population.safe and _is_open(place) and place.room >= rider.people
            if not (at_once and self._admit(rider)):
                self.env.process(self._onward(rider))

    def _recount(self, place: _Place) -> list[_Cohort]:
        """Drop those safe or exposed from the place's queue and count it again; no riders (for a vehicle
        whose link is closed: it looks at the queue, but routing whom it would take is wasted).

        Only an area's danger resolves a cohort in a queue (one is let in somewhere only after it left
        the queue), and `queued` is kept as cohorts join, board or leave: until an area's danger comes,
        the queue and its count are as a recount would leave them."""
        if place.pruned == self._expiries:
            return []
        place.waiting[:] = [c for c in place.waiting if not c.resolved]
        place.queued = sum(c.people for c in place.waiting)
        place.pruned = self._expiries
        return []

    def _riders(self, edge: _Edge) -> list[_Cohort]:
        """Cohorts waiting at the edge's start, in order, whom it takes closer to one of their safe places."""
        place = edge.origin
        assert place is not None
        if place.pruned != self._expiries:  # `_recount`'s own test, inline: nothing to drop most of the time
            self._recount(place)
        mode = edge.mode
        going: dict[tuple[str, int, str | None], bool] = {}  # one routing per kind of cohort
        riders = []
        end = edge.destination
        assert end is not None
        door = end.open
        boundless = (door.value() if door.modifiers else door.base) >= 1.0 and end.room - end.heading == math.inf
        for cohort in place.waiting:
            population = cohort.population
            if mode not in population.modes:
                continue
            if boundless and edge.end in population.safe and edge.end != cohort.place:
                riders.append(cohort)  # onto one of its safe places that can take it: nothing is nearer
                continue
            key = (population.id, cohort.people, cohort.bound)
            if key not in going:
                if self._is_safe_for(edge.end, population, cohort):
                    going[key] = True  # onto one of its safe places that can take it: nothing is nearer
                else:
                    there = self._remaining(edge.end, population, cohort.people, cohort.bound)
                    going[key] = there < self._remaining(edge.start, population, cohort.people, cohort.bound)
            if going[key]:
                riders.append(cohort)
        return riders

    def _board(self, riders: list[_Cohort], seats: int, aboard: list[_Cohort]) -> int:
        """Take riders aboard in order up to `seats` (splitting the one that does not fit); the seats left."""
        for first in riders:
            if seats <= 0:
                break
            if first.people <= seats:
                self.places[first.place].waiting.remove(first)
                self.places[first.place].queued -= first.people
                seats -= first.people
                rider = first
                first.carried = True
                if first.boarded is not None and not first.boarded.triggered:
                    first.boarded.succeed()
            else:  # split: those who fit ride on as a new cohort, the rest keep their place in the queue
                rider = self._cohort(first.population, seats)
                rider.status, rider.place = "moving", first.place
                rider.inside, rider.bound = first.inside, first.bound
                first.population.cohorts.append(rider)
                first.people -= seats
                self.places[first.place].queued -= seats
                seats = 0
            aboard.append(rider)
            self._riding.append(rider)
        return seats

    def _may_still_come(self, place: _Place, edge: _Edge) -> bool:
        """Whether someone might still board the edge's vehicle: not yet safe or exposed, neither waiting
        here, aboard a vehicle nor staying home. When its mode and end serve only some populations (a ship
        for care cases waits for no resident), only theirs count, and only those not yet past its start
        (a ferry back at the outer island waits for nobody already on the hub island). The first found
        answers (while people are on their way, one of the first looked at is)."""
        served = edge.served
        if served is None:
            mode = edge.mode
            served = edge.served = [
                p
                for p in self.populations.values()
                if mode in p.modes and edge.end in p.reach and edge.start in p.passes
            ]
        if len(served) == len(self.populations):
            held = sum(
                c.people for group in (place.waiting, self._riding, self._staying) for c in group if not c.resolved
            )
            return self.totals().in_danger - held > 0
        for p in served:  # `any(...)` over them, without a generator (a vehicle asks at every wake-up)
            if not p.started and p.spec.people > 0:
                return True
        upstream = self._upstream.get(edge.start)
        if upstream is None:
            upstream = self._upstream[edge.start] = _reaching(
                frozenset({edge.start}), frozenset(str(m) for m in Mode), self.config.links
            )
        held: set[int] | None = None
        for p in served:
            p.cohorts[:] = [c for c in p.cohorts if not c.resolved]  # they stay so: no need to look again
            for c in p.cohorts:
                if c.people > 0 and c.place in upstream:
                    if held is None:
                        held = {id(h) for group in (place.waiting, self._riding, self._staying) for h in group}
                    if id(c) not in held:
                        return True
        return False

    # -- routing ----------------------------------------------------------------
    def _route(self, cohort: _Cohort) -> list[_Edge] | None:
        """Shortest expected time over open links (of the population's modes) to an open safe place with room.

        A safe place qualifies if it can take the cohort (see `_can_take`). A link's expected time is
        its mean travel time plus the wait its flow limit causes for the people already queued at it
        (so cohorts spread over parallel routes as queues grow) plus the time until its vehicles are
        ready. Computed afresh each time (queues change with every cohort), but cheaply: a cohort
        takes the route's first link (or waits for a vehicle there) and heads for its end, and where
        every candidate route goes the same way to the same place (see `_Routes.one_way`), only
        whether one is open decides."""
        origin, population, people = cohort.place, cohort.population, cohort.people
        routes = self._routes_from(origin, population)
        if routes is not None and routes.one_way:
            return self._first_open(routes, people)
        targets = self._targets(origin, population, people)
        if not targets:
            return None
        found = self._search(origin, population, people, cohort.bound, targets)
        return None if found is None else found[0]

    def _remaining(self, origin: str, population: _Population, people: int, bound: str | None = None) -> float:
        """Expected minutes from `origin` to safety for `people` of `population` (0 there, inf without a way)."""
        if origin in population.safe and self._can_take(self.places[origin], people):
            return 0.0
        targets = self._targets(origin, population, people)
        found = self._search(origin, population, people, bound, targets) if targets else None
        return math.inf if found is None else found[1]

    def _is_safe_for(self, name: str, population: _Population, cohort: _Cohort) -> bool:
        return name in population.safe and name != cohort.place and self._can_take(self.places[name], cohort.people)

    def _targets(self, origin: str, population: _Population, people: int) -> set[str]:
        """The population's safe places, other than `origin`, that can take `people` now (`_can_take`,
        inline: thousands of times a run)."""
        found = set()
        for name, place in population.safe_places:
            flag = place.open
            if name == origin or (flag.value() if flag.modifiers else flag.base) < 1.0:
                continue
            free = place.room - place.heading
            if free >= people or (place.heading == 0 and free > 0):
                found.add(name)
        return found

    def _first_open(self, routes: _Routes, people: int) -> list[_Edge] | None:
        """Of routes that all go the same way to the same place, the first open all along that passes no
        safe place that can take the cohort (which would be nearer), if their end can take it: as good as
        the cheapest for a cohort, which only takes the first step and heads for the end."""
        can_take, places = self._can_take, self.places
        end = places[routes.routes[0].end]
        door, free = end.open, end.room - end.heading  # `can_take(end, people)`, inline
        if (door.value() if door.modifiers else door.base) < 1.0 or not (
            free >= people or (end.heading == 0 and free > 0)
        ):
            return None
        for route in routes.routes:
            if route.passes_safe and any(can_take(places[name], people) for name in route.passes_safe):
                continue
            for flag in route.flags:
                if (flag.value() if flag.modifiers else flag.base) < 1.0:
                    break
            else:
                return list(route.edges)
        return None

    def _routes_from(self, origin: str, population: _Population) -> _Routes | None:
        """The population's candidate routes from `origin`, listed the first time they are asked for."""
        routes = population.routes.get(origin, _UNLISTED)
        if routes is _UNLISTED:
            routes = population.routes[origin] = _list_routes(origin, population)
        return routes  # type: ignore[return-value]

    def _edge_cost(self, edge: _Edge, people: int, bound: str | None, env_now: float, now: float) -> float:
        """Expected minutes for `people` to take an edge now (`env_now` on SimPy's clock, `now` the
        scenario's): travel, the queue at its flow limit, its hours not yet open, vehicles not yet
        there, the rounds its vehicles need for the people already waiting at its start (whole rounds
        of all its vehicles, each a trip and a turnaround: a ship with a long round fills its quay's
        queue for days, and then the airport is quicker), and the wait for room at a full holding
        place it leads into (after those already waiting to go in, at the rate its links out take
        people on). Summed in that order (the order fixes the rounding, and so the routes)."""
        link = edge.link
        per_hour = edge.per_hour
        queue = link.queued / (per_hour * link.factor) * 60.0 if per_hour is not None and link.queued else 0.0
        closed = 0.0 if edge.hours is None else minutes_until_open(env_now, edge.open_at, edge.close_at)
        ready = vehicle = 0.0
        if edge.ready is not None:
            ready = edge.ready - now
            ready = ready if ready > 0.0 else 0.0  # `max(0.0, ...)`, without the call
            waiting = edge.origin.queued  # type: ignore[union-attr]
            if waiting > 0:
                vehicle = math.floor(waiting / _seats(edge.per_round, link.factor)) * edge.round_time
        room = 0.0
        place = edge.destination
        if place.holds and edge.end != bound:  # type: ignore[union-attr]
            short = place.blocked + people - place.room  # type: ignore[union-attr]
            if short > 0:
                room = short / place.outflow if place.outflow > 0 else math.inf  # type: ignore[union-attr]
        return edge.cost + queue + closed + ready + vehicle + room

    def _search(
        self, origin: str, population: _Population, people: int, bound: str | None, targets: set[str]
    ) -> tuple[list[_Edge], float] | None:
        """The shortest route to one of `targets` (see `_route`) and its expected minutes (each edge's
        cost summed along it).

        From most places a population has only a few ways to safety (an airlift: one or two), listed
        once: pricing those is cheaper than a search, and gives the route the search finds
        (`_cheapest`). The search decides where the list cannot: too many routes, or a tie it breaks
        its own way."""
        routes = self._routes_from(origin, population)
        if routes is not None:
            found = self._cheapest(routes, targets, people, bound)
            if found is not _UNDECIDED:
                return found  # type: ignore[return-value]
        return self._dijkstra(origin, population, people, bound, targets)

    def _cheapest(
        self, routes: _Routes, targets: set[str], people: int, bound: str | None
    ) -> tuple[list[_Edge], float] | object | None:
        """The cheapest of the candidate routes that end at a target and pass none: the route the
        search would find, or `_UNDECIDED` when it is not clear which.

        The search finds a cheapest such route, each edge's cost added along it in order, as here (so
        the sums are equal to the last bit). It finds the same one when only one is cheapest, or when
        the cheapest differ only in their last edge, out of one place: then it takes the target first
        in name, and of the edges to it the first it tries, which is the first of them in the list's
        order. Other ties are left to it."""
        env_now, now = self.env.now, self.ctx.now()
        edges = routes.edges
        costs: list[float | None] = [None] * len(edges)  # each edge priced once, when a route needs it
        inf, edge_cost = math.inf, self._edge_cost
        best, chosen, split = inf, None, False
        for route in routes.routes:
            if route.end not in targets or (route.passes_safe and not targets.isdisjoint(route.passes_safe)):
                continue
            total = 0.0
            for i in route.index:
                cost = costs[i]
                if cost is None:
                    edge = edges[i]
                    flag, door = edge.link.open, edge.destination.open  # type: ignore[union-attr]
                    if (flag.value() if flag.modifiers else flag.base) < 1.0 or (
                        door.value() if door.modifiers else door.base
                    ) < 1.0:
                        cost = inf  # the search does not take it
                    else:
                        cost = edge_cost(edge, people, bound, env_now, now)
                    costs[i] = cost
                total += cost
            if total < best:
                best, chosen, split = total, route, False
            elif total == best and total < inf and route.stem != chosen.stem:  # type: ignore[union-attr]
                split = True
        if chosen is None:
            return None
        return _UNDECIDED if split else (list(chosen.edges), best)

    def _dijkstra(
        self, origin: str, population: _Population, people: int, bound: str | None, targets: set[str]
    ) -> tuple[list[_Edge], float] | None:
        """The search: Dijkstra's over the population's ways from `origin` to the nearest of `targets`."""
        env_now, now = self.env.now, self.ctx.now()
        ways = population.ways
        best: dict[str, float] = {origin: 0.0}
        came: dict[str, _Edge] = {}
        heap: list[tuple[float, str]] = [(0.0, origin)]
        inf, pop, push, edge_cost = math.inf, heapq.heappop, heapq.heappush, self._edge_cost
        while heap:
            cost, here = pop(heap)
            if cost > best.get(here, inf):
                continue
            if here in targets:
                path: list[_Edge] = []
                while here != origin:
                    edge = came[here]
                    path.append(edge)
                    here = edge.start
                return path[::-1], cost
            for edge in ways[here]:
                if edge.end == origin:  # never shorter than staying
                    continue
                if _open_value(edge.link.open) < 1.0 or _open_value(edge.destination.open) < 1.0:  # type: ignore[union-attr]
                    continue
                total = cost + edge_cost(edge, people, bound, env_now, now)
                if total < best.get(edge.end, inf):
                    best[edge.end] = total
                    came[edge.end] = edge
                    push(heap, (total, edge.end))
        return None

    @staticmethod
    def _can_take(place: _Place, people: int) -> bool:
        """Open, and room for the whole cohort beside those already on their way (or, if nobody
        else is on the way, for part of it: the rest goes on from there)."""
        if not _is_open(place):
            return False
        free = place.room - place.heading
        return free >= people or (place.heading == 0 and free > 0)

    # -- deadlines and the ledger -------------------------------------------------
    def _expire(self, area: _Area) -> None:
        """The danger reached the area: everyone of it not yet safe is exposed."""
        if area.expired:
            return
        area.expired = True
        self._expiries += 1
        for population in area.populations:
            spec = population.spec
            caught = [c for c in population.cohorts if not c.resolved]
            at_home = sum(c.people for c in caught if c.status == "home")
            on_the_way = sum(c.people for c in caught if c.status == "moving")
            not_started = 0 if population.started else spec.people
            for cohort in caught:
                cohort.status, cohort.resolved = "exposed", True
            people = at_home + on_the_way + not_started
            if not population.started:
                population.started = True  # nobody of it can still leave
            self._exposed += people
            population.settled += people
            self.ctx.emit(
                Kind.people_exposed,
                spec.id,
                spec.area,
                people=people,
                at_home=at_home + not_started,
                on_the_way=on_the_way,
            )
        area.changed.fire()
        self._publish_counts(f"area:{area.id}")
        self._check_completed()

    def totals(self) -> MovementTotals:
        """The ledger now: population = safe + exposed + in danger."""
        return MovementTotals(self._total, self._safe, self._exposed, self._total - self._safe - self._exposed)

    def _check_completed(self) -> None:
        if self._completed or self._total - self._safe - self._exposed > 0:
            return
        totals = self.totals()
        self._completed = True
        start = self._first_start if self._first_start is not None else self.ctx.now()
        self.ctx.emit(
            Kind.movement_completed,
            SOURCE,
            None,
            population=totals.population,
            moved=totals.safe,
            exposed=totals.exposed,
            hours=round((self.ctx.now() - start) / 60.0, 4),
        )

    def _publish_counts(self, cause: str) -> None:
        counts = self.config.counts
        if counts is None or self._state is None:
            return
        totals = self.totals()
        values = {
            counts.safe: totals.safe,
            counts.exposed: totals.exposed,
            counts.in_danger: totals.in_danger,
            counts.share_safe: totals.safe / totals.population if totals.population else 1.0,
        }
        for name, value in values.items():
            if name is not None and self._state.value(name) != value:
                self._state.change(name, "set", float(value), cause)

    # -- reading ------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        totals = self.totals()
        return {
            "population": totals.population,
            "moved": totals.safe,
            "exposed": totals.exposed,
            "in_danger": totals.in_danger,
        }


def _reaching(
    places: frozenset[str], modes: frozenset[str], links: list[Link], forward: bool = False
) -> frozenset[str]:
    """Places from which links of `modes` (open or closed) lead to one of `places` (or, `forward`,
    to which they lead from one of them)."""
    back: dict[str, list[str]] = {}
    for link in links:
        if str(link.mode) in modes:
            a, b = (link.from_, link.to) if forward else (link.to, link.from_)
            back.setdefault(a, []).append(b)
            if link.both_ways:
                back.setdefault(b, []).append(a)
    seen = set(places)
    frontier = list(places)
    while frontier:
        frontier = [p for here in frontier for p in back.get(here, ()) if p not in seen]
        seen.update(frontier)
    return frozenset(seen)


_UNLISTED = object()
"""A place whose candidate routes have not been listed yet."""
_UNDECIDED = object()
"""The candidate routes tie in a way only the search settles."""


def _list_routes(origin: str, population: _Population) -> _Routes | None:
    """Every simple path over the population's ways from `origin` to one of its safe places (passing
    others: a full one is passed on the way to the next), ordered by their end and then their last
    edge's place among the ways out of the place it leaves (the order in which the search breaks a
    tie); None if there are more than `ROUTE_LIMIT` or listing them takes too many steps."""
    found: list[_Route] = []
    if not _walk_routes(population, origin, (), frozenset({origin}), found, [0]):
        return None
    found.sort(key=lambda route: (route.end, route.rank))
    edges = list({id(edge): edge for route in found for edge in route.edges}.values())
    found = [replace(route, index=tuple(edges.index(edge) for edge in route.edges)) for route in found]
    ways = {(_move(route.edges[0]), route.end) for route in found}
    bounded = all(not _unbounded(edge) for edge in edges)
    return _Routes(tuple(found), tuple(edges), len(ways) == 1 and bounded)


def _walk_routes(
    population: _Population,
    here: str,
    path: tuple[_Edge, ...],
    seen: frozenset[str],
    found: list[_Route],
    steps: list[int],
) -> bool:
    """`_list_routes`' depth-first walk from `here` (False once over its limits). A module function,
    not a closure over itself: a self-referencing closure is a reference cycle, which only the cycle
    collector frees (and the run loop pauses it)."""
    for rank, edge in enumerate(population.ways[here]):
        steps[0] += 1
        if steps[0] > 8 * ROUTE_LIMIT:
            return False
        if edge.end in seen:
            continue
        route = (*path, edge)
        if edge.end in population.safe:
            passes_safe = tuple(e.end for e in path if e.end in population.safe)
            flags = tuple({id(f): f for e in route for f in (e.link.open, e.destination.open)}.values())  # type: ignore[union-attr]
            found.append(_Route(route, edge.end, path, passes_safe, flags, rank))
            if len(found) > ROUTE_LIMIT:
                return False
        if not _walk_routes(population, edge.end, route, seen | {edge.end}, found, steps):
            return False
    return True


def _move(edge: _Edge) -> _Edge | str:
    """What taking an edge first means for a cohort: that link, or waiting for a vehicle at its start
    (in the place's one queue, whichever of the vehicles' links leaving there routing named)."""
    return edge if edge.link.spec.vehicles is None else f"vehicle:{edge.start}"


def _unbounded(edge: _Edge) -> bool:
    """Whether an edge's cost can be infinite: into a holding place nothing leaves (no room ever frees)."""
    place = edge.destination
    assert place is not None
    return place.holds and place.outflow <= 0


def _outflow(link: Link) -> float:
    """People a minute a link can take on while it runs: its vehicles' seats over a round (or their
    departures a day over its daily hours), or its flow limit; unbounded without either."""
    vehicles = link.vehicles
    if vehicles is None:
        return math.inf if link.per_hour is None else link.per_hour / 60.0
    rate = vehicles.count * vehicles.seats / max(1.0, link.time.mean() + vehicles.turnaround.mean())
    if vehicles.per_day is not None:
        rate = min(rate, vehicles.per_day * vehicles.seats / link.hours.length)
    return rate


def _may_depart(edge: _Edge, per_day: int | None, now: float) -> bool:
    """Whether a vehicle of the link may start loading now (its headway passed, the day's `per_day` not used)."""
    if edge.next_at > now:
        return False
    if per_day is None:
        return True
    return int(now // MINUTES_PER_DAY) != edge.day or edge.departures < per_day


def _count_departure(edge: _Edge, now: float) -> None:
    day = int(now // MINUTES_PER_DAY)
    if day != edge.day:
        edge.day, edge.departures = day, 0
    edge.departures += 1


def _seats(seats: int, factor: float) -> int:
    """Seats at a share of a link's capacity (its `scale:`; at least one while it runs at all)."""
    return seats if factor == 1.0 else max(1, int(seats * factor))


def _room(place: Place) -> float:
    return math.inf if place.capacity is None else float(place.capacity)


def _is_open(thing: _Place | _Link) -> bool:
    flag = thing.open  # as `_open_value`, inline: this is asked tens of thousands of times a run
    return (flag.value() if flag.modifiers else flag.base) >= 1.0


def _open_value(flag: Adjustable) -> float:
    """An open flag's value; its base while no temporary change runs (routing reads these very often)."""
    return flag.value() if flag.modifiers else flag.base


def _split(people: int, parts: int) -> list[int]:
    """`people` in at most `parts` near-equal groups, none empty."""
    parts = max(1, min(parts, people))
    if people <= 0:
        return []
    base, extra = divmod(people, parts)
    return [base + (1 if k < extra else 0) for k in range(parts)]
