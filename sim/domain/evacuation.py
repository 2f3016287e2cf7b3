"""A staged island evacuation as vehicle loads and cohorts.

People are integer counts per (municipality, class) held in a `Ledger` of
places; nothing here is one process per person. What moves them are the
vehicles the plan names, each a small SimPy process that cycles: feeder ships
and aircraft (outer island -> hub island), buses (registration centre ->
airport), evacuation aircraft drawn from a per-hub pool that must get an apron
stand (`Stands`, a priority pool shared with SDF/US reinforcement flights),
ships to a mainland port. Nothing polls: turnout and tourists' own departures are
`Release`s (sim/engine/release.py) that sleep until their next batch is due and
re-plan when an effect changes their rate, and onward travel on the mainland is
a timeout per landed load.

Rules kept here:
- conservation: every move goes through `Ledger.move`, so a person is always
  in exactly one place (tests assert it at every sample);
- the sourced figures are what is configured: an airport's stand time is
  derived from its departure window and its flights per stand per day, so a
  reform that patches `flights_per_stand_per_day` changes capacity the way
  the plan describes it;
- aircraft are reused: a flight that waits for weather or a stand delays every
  later departure of that airframe (the JTA cascade, domain facts 1.7);
- aircraft are called for the people waiting: an idle aircraft goes to a stand
  only while more people are in the terminal than the seats already called, so
  a few tourists call one aircraft and the stands stay free for other traffic;
- cheap: registration desks and security lanes are service banks that book a
  whole bus load (n x per-person time) arithmetically, and buses are a counted
  pool driven by callbacks, so a full run costs a few thousand SimPy events.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import simpy

from sim.domain.context import Context
from sim.domain.ledger import Groups, Ledger, Place, Queue, apportion, split, trigger
from sim.domain.state import Adjustable, Adjuster
from sim.engine.release import Release
from sim.engine.signals import Signal, first_of
from sim.engine.streams import RandomStreams, sample
from sim.errors import ModelError
from sim.events import Kind
from sim.scenario.evacuation import (
    AirHub,
    EvacuationConfig,
    FeederVehicle,
    Municipality,
    PersonClass,
    SeaHub,
    StandPriority,
    VesselGroup,
    departure_window,
)
from sim.scenario.types import Mixture, Triangular, Window

DAY = 1440.0
EPS = 1e-6
BATCH_MINUTES = 30.0
"""People leave home in batches of this many minutes' turnout at the configured rate (see `Evacuation._turnout`)."""
VOLUNTARY_BATCH_MINUTES = 60.0
"""Tourists leave on their own in batches of an hour's departures (see `Evacuation._voluntary_release`)."""


def time_left(now: float, deadline: float) -> float:
    """Minutes from `now` to `deadline`, or 0 once less than `EPS` is left.

    Every wait for the rest of a window goes through this, so it ends: at large
    clock values `now + (deadline - now)` can round back to `now` (half an ulp of
    4,144 minutes is 4.5e-13), and a loop that waits for such a remainder never
    lets time advance until the zero-time guard stops the run."""
    left = deadline - now
    return left if left > EPS else 0.0


MAX_DAYS_SEARCHED = 400
"""Days a flight looks ahead for a stand slot before the schedule counts as impossible
(longer than any horizon the schema allows)."""
RESIDENT, TOURIST, CARE = PersonClass.resident.value, PersonClass.tourist.value, PersonClass.care.value

Emit = Callable[..., Any]


# ---------------------------------------------------------------------------
# Time-of-day helpers (SimPy time is minutes since local midnight of D-day)
# ---------------------------------------------------------------------------


def next_in_window(t: float, open_at: float, close_at: float) -> float:
    """Earliest time >= t whose time of day lies in [open_at, close_at] (both inclusive)."""
    if close_at - open_at >= DAY:
        return t
    day = math.floor(t / DAY)
    tod = t - day * DAY
    if tod < open_at:
        return day * DAY + open_at
    if tod <= close_at + EPS:
        return t
    return (day + 1) * DAY + open_at


def window_bounds(window: Window) -> tuple[float, float]:
    return (0.0, DAY) if window.always_open else (window.open, window.close)


def drawer(streams: RandomStreams, dist: Any, stream: str) -> Callable[[], float]:
    """Draws from `dist` on the named stream, the same values `streams.sample` gives, with the
    stream looked up once (every bus load draws twice: this is on the hot path)."""
    if isinstance(dist, Mixture):  # keeps the streams' record of which component drew
        return lambda: streams.sample(dist, stream)
    rng = streams.stream(stream)
    if isinstance(dist, Triangular):  # the bundled scenarios' case
        return triangular(rng.random, dist.low, dist.high, dist.mode)
    return lambda: sample(dist, rng)


def triangular(random: Callable[[], float], low: float, high: float, mode: float) -> Callable[[], float]:
    """Draws `random.Random.triangular(low, high, mode)` would give from the same stream,
    with the mode's share worked out once (tests/unit/test_evacuation_draws.py checks they match)."""
    if high == low:
        return lambda: (random(), low)[1]  # triangular draws (and discards) a number even then
    c = (mode - low) / (high - low)
    flipped = 1.0 - c
    span, back = high - low, low - high

    def draw() -> float:
        u = random()
        if u > c:
            return high + back * math.sqrt((1.0 - u) * flipped)
        return low + span * math.sqrt(u * c)

    return draw


class ServiceBank:
    """Parallel servers (desks, lanes) booked one batch at a time.

    A batch of n people occupies one server for n x per-person time, the
    earliest-free server first; the finish time is computed, not simulated,
    so a bus load costs no SimPy events here. Service starts only inside the
    daily `hours`.
    """

    __slots__ = ("_free", "_last_start", "_limited", "_open")

    def __init__(self, servers: int, hours: Window | None = None) -> None:
        self._free = [0.0] * max(1, servers)
        self._open, close = window_bounds(hours) if hours is not None else (0.0, DAY)
        self._last_start = close - EPS
        self._limited = close - self._open < DAY

    def serve(self, arrive: float, work: float) -> float:
        free = self._free
        start = free[0] if free[0] > arrive else arrive  # max(arrive, free[0]), without the call
        if self._limited:  # `next_in_window(start, self._open, self._last_start)`, inline (every batch)
            day = math.floor(start / DAY)
            tod = start - day * DAY
            if tod < self._open:
                start = day * DAY + self._open
            elif tod > self._last_start + EPS:
                start = (day + 1) * DAY + self._open
        finish = start + work
        heapq.heapreplace(free, finish)  # the earliest-free server takes the batch
        return finish


class Stands:
    """An airport's apron stands: granted by priority (lower first), then first come.

    Behaves as the `simpy.PriorityResource` it replaces, event for event: a grant is
    an event scheduled when the request finds a stand free, or when an earlier
    holder's release is processed; a release frees the stand at once and offers it to
    the head of the queue through an event of its own. So runs are unchanged, at a
    fraction of the cost (every flight takes and frees a stand)."""

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self._env = env
        self.capacity = capacity
        self.users = 0
        self._queue: list[tuple[int, float, int, simpy.Event]] = []
        """Waiting requests as a heap of (priority, time requested, arrival number, grant event)."""
        self._arrivals = itertools.count()

    def request(self, priority: int) -> simpy.Event:
        """An event that fires when this request holds a stand; the holder must `release()` it."""
        env = self._env
        granted = env.event()
        heapq.heappush(self._queue, (priority, env.now, next(self._arrivals), granted))
        self._offer()
        return granted

    def release(self) -> None:
        self.users -= 1
        released = self._env.event()
        released.callbacks.append(self._offer)
        trigger(released)

    def _offer(self, _released: simpy.Event | None = None) -> None:
        """Grant the head of the queue a stand if one is free (one grant per offer, as SimPy does)."""
        if self._queue and self.users < self.capacity:
            self.users += 1
            trigger(heapq.heappop(self._queue)[3])


@dataclass(slots=True)
class Leg:
    """A route that effects can close: a feeder, an air hub or a sea hub.

    `open` is 1 (open) or 0 (closed), an `Adjustable` so that closures for a
    while and until opened again overlap exactly; `scale` is the capacity
    scale the scenario wires to a state variable (0 or below closes the leg).
    `closed_until` is when it opens again if nothing else changes (inf: not
    by itself), recomputed on every change; `changed` wakes the vehicles
    waiting on it."""

    id: str
    mode: str
    places: frozenset[str]
    closed_until: float = -math.inf
    open: Adjustable = field(default_factory=lambda: Adjustable(1.0, 0.0, 1.0))
    scale: float = 1.0
    changed: Signal = field(default_factory=Signal)
    reported_open: bool = True
    """Whether the last `leg_closed` / `leg_reopened` event said open (so each change is reported once)."""

    def open_at(self, t: float) -> float:
        return max(t, self.closed_until)

    @property
    def is_open(self) -> bool:
        return self.open.value() >= 1.0 and self.scale > 0.0

    def recompute(self, now: float) -> None:
        self.closed_until = (
            -math.inf
            if self.is_open
            else (math.inf if self.scale <= 0.0 else self.open.settles_at(now, lambda v: v >= 1.0))
        )
        self.changed.fire()

    def until_open(self, env: simpy.Environment) -> simpy.Event:
        """An event for a vehicle waiting on a closed leg: when it reopens (by itself or by an effect)."""
        if self.closed_until == math.inf:
            return self.changed.wait(env)
        return first_of(env, self.changed.wait(env), env.timeout(max(0.0, self.closed_until - env.now)))


# ---------------------------------------------------------------------------
# Live state of hubs and islands
# ---------------------------------------------------------------------------


class AirHubState:
    """One airport: stands, pool of aircraft, security lanes, terminal pull."""

    def __init__(
        self,
        env: simpy.Environment,
        cfg: AirHub,
        dest_window: Window,
        draw_security: Callable[[], float],
        ledger: Ledger,
    ) -> None:
        self.cfg = cfg
        self.id = cfg.id
        open_at, close_at = window_bounds(cfg.hours)
        # A departure must also arrive inside the destination's hours (the loader refuses hubs where none can).
        window = departure_window(cfg.hours, dest_window, cfg.block_time)
        if window is None:
            raise ModelError(f"air hub {cfg.id!r}: no departure time reaches {cfg.destination!r} within its hours")
        self.dep_open, self.dep_close = window
        self.stand_time = (self.dep_close - self.dep_open) / cfg.flights_per_stand_per_day
        self.latest_stand = self.dep_close - self.stand_time + EPS
        self.open, self.close = open_at, close_at
        self.stands = Stands(env, cfg.stands)
        first = cfg.priority is StandPriority.evacuation_first
        self.evacuation_priority = 0 if first else 1
        self.military_priority = 1 if first else 0
        self.lanes = ServiceBank(cfg.security_lanes, cfg.hours)
        self.draw_security = draw_security
        """Minutes per person at security, drawn from the hub's own stream."""
        self.airside = Queue(f"airside:{cfg.id}")
        self.landside = f"landside:{cfg.id}"
        self.landside_place: Place = ledger.places[self.landside]
        """The ledger's place behind `landside`, read directly on the hot path (its `total`)."""
        self.terminal_capacity = cfg.terminal_capacity
        self.bus_time = cfg.bus_time
        self.transit = f"leg:{cfg.id}"
        self.idle: deque[tuple[simpy.Event, int]] = deque()
        """Aircraft waiting to be called (their wake-up event and seats), first come first called."""
        self.called = 0
        """Seats of the aircraft called to a stand and not yet gone: an idle aircraft is called
        only while more people wait in the terminal (landside and airside) than these seats."""
        self.reserved: dict[int, int] = {}
        self.flights = 0
        self.people = 0
        self.daily: dict[int, int] = {}


class SeaHubState:
    """One port: a queue of people who cannot fly and the ships serving it."""

    def __init__(self, cfg: SeaHub) -> None:
        self.cfg = cfg
        self.id = cfg.id
        self.queue = Queue(f"seaq:{cfg.id}")
        self.transit = f"leg:{cfg.id}"
        self.vessels = sum(v.count for v in cfg.vessels)
        self.planned_vessels = self.vessels
        """Ships the plan provides; only these make care cases wait for the sea lift."""
        self.withdrawn: set[str] = set()
        """Vessel groups told to leave the lift; their ships stop at their next port call."""
        self.next_slot: dict[str, float] = {}
        """Per vessel group: earliest next departure (the headway is a group's timetable)."""
        self.flights = 0
        self.people = 0
        self.daily: dict[int, int] = {}


class IslandState:
    """A hub island's landside: registration queue, desks and the bus pool."""

    def __init__(
        self, island_id: str, desks: int, buses: int, seats: int, draw_registration: Callable[[], float]
    ) -> None:
        self.id = island_id
        self.reg = Queue(f"reg:{island_id}")
        self.draw_registration = draw_registration
        """Minutes per person at a registration desk, drawn from the island's own stream."""
        self.desks = ServiceBank(desks)
        self.idle_buses = buses
        self.returning: list[float] = []
        """When each bus on the road is back at the registration centre (a heap): a bus
        coming back is no SimPy event of its own; the centre looks at the clock when it
        dispatches, and wakes up at the earliest return only while people wait for a bus."""
        self.wake_at: float | None = None
        """When the pending "a bus is back" wake-up fires, if one is scheduled."""
        self.seats = seats
        self.air: list[AirHubState] = []
        self.sea: SeaHubState | None = None
        self.feeds: list[str] = []
        """Municipalities whose people come through this island."""
        self.upstream: list[tuple[MunicipalityState, Place, Place | None]] = []
        """Per municipality in `feeds`: its state, home place and outer-island port (if any),
        so counting who is still on the way (`Evacuation._incoming`) builds no place names."""
        self.feeder_places: list[Place] = []
        """Ledger places of the feeders that land at this island."""


@dataclass(slots=True)
class MunicipalityState:
    cfg: Municipality
    flowing: Adjustable = field(default_factory=lambda: Adjustable(1.0, 0.0, 1.0))
    """1 while people leave home once movement started, 0 while a `movement: stop` holds."""
    started_at: float | None = None
    turnout: Release | None = None
    """Lets its people leave home at the turnout rate (set once the model is built)."""
    completed_at: float | None = None
    """Last of its people left the islands."""
    cleared_at: float | None = None
    """Last of its people left its own island (for outer islands: boarded a feeder)."""
    home: Place | None = None
    """Its ledger place `home:<id>` (set once the ledger exists; turnout reads its counts)."""
    turnout_hours: tuple[float, float] = (0.0, DAY)
    """`window_bounds` of its turnout hours, worked out once."""


# ---------------------------------------------------------------------------
# What the console sees
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MunicipalityView:
    id: str
    name: str
    population: int
    at_home: int
    at_port_or_airport: int
    in_transit: int
    arrived: int
    at_host: int
    gone_home: int
    started: bool


@dataclass(frozen=True, slots=True)
class EvacuationView:
    """A snapshot for the console: where everyone is, per municipality and in total."""

    municipalities: tuple[MunicipalityView, ...]
    total: MunicipalityView
    moved_last_24h: int
    """People who left the islands in the last 24 h."""
    started: bool
    complete: bool


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


class Evacuation:
    """Moves the islands' population off the islands and on to the host prefectures."""

    def __init__(self, env: simpy.Environment, config: EvacuationConfig, streams: RandomStreams, emit: Emit) -> None:
        self.env = env
        self.config = config
        self.streams = streams
        self.emit = emit
        self.t0 = env.now
        self._adjuster = Adjuster(Context(env, streams, emit, lambda: env.now))
        self._compliance = Adjustable(1.0, 0.0)
        self._state: dict[str, float] = {}
        """State variables the scenario wires to this model (turnout `scale`, hub `capacity_scale`)."""
        self.voluntary = False
        self.first_start: float | None = None
        self.completed_at: float | None = None
        self.arrived_at: float | None = None
        self._due: dict[float, dict[str | None, Groups]] = {}
        """People on their way from an arrival node, by when they reach their host prefecture
        (None: home), so loads that land together arrive together."""
        self._lodged = 0
        """People at a host prefecture, in total."""
        self._at_host: list[tuple[float, int]] = []
        """(time, people at a host in total) each time people reached lodging: with the ledger's
        departures, the change points of the `series` metric."""

        self.municipalities = {m.id: MunicipalityState(m) for m in config.municipalities}
        self._hosts = {h.id: h for h in config.hosts}
        self._arrivals = {a.id: a for a in config.arrivals}
        self.ledger = Ledger(self._population(), lambda g: f"home:{g[0]}", lambda: env.now)
        self._add_places()
        self._quota = self._host_quotas()
        self._lodging = {h.id: h.lodging for h in config.hosts}
        """Rooms still free per host prefecture (a count: taking rooms never waits, so no SimPy container)."""
        self._ports = {m: Queue(f"port:{m}") for m in self.municipalities if self._is_outer(m)}
        for m, state in self.municipalities.items():
            state.home = self.ledger.places[f"home:{m}"]
            state.turnout_hours = window_bounds(state.cfg.turnout.hours)
            state.turnout = self._turnout(state)
        self._voluntary = self._voluntary_release()
        self._arrival_place = {a: f"node:{a}" for a in self._arrivals}
        """Ledger place name of each arrival node (vehicles land there)."""
        self._host_places = {
            h: (f"transfer:{h}", f"reception:{h}", self.ledger.places[f"reception:{h}"], f"host:{h}")
            for h in self._hosts
        }
        """Per host prefecture: its transfer, reception and host place names, and the reception place."""

        self.islands = {
            i.id: IslandState(
                i.id,
                i.registration_desks,
                i.buses,
                i.bus_seats,
                drawer(streams, i.registration_time, f"evacuation.registration.{i.id}"),
            )
            for i in config.islands
        }
        self._island_cfg = {i.id: i for i in config.islands}
        for m in config.municipalities:
            self.islands[m.hub_island].feeds.append(m.id)
        places = self.ledger.places
        for island in self.islands.values():
            island.upstream = [
                (self.municipalities[m], places[f"home:{m}"], places.get(f"port:{m}") if m in self._ports else None)
                for m in island.feeds
            ]
            island.feeder_places = [places[f"feeder:{f.id}"] for f in config.feeders if f.destination == island.id]
        self.legs: dict[str, Leg] = {}
        self.air_hubs: dict[str, AirHubState] = {}
        self.sea_hubs: dict[str, SeaHubState] = {}
        for hub in config.hubs:
            self._add_hub(hub)
        for feeder in config.feeders:
            self.legs[feeder.id] = Leg(
                feeder.id, feeder.mode, frozenset({feeder.id, feeder.origin, feeder.destination})
            )
            for k in range(feeder.count):
                env.process(self._feeder(feeder, f"{feeder.id}.{k + 1}"))
        if config.weather.typhoon_daily_probability > 0:
            env.process(self._weather())

    # -- construction --------------------------------------------------------
    def _population(self) -> Groups:
        groups: Groups = {}
        for m in self.config.municipalities:
            care = round(m.residents * m.care_share)
            for cls, n in ((RESIDENT, m.residents - care), (CARE, care), (TOURIST, m.tourists)):
                if n:
                    groups[(m.id, cls)] = n
        return groups

    def _is_outer(self, municipality: str) -> bool:
        return self.municipalities[municipality].cfg.hub_island != municipality

    def _add_places(self) -> None:
        add = self.ledger.add_place
        for m in self.municipalities:
            add(f"home:{m}", "at_home", off_islands=False)
            if self._is_outer(m):
                add(f"port:{m}", "at_port_or_airport", off_islands=False)
        for f in self.config.feeders:
            add(f"feeder:{f.id}", "in_transit", off_islands=False)
        for i in self.config.islands:
            add(f"reg:{i.id}", "at_port_or_airport", off_islands=False)
        for h in self.config.hubs:
            if isinstance(h, AirHub):
                add(f"landside:{h.id}", "at_port_or_airport", off_islands=False)
                add(f"airside:{h.id}", "at_port_or_airport", off_islands=False)
            else:
                add(f"seaq:{h.id}", "at_port_or_airport", off_islands=False)
            add(f"leg:{h.id}", "in_transit", off_islands=True)
        for a in self.config.arrivals:
            add(f"node:{a.id}", "arrived", off_islands=True)
        for p in self.config.hosts:
            add(f"transfer:{p.id}", "arrived", off_islands=True)
            add(f"reception:{p.id}", "arrived", off_islands=True)
            add(f"host:{p.id}", "at_host", off_islands=True)
        add("homebound", "arrived", off_islands=True)
        add("gone_home", "gone_home", off_islands=True)

    def _host_quotas(self) -> dict[str, dict[str, int]]:
        """Residents (incl. care) each host prefecture takes from each municipality."""
        quotas = {}
        for m in self.config.municipalities:
            weights: dict[str, float] = {}
            for share in m.hosts:
                weights[share.prefecture] = weights.get(share.prefecture, 0) + share.residents
            quotas[m.id] = apportion(m.residents, weights)
        return quotas

    def _add_hub(self, hub: AirHub | SeaHub) -> None:
        island = self.islands[hub.island]
        self.legs[hub.id] = Leg(hub.id, hub.mode, frozenset({hub.id, hub.island}))
        if isinstance(hub, AirHub):
            draw_security = drawer(self.streams, hub.security_time, f"evacuation.security.{hub.id}")
            state = AirHubState(self.env, hub, self._arrivals[hub.destination].hours, draw_security, self.ledger)
            self.air_hubs[hub.id] = state
            island.air.append(state)
            for n, (aircraft, seats) in enumerate(self._interleaved_fleet(hub)):
                self.env.process(self._aircraft(state, island, seats, f"{hub.id}.{aircraft}.{n + 1}"))
        else:
            state = SeaHubState(hub)
            self.sea_hubs[hub.id] = state
            island.sea = island.sea or state
            for group in hub.vessels:
                self._launch_vessels(state, island, group)

    @staticmethod
    def _interleaved_fleet(hub: AirHub) -> list[tuple[str, int]]:
        """Aircraft in an order that spreads the types evenly, so every day flies the pool's mix."""
        slots = []
        for a in hub.fleet:
            for i in range(a.count):
                slots.append(((i + 0.5) / a.count, a.id, a.seats))
        return [(aid, seats) for _, aid, seats in sorted(slots)]

    def _launch_vessels(self, hub: SeaHubState, island: IslandState, group: VesselGroup) -> None:
        for k in range(group.count):
            self.env.process(self._vessel(hub, island, group, f"{hub.id}.{group.id}.{k + 1}"))

    # -- engine interface ------------------------------------------------------
    def start_voluntary_departures(self) -> None:
        """Tourists begin leaving on commercial services until their island's movement starts."""
        if not self.voluntary:
            self.voluntary = True
            self._voluntary.replan()

    def start_movement(self, municipality_id: str) -> None:
        """Implementation guidelines issued: this municipality's people start to move (idempotent)."""
        state = self.municipalities.get(municipality_id)
        if state is None:
            raise ValueError(f"unknown municipality {municipality_id!r}")
        if state.started_at is not None:
            return
        now = self.env.now
        state.started_at = now
        if self.first_start is None:
            self.first_start = now
        self.emit(
            Kind.movement_started,
            municipality_id,
            None,
            municipality=municipality_id,
            people=self.ledger.total(f"home:{municipality_id}"),
        )
        self._voluntary.replan()  # its tourists now leave with everyone else
        self._replan_turnout(state)

    @property
    def compliance(self) -> float:
        """Multiplier on every municipality's turnout (the older `compliance` effect changes it)."""
        return self._compliance.value()

    def read_state(self, values: dict[str, float]) -> None:
        """Wire the state variables the scenario names (hub `capacity_scale`, turnout `scale`)."""
        self._state = values
        for leg in self.legs.values():
            self._rescale(leg)
        for state in self.municipalities.values():
            self._replan_turnout(state)

    def state_changed(self, name: str) -> None:
        for hub in self.config.hubs:
            if hub.capacity_scale == name:
                self._rescale(self.legs[hub.id])
        for state in self.municipalities.values():
            if state.cfg.turnout.scale == name:
                self._replan_turnout(state)

    def _rescale(self, leg: Leg) -> None:
        hub = self.air_hubs.get(leg.id) or self.sea_hubs.get(leg.id)
        name = hub.cfg.capacity_scale if hub is not None else None
        scale = self._state.get(name, 1.0) if name is not None else 1.0
        if scale != leg.scale:
            was_open = leg.is_open
            leg.scale = scale
            leg.recompute(self.env.now)
            if was_open != leg.is_open and leg.reported_open != leg.is_open:
                leg.reported_open = leg.is_open
                kind = Kind.leg_reopened if leg.is_open else Kind.leg_closed
                extra = {} if leg.is_open else {"mode": leg.mode, "places": [], "hours": None}
                self.emit(kind, f"state:{name}", None, legs=[leg.id], **extra)

    def _scaled(self, leg: Leg, amount: int) -> int:
        """`amount` (flights a day, seats a trip) at the leg's capacity scale, at least 1 while open."""
        if leg.scale >= 1.0:
            return amount
        return max(1, math.floor(amount * leg.scale))

    def _matching(self, mode: str, places: list[str]) -> list[Leg]:
        wanted = set(places)
        return [leg for leg in self.legs.values() if mode in ("all", leg.mode) and (not wanted or wanted & leg.places)]

    def close(self, mode: str, places: list[str], duration: float | None, cause: str = "weather") -> None:
        """Close matching legs for `duration` minutes, or until opened again (None)."""
        legs = self._matching(mode, places)
        for leg in legs:
            self._adjuster.change(leg.open, "set", 0.0, duration, lambda _data, leg=leg: leg.recompute(self.env.now))
            leg.reported_open = leg.is_open
        self.emit(
            Kind.leg_closed,
            cause,
            None,
            mode=mode,
            places=sorted(set(places)),
            legs=[leg.id for leg in legs],
            hours=None if duration is None else round(duration / 60.0, 4),
        )
        if legs and duration is not None:
            self.env.timeout(duration).callbacks.append(lambda _e, legs=tuple(legs): self._reopened(legs, cause))

    def open(self, mode: str, places: list[str], duration: float | None, cause: str) -> None:
        """Open matching legs (ending closures made before), for `duration` minutes or until closed again."""
        legs = self._matching(mode, places)
        was_closed = [leg for leg in legs if not leg.is_open]
        for leg in legs:
            self._adjuster.change(leg.open, "set", 1.0, duration, lambda _data, leg=leg: leg.recompute(self.env.now))
        self._reopened(tuple(was_closed), cause)
        if duration is not None and legs:

            def closed_again(_event: simpy.Event, legs: tuple[Leg, ...] = tuple(legs)) -> None:
                again = [leg.id for leg in legs if not leg.is_open and leg.reported_open]
                for leg in legs:
                    if not leg.is_open:
                        leg.reported_open = False
                if again:
                    self.emit(
                        Kind.leg_closed, cause, None, mode=mode, places=sorted(set(places)), legs=again, hours=None
                    )

            self.env.timeout(duration).callbacks.append(closed_again)

    def _reopened(self, legs: tuple[Leg, ...], cause: str) -> None:
        opened = [leg.id for leg in legs if leg.is_open and not leg.reported_open]
        for leg in legs:
            leg.reported_open = leg.reported_open or leg.is_open
        if opened:
            self.emit(Kind.leg_reopened, cause, None, legs=opened)

    def set_compliance(self, factor: float, duration: float | None, cause: str = "population") -> None:
        """Multiply the rate at which people turn up, for `duration` minutes (or until changed again)."""

        def report(data: dict[str, Any]) -> None:
            for state in self.municipalities.values():  # turnout follows at once, not at a next step
                self._replan_turnout(state)
            self.emit(
                Kind.compliance_changed,
                cause,
                None,
                factor=factor,
                compliance=round(self.compliance, 6),
                change=data["change"],
            )

        self._adjuster.change(self._compliance, "scale", factor, duration, report)

    def change_movement(self, action: str, areas: list[str], duration: float | None, cause: str) -> None:
        """`start` (movement begins if it had not, and stops are lifted) or `stop` people leaving home."""
        names = areas or list(self.municipalities)
        for name in names:
            state = self.municipalities[name]
            if action == "start":
                self.start_movement(name)
            self._adjuster.change(
                state.flowing,
                "set",
                1.0 if action == "start" else 0.0,
                duration,
                lambda _data, state=state: self._replan_turnout(state),  # on the change and on its end
            )
        self.emit(
            Kind.movement_changed,
            cause,
            None,
            action=action,
            areas=names,
            hours=None if duration is None else round(duration / 60.0, 4),
        )

    def reinforce(self, hub_id: str, flights: int, stand_time: float, priority: StandPriority | None = None) -> None:
        """SDF/US reinforcement flights that each hold a stand at the hub for `stand_time`,
        inside the airport's hours, under `priority` (default the hub's own rule)."""
        hub = self._air_hub(hub_id)
        if priority is None:
            rank = hub.military_priority
        else:
            rank = 0 if priority is StandPriority.military_first else 1
        for k in range(flights):
            self.env.process(self._reinforcement(hub, stand_time, k + 1, rank))

    def add_vessels(self, hub_id: str, count: int, passengers_per_trip: int, group: str = "assigned") -> None:
        """Ships (e.g. a coast guard's patrol vessels) join a hub's sea lift and carry whoever waits."""
        hub = self._sea_hub(hub_id)
        applied = hub is not None and count > 0 and passengers_per_trip > 0
        if applied:
            island = self.islands[hub.cfg.island]
            hub.vessels += count
            hub.withdrawn.discard(group)
            vessels = VesselGroup(id=group, count=count, passengers_per_trip=passengers_per_trip, takes_anyone=True)
            self._launch_vessels(hub, island, vessels)
        self.emit(
            Kind.vessels_assigned,
            group,
            hub.id if hub else hub_id,
            count=count,
            passengers_per_trip=passengers_per_trip,
            applied=applied,
        )

    def withdraw_vessels(self, hub_id: str, group: str) -> None:
        """A group's ships leave the lift after the trip they are on (e.g. returned to their own tasks)."""
        hub = self._sea_hub(hub_id)
        if hub is not None:
            hub.withdrawn.add(group)
        self.emit(
            Kind.vessels_assigned,
            group,
            hub.id if hub else hub_id,
            count=0,
            passengers_per_trip=0,
            applied=hub is not None,
        )

    def places(self) -> set[str]:
        """Every place an inject may close: municipalities, islands and hubs."""
        return set().union(*(leg.places for leg in self.legs.values())) | set(self.municipalities) | set(self.islands)

    def has_air_hub(self, hub_id: str) -> bool:
        """Whether reinforcement flights to `hub_id` (a hub or its island) find an airport."""
        try:
            self._air_hub(hub_id)
        except ValueError:
            return False
        return True

    def _air_hub(self, hub_id: str) -> AirHubState:
        if hub_id in self.air_hubs:
            return self.air_hubs[hub_id]
        island = self._island_of(hub_id)
        if island is not None and island.air:
            return island.air[0]
        raise ValueError(f"no air hub {hub_id!r}")

    def _sea_hub(self, hub_id: str) -> SeaHubState | None:
        if hub_id in self.sea_hubs:
            return self.sea_hubs[hub_id]
        island = self._island_of(hub_id)
        return island.sea if island is not None else None

    def _island_of(self, place: str) -> IslandState | None:
        if place in self.islands:
            return self.islands[place]
        if place in self.air_hubs:
            return self.islands[self.air_hubs[place].cfg.island]
        if place in self.municipalities:
            return self.islands[self.municipalities[place].cfg.hub_island]
        return None

    # -- flows between places ------------------------------------------------------
    def _incoming(self, island: IslandState) -> int:
        """People of started municipalities still on their way to this island's registration."""
        total = 0
        for state, home, port in island.upstream:
            if state.started_at is not None:
                total += home.total
            if port is not None:
                total += port.total
        for place in island.feeder_places:
            total += place.total
        return total

    def _join_island(self, island: IslandState, groups: Groups, src: str) -> None:
        """People reach a hub island: care cases go to the sea lift if the plan has ships for
        it; ships assigned later (a `vessels` effect) take whoever waits, so they never
        strand care cases that would otherwise have flown."""
        sea = island.sea
        if sea is not None and sea.planned_vessels > 0:
            by_sea = {g: n for g, n in groups.items() if g[1] == CARE}
            if by_sea:
                groups = {g: n for g, n in groups.items() if g[1] != CARE}
                self.ledger.move(by_sea, src, sea.queue.place)
                sea.queue.put(by_sea)
        if groups:
            self.ledger.move(groups, src, island.reg.place)
            island.reg.put(groups)
            self._dispatch_buses(island)

    def _dispatch_buses(self, island: IslandState) -> None:
        """Send idle buses with registered loads to the airport with the most room.

        Called when something the dispatch depends on changed: people registered,
        a flight left (terminal room), or the earliest bus on the road is back."""
        reg = island.reg
        if reg.total == 0:
            return
        env, ledger = self.env, self.ledger
        now = env.now
        returning = island.returning
        back_by = now + EPS
        while returning and returning[0] <= back_by:
            heapq.heappop(returning)
            island.idle_buses += 1
        registration_time = island.draw_registration
        care_factor = self.config.care_factor
        hubs = island.air
        seats = island.seats
        timeout = env.timeout
        cleared_security = self._cleared_security
        take, move, serve_desk, push = reg.take, ledger.move, island.desks.serve, heapq.heappush  # per load
        while island.idle_buses > 0 and reg.total > 0:
            want = seats if seats < reg.total else reg.total
            best, best_room = None, -1.0
            for hub in hubs:
                room = hub.terminal_capacity - hub.landside_place.total - hub.airside.total
                if room >= want:
                    share = room / hub.terminal_capacity
                    if share > best_room:
                        best, best_room = hub, share
            if best is None:
                return  # the terminals are full: the next departure calls again
            hub = best
            groups = take(want)
            move(groups, reg.place, hub.landside)
            island.idle_buses -= 1
            if len(groups) == 1:  # one cohort: the sum below of one term, without the list
                ((g, n),) = groups.items()
                weighted = n * (care_factor if g[1] == CARE else 1.0)
            else:
                weighted = sum([n * (care_factor if g[1] == CARE else 1.0) for g, n in groups.items()])
            registered = serve_desk(now, weighted * registration_time())
            bus_time = hub.bus_time
            at_airport = registered + bus_time
            cleared = hub.lanes.serve(at_airport, weighted * hub.draw_security())
            timeout(cleared - now, (hub, groups)).callbacks.append(cleared_security)
            push(returning, at_airport + bus_time)
            if hub.idle:  # aircraft waiting to be called (`_call_aircraft` would find none otherwise)
                self._call_aircraft(hub)
        if reg.total > 0 and returning and (island.wake_at is None or returning[0] < island.wake_at - EPS):
            island.wake_at = returning[0]
            env.timeout(max(0.0, returning[0] - now), island).callbacks.append(self._bus_back)

    def _cleared_security(self, cleared: simpy.Timeout) -> None:
        """A batch cleared security: the timeout that ends at that moment carries (hub, groups), so
        the batch's wake-up is this method itself, with no closure made and called per bus load."""
        hub, groups = cleared._value
        self.ledger.move(groups, hub.landside, hub.airside.place)
        hub.airside.put(groups)

    def _bus_back(self, timer: simpy.Timeout) -> None:
        """The wake-up for the earliest bus back while people waited for one (its timer carries the island)."""
        island = timer._value
        if island.wake_at is not None and island.wake_at <= self.env.now + EPS:
            island.wake_at = None
        self._dispatch_buses(island)

    def _check_cleared(self, municipality: str) -> None:
        state = self.municipalities[municipality]
        if (
            state.cleared_at is None
            and state.started_at is not None
            and self.ledger.total(f"home:{municipality}") + self.ledger.total(f"port:{municipality}") == 0
        ):
            state.cleared_at = self.env.now

    def _left_islands(self, groups: Groups) -> None:
        """Record municipality and overall completion after people left the islands."""
        now = self.env.now
        for m in {g[0] for g in groups}:
            state = self.municipalities[m]
            if state.completed_at is None and self.ledger.on_islands[m] == 0:
                state.completed_at = now
                if state.cleared_at is None:
                    state.cleared_at = now
        if self.completed_at is None and self.ledger.on_islands_total == 0:
            self.completed_at = now
            self.emit(
                Kind.evacuation_completed,
                "evacuation",
                None,
                people=sum(self.ledger.population.values()),
                hours=None if self.first_start is None else round((now - self.first_start) / 60.0, 4),
                municipalities=sorted({g[0] for g in groups}),  # whose people were the last to leave
            )

    # -- vehicles ------------------------------------------------------------------
    def _feeder(self, f: FeederVehicle, name: str):
        """A feeder ship or aircraft: load at the outer island, unload at the hub island, return."""
        env, ledger = self.env, self.ledger
        queue = self._ports[f.origin]
        leg = self.legs[f.id]
        island = self.islands[f.destination]
        open_at, close_at = window_bounds(f.departures)
        origin = self.municipalities[f.origin]
        home = origin.home
        assert home is not None
        aboard = f"feeder:{f.id}"
        while True:
            while queue.total == 0:
                yield queue.wait(env)
            deadline = env.now + f.max_wait
            while (
                queue.total < f.capacity
                and home.total > 0
                and origin.started_at is not None
                and (left := time_left(env.now, deadline))
            ):
                yield first_of(env, queue.wait(env), env.timeout(left))
            if leg.closed_until == math.inf:
                yield leg.until_open(env)
                continue
            depart = next_in_window(leg.open_at(env.now), open_at, close_at)
            if wait := time_left(env.now, depart):
                yield env.timeout(wait)
                continue
            groups = queue.take(f.capacity)
            people = ledger.move(groups, queue.place, aboard)
            self._check_cleared(f.origin)
            self.emit(Kind.departed, name, f.destination, leg=f.id, vehicle=name, people=people)
            yield env.timeout(f.travel_time)
            self._join_island(island, groups, aboard)
            self.emit(Kind.arrived, name, f.destination, leg=f.id, vehicle=name, people=people)
            while leg.closed_until == math.inf:
                yield leg.until_open(env)
            back = next_in_window(leg.open_at(env.now + f.turnaround), open_at, close_at)
            yield env.timeout(back + f.travel_time + f.turnaround - env.now)

    def _stand_start(self, hub: AirHubState, t: float) -> tuple[float, int]:
        """Earliest time >= t a flight may take a stand and still leave in the window, under the daily cap."""
        cap = hub.cfg.max_flights_per_day
        leg = self.legs[hub.id]
        if leg.scale < 1.0:
            nominal = cap if cap is not None else math.floor(hub.cfg.stands * hub.cfg.flights_per_stand_per_day)
            cap = self._scaled(leg, nominal)
        for _ in range(MAX_DAYS_SEARCHED):
            day = math.floor(t / DAY)
            tod = t - day * DAY
            if tod < hub.dep_open:
                t, tod = day * DAY + hub.dep_open, hub.dep_open
            if tod > hub.latest_stand or (cap is not None and hub.reserved.get(day, 0) >= cap):
                t = (day + 1) * DAY + hub.dep_open
                continue
            return t, day
        raise ModelError(
            f"air hub {hub.id!r}: no stand slot fits its departure window on any of {MAX_DAYS_SEARCHED} days"
        )

    def _aircraft(self, hub: AirHubState, island: IslandState, seats: int, name: str):
        """One airframe of the hub's pool: stand, board, fly out, turn round, fly back, again."""
        env, ledger, cfg = self.env, self.ledger, hub.cfg
        leg = self.legs[hub.id]
        dest = self._arrivals[cfg.destination]
        d_open, d_close = window_bounds(dest.hours)
        landed = self._arrival_place[cfg.destination]
        landside, airside = hub.landside_place, hub.airside
        while True:
            if landside.total + airside.total > hub.called:
                hub.called += seats
            else:
                called = env.event()
                hub.idle.append((called, seats))
                yield called  # `_call_aircraft` counted our seats as called
            start, day = self._stand_start(hub, env.now)
            while wait := time_left(env.now, start):  # called for the next slot in the departure window
                yield env.timeout(wait)
                start, day = self._stand_start(hub, env.now)
            hub.reserved[day] = hub.reserved.get(day, 0) + 1
            yield hub.stands.request(priority=hub.evacuation_priority)
            try:
                if env.now - day * DAY > hub.latest_stand:
                    hub.reserved[day] -= 1
                    self._uncall(hub, seats)
                    continue
                yield env.timeout(hub.stand_time)
                deadline = min(env.now + cfg.boarding_hold, day * DAY + hub.dep_close)
                while (
                    hub.airside.total < seats
                    and (left := time_left(env.now, deadline))
                    and (island.reg.total > 0 or landside.total > 0 or self._incoming(island) > 0)
                ):
                    yield first_of(env, hub.airside.wait(env), env.timeout(left))
                while leg.closed_until > env.now:
                    yield leg.until_open(env)
                if env.now > day * DAY + hub.dep_close + EPS or hub.airside.total == 0:
                    hub.reserved[day] -= 1
                    self._uncall(hub, seats)
                    continue
                groups = hub.airside.take(seats)
                people = ledger.move(groups, hub.airside.place, hub.transit)
                self._uncall(hub, seats)
            finally:
                hub.stands.release()
            self._count_trip(hub, people)
            self._left_islands(groups)
            if island.reg.total:  # terminal room freed: buses go if people wait for one
                self._dispatch_buses(island)
            self.emit(Kind.departed, name, cfg.destination, leg=hub.id, vehicle=name, people=people)
            yield env.timeout(cfg.block_time)
            ledger.move(groups, hub.transit, landed)  # `self._land(...)`, inline (every flight)
            self._onward(cfg.destination, groups)
            self.emit(Kind.arrived, name, cfg.destination, leg=hub.id, vehicle=name, people=people)
            while leg.closed_until == math.inf:
                yield leg.until_open(env)
            back = env.now + cfg.turnaround
            reopens = leg.closed_until  # `leg.open_at(back)` below, inline: nothing changes it in this loop
            for _ in range(30):
                back = next_in_window(reopens if reopens > back else back, d_open, d_close)
                home_at = back + cfg.block_time
                home_open = next_in_window(home_at, hub.open, hub.close)
                if home_open == home_at:
                    break
                back = home_open - cfg.block_time
            yield env.timeout(back + cfg.block_time - env.now)

    def _uncall(self, hub: AirHubState, seats: int) -> None:
        """An aircraft called to a stand left it (full, or empty-handed): its seats no longer
        count against the people waiting, so another aircraft may be called for them."""
        hub.called -= seats
        if hub.idle:  # an aircraft waits to be called (`_call_aircraft` finds none otherwise)
            self._call_aircraft(hub)

    @staticmethod
    def _call_aircraft(hub: AirHubState) -> None:
        """Call idle aircraft to a stand, first come first called, while more people wait in the
        terminal than the seats already called (a few tourists call one aircraft, not the pool)."""
        idle = hub.idle
        while idle and hub.landside_place.total + hub.airside.total > hub.called:
            called, seats = idle.popleft()
            hub.called += seats
            trigger(called)

    def _count_trip(self, hub: AirHubState | SeaHubState, people: int) -> None:
        hub.flights += 1
        hub.people += people
        day = math.floor(self.env.now / DAY)
        hub.daily[day] = hub.daily.get(day, 0) + people

    def _vessel(self, hub: SeaHubState, island: IslandState, group: VesselGroup, name: str):
        """A ship of the sea lift: wait for a load, sail at the next free slot, return."""
        env, ledger, cfg = self.env, self.ledger, hub.cfg
        leg = self.legs[hub.id]
        open_at, close_at = window_bounds(cfg.departures)
        capacity = group.passengers_per_trip

        def waiting() -> int:
            return hub.queue.total + (island.reg.total if group.takes_anyone else 0)

        while True:
            if group.id in hub.withdrawn:
                hub.vessels -= 1
                return
            while waiting() == 0:
                events = [hub.queue.wait(env)] + ([island.reg.wait(env)] if group.takes_anyone else [])
                yield first_of(env, *events)
                if group.id in hub.withdrawn:
                    break
            if group.id in hub.withdrawn:
                continue
            deadline = env.now + cfg.max_wait
            while waiting() < capacity and self._incoming(island) > 0 and (left := time_left(env.now, deadline)):
                events = [hub.queue.wait(env), env.timeout(left)]
                if group.takes_anyone:
                    events.append(island.reg.wait(env))
                yield first_of(env, *events)
            while leg.closed_until == math.inf:
                yield leg.until_open(env)
            slot = hub.next_slot.get(group.id, -math.inf)
            depart = next_in_window(leg.open_at(max(env.now, slot)), open_at, close_at)
            hub.next_slot[group.id] = depart + cfg.headway
            if depart > env.now:
                yield env.timeout(depart - env.now)
            while leg.closed_until > env.now:
                yield leg.until_open(env)
            load = self._scaled(leg, capacity)
            groups = hub.queue.take(load)
            people = ledger.move(groups, hub.queue.place, hub.transit)
            if group.takes_anyone and people < load and island.reg.total:
                extra = island.reg.take(load - people)
                people += ledger.move(extra, island.reg.place, hub.transit)
                for g, n in extra.items():
                    groups[g] = groups.get(g, 0) + n
            if people == 0:
                continue
            self._count_trip(hub, people)
            self._left_islands(groups)
            self.emit(Kind.departed, name, cfg.destination, leg=hub.id, vehicle=name, people=people)
            yield env.timeout(cfg.voyage_time)
            self._land(cfg.destination, groups, hub.transit)
            self.emit(Kind.arrived, name, cfg.destination, leg=hub.id, vehicle=name, people=people)
            yield env.timeout(cfg.turnaround + cfg.voyage_time + cfg.turnaround)

    def _reinforcement(self, hub: AirHubState, stand_time: float, n: int, rank: int):
        """An SDF/US flight that needs a stand at an evacuation airport, inside its hours."""
        latest = hub.close - stand_time
        while True:
            start = next_in_window(self.env.now, hub.open, max(hub.open + 1.0, latest))
            if start > self.env.now:
                yield self.env.timeout(start - self.env.now)
            yield hub.stands.request(priority=rank)
            try:
                tod = self.env.now % DAY
                if tod < hub.open - EPS or tod > max(hub.open + 1.0, latest) + EPS:
                    continue  # the stand came free after hours: try again in the morning
                self.emit(
                    Kind.reinforcement_landed,
                    "reinforcement",
                    hub.id,
                    hub=hub.id,
                    flight=n,
                    hours_on_stand=round(stand_time / 60.0, 4),
                )
                yield self.env.timeout(stand_time)
                return
            finally:
                hub.stands.release()

    def _land(self, node: str, groups: Groups, src: str) -> None:
        self.ledger.move(groups, src, self._arrival_place[node])
        self._onward(node, groups)

    # -- people leaving home: turnout and tourists' own departures -------------------
    def _turnout(self, state: MunicipalityState) -> Release:
        """A municipality's turnout: `per_hour` within its turnout hours, times compliance and
        its `scale` variable, once movement started and while no `movement: stop` holds.

        People leave in batches of `BATCH_MINUTES` (30) minutes' turnout at the configured
        rate, at least one person, so the events grow with the people moved (about 240
        batches for the default scenario's 120,000), not with the hours that pass; a lower
        rate makes batches come less often, not smaller. Why 30: the first people reach the
        port or registration half an hour after the order, what the hourly step it replaces
        gave on average; every batch wakes the buses, ships and feeders waiting for people,
        and finer batches change no result: over seeds 1-10 the default scenario finished at
        the same mean with batches of 10, 15, 20 and 30 minutes, and the Izu Oshima 1986 case
        as written for this model (30 seeds) kept its medians from 10 to 30 (at 60 its first
        ship left 20 minutes later). The default run takes about a fifth longer with
        10-minute batches."""
        turnout = state.cfg.turnout
        return Release(
            self.env,
            math.ceil(turnout.per_hour * BATCH_MINUTES / 60.0),
            state.turnout_hours,
            lambda: self._turnout_rate(state),
            lambda: state.home.total if state.started_at is not None and state.home is not None else 0,
            lambda n: self._leave_home(state, n),
        )

    def _turnout_rate(self, state: MunicipalityState) -> float:
        """People a minute leaving home now (0 before movement starts and while it is stopped)."""
        if state.started_at is None or state.flowing.value() < 1.0:
            return 0.0
        turnout = state.cfg.turnout
        scale = self._state.get(turnout.scale, 1.0) if turnout.scale is not None else 1.0
        return turnout.per_hour / 60.0 * self.compliance * max(0.0, scale)

    def _replan_turnout(self, state: MunicipalityState) -> None:
        if state.turnout is not None:
            state.turnout.replan()

    def _leave_home(self, state: MunicipalityState, n: int) -> None:
        """`n` of a municipality's people leave home: to its port (outer islands) or registration."""
        home = state.home
        assert home is not None
        groups = split(self.ledger.groups(home.name), n)
        if not groups:
            return
        m = state.cfg.id
        if self._is_outer(m):
            port = self._ports[m]
            self.ledger.move(groups, home.name, port.place)
            port.put(groups)
        else:
            self._join_island(self.islands[state.cfg.hub_island], groups, home.name)

    def _voluntary_release(self) -> Release:
        """Tourists of municipalities whose movement has not started leave on scheduled services.

        They take seats like everyone else (domain facts §8.6): a hub island's
        tourists go to its airport by their own means, pass the same security
        lanes and board the hub's flights, which count against its stands and
        daily cap; an outer island's tourists take its feeder first. At the
        terminal they queue with evacuees in order of arrival (the airside queue
        is first come, first served), so once movement starts somewhere on the
        island they compete for the same seats. The daily rate is what would
        leave; an airport whose terminal is full turns that batch's excess away
        (it does not pile up).

        Batches are an hour's departures (at least one tourist): scheduled services
        leave about hourly, and a finer batch would send an outer island's feeder
        off for every two or three tourists (before movement starts it does not wait
        to fill), tripling the feeder trips for the same people.
        """
        cfg = self.config.tourists
        window = window_bounds(cfg.voluntary_hours)
        per_minute = cfg.voluntary_per_day / (window[1] - window[0])
        return Release(
            self.env,
            math.ceil(per_minute * VOLUNTARY_BATCH_MINUTES),
            window,
            lambda: per_minute if self.voluntary else 0.0,
            lambda: sum(self._tourists_at_home().values()),
            self._voluntary_departures,
        )

    def _tourists_at_home(self) -> dict[str, int]:
        """Tourists still at home in municipalities whose movement has not started."""
        return {
            m: s.home.counts.get((m, TOURIST), 0)
            for m, s in self.municipalities.items()
            if s.started_at is None and s.home is not None
        }

    def _voluntary_departures(self, n: int) -> None:
        """`n` tourists leave, spread over the municipalities in proportion to those at home."""
        tourists = self._tourists_at_home()
        for m, k in apportion(n, tourists).items():
            self._tourists_leave(m, {(m, TOURIST): min(k, tourists[m])})

    def _tourists_leave(self, municipality: str, groups: Groups) -> None:
        """Send voluntarily departing tourists towards a seat (see `_voluntary_release`)."""
        home = f"home:{municipality}"
        if self._is_outer(municipality):
            port = self._ports[municipality]
            self.ledger.move(groups, home, port.place)
            port.put(groups)
            return
        island = self.islands[self.municipalities[municipality].cfg.hub_island]
        if not island.air:  # an island served only by sea: its ships take whoever registers
            self._join_island(island, groups, home)
            return
        ledger = self.ledger
        hub = max(
            island.air,
            key=lambda h: (
                (h.cfg.terminal_capacity - ledger.total(h.landside) - h.airside.total) / h.cfg.terminal_capacity
            ),
        )
        room = hub.terminal_capacity - hub.landside_place.total - hub.airside.total
        groups = {g: min(n, max(0, room)) for g, n in groups.items()}
        people = sum(groups.values())
        if people == 0:
            return
        ledger.move(groups, home, hub.landside)
        env = self.env
        cleared = hub.lanes.serve(
            env.now, people * self.streams.sample(hub.cfg.security_time, f"evacuation.security.tourists.{hub.id}")
        )
        env.timeout(cleared - env.now, (hub, groups)).callbacks.append(self._cleared_security)
        self._call_aircraft(hub)

    # -- on the mainland: onward travel, reception and lodging ---------------------------
    def _onward(self, node: str, groups: Groups) -> None:
        """Stage C for one landed load: residents set off for their host prefectures (by the
        plan's quotas) and tourists for home at once, each part due after its own travel time.
        Parts due at the same instant (loads that landed together) share one timeout and
        reach their host as one group."""
        ledger = self.ledger
        place = self._arrival_place[node]
        quotas = self._quota
        going_home: Groups = {}
        onward: dict[str | None, Groups] = {None: going_home}  # home first, then per host prefecture
        for group, n in groups.items():  # one pass sorts the load (every landed load comes here)
            if not n:
                continue
            if group[1] == TOURIST:
                going_home[group] = n
                continue
            quota = quotas[group[0]]
            for prefecture, k in apportion(n, quota).items():
                quota[prefecture] -= k
                moving = onward.get(prefecture)
                if moving is None:
                    onward[prefecture] = {group: k}
                else:
                    moving[group] = k
        now, due = self.env.now, self._due
        for prefecture, moving in onward.items():  # one move and one arrival each
            if prefecture is None:
                if not going_home:
                    continue
                ledger.move(going_home, place, "homebound")
                delay = self.config.tourists.home_time
            else:
                ledger.move(moving, place, self._host_places[prefecture][0])
                delay = self._hosts[prefecture].transfer_time
            # due `delay` from now; parts due at one instant share one timeout (a few thousand parts a run)
            at = now + delay
            parts = due.get(at)
            if parts is None:
                parts = due[at] = {}
                self.env.timeout(delay, at).callbacks.append(self._reached)
            into = parts.get(prefecture)
            if into is None:
                parts[prefecture] = dict(moving)
            else:
                for group, n in moving.items():
                    into[group] = into.get(group, 0) + n

    def _reached(self, timer: simpy.Timeout) -> None:
        """Transfers reach their host's reception, which lodges whoever it has beds for (the rest
        wait there); tourists count as home. The timer carries the time they were due, the key
        of their parts in `_due`."""
        parts = self._due.pop(timer._value)
        ledger = self.ledger
        for prefecture, groups in parts.items():
            if prefecture is None:
                ledger.move(groups, "homebound", "gone_home")
                continue
            transfer, reception, reception_place, host = self._host_places[prefecture]
            people = sum(groups.values())
            rooms = self._lodging[prefecture]
            if reception_place.total == 0 and people <= rooms:  # the common case: beds for all, nobody waiting
                admit = ledger.move(groups, transfer, host)
            else:
                ledger.move(groups, transfer, reception)
                admit = min(reception_place.total, rooms)
                if admit > 0:
                    ledger.move(split(ledger.groups(reception), admit), reception, host)
            if admit > 0:
                self._lodging[prefecture] = rooms - admit
                self._lodged += admit
                self._at_host.append((self.env.now, self._lodged))
                self.emit(Kind.reached_host, "reception", prefecture, prefecture=prefecture, people=admit)
        if self.arrived_at is None and self.first_start is not None and self._all_arrived():
            self.arrived_at = self.env.now

    def _all_arrived(self) -> bool:
        """Everyone is at a host or home (checked whenever people reach either)."""
        if self.ledger.on_islands_total:  # people still on the islands have not arrived
            return False
        return all(
            c["at_host"] + c["gone_home"] == self.municipalities[m].cfg.population
            for m, c in self.ledger.by_category.items()
        )

    def _sample(self) -> dict[str, list]:
        """The `series` metric: hours after T+0 at which people left the islands or reached a
        host, with the people still on the islands and at hosts from then on (a step series of
        change points, starting at T+0 with everyone at home)."""
        population = sum(self.ledger.population.values())
        changes: list[tuple[float, int, int | None]] = [(t, n, None) for t, _m, n in self.ledger.departures]
        changes += [(t, 0, total) for t, total in self._at_host]
        changes.sort(key=itemgetter(0))  # stable: each list is already in time order
        hours, remaining, at_host = [0.0], [population], [0]
        left, lodged = population, 0
        t0, last = self.t0, None
        for t, n, total in changes:
            left -= n
            if total is not None:
                lodged = total
            if t != last:  # a new time (a flight's cohorts leave at one): its hour, rounded once
                last = t
                h = round((t - t0) / 60.0, 4)
                if h != hours[-1]:
                    hours.append(h)
                    remaining.append(left)
                    at_host.append(lodged)
                    continue
            remaining[-1], at_host[-1] = left, lodged
        return {"hours": hours, "remaining": remaining, "at_host": at_host}

    def _weather(self):
        """Random typhoons: once a day, with the configured probability, close legs."""
        cfg = self.config.weather
        rng = self.streams.stream("evacuation.weather")
        while self.arrived_at is None:
            yield self.env.timeout(DAY)
            if rng.random() < cfg.typhoon_daily_probability:
                self.close(cfg.mode, list(cfg.places), self.streams.sample(cfg.duration, "evacuation.weather.duration"))

    # -- reading the state -----------------------------------------------------------
    @property
    def complete(self) -> bool:
        """Everyone has left the islands."""
        return self.ledger.on_islands_total == 0

    def view(self) -> EvacuationView:
        rows = []
        for m, state in self.municipalities.items():
            c = self.ledger.by_category.get(m) or dict.fromkeys(
                ("at_home", "at_port_or_airport", "in_transit", "arrived", "at_host", "gone_home"), 0
            )
            rows.append(
                MunicipalityView(
                    m,
                    state.cfg.name,
                    state.cfg.population,
                    c["at_home"],
                    c["at_port_or_airport"],
                    c["in_transit"],
                    c["arrived"],
                    c["at_host"],
                    c["gone_home"],
                    state.started_at is not None,
                )
            )
        total = MunicipalityView(
            "total",
            "Total",
            *(
                sum(getattr(r, f) for r in rows)
                for f in (
                    "population",
                    "at_home",
                    "at_port_or_airport",
                    "in_transit",
                    "arrived",
                    "at_host",
                    "gone_home",
                )
            ),
            self.first_start is not None,
        )
        since = self.env.now - DAY
        moved = 0
        for t, _m, n in reversed(self.ledger.departures):
            if t <= since:
                break
            moved += n
        return EvacuationView(tuple(rows), total, moved, self.first_start is not None, self.complete)

    def metrics(self) -> dict[str, Any]:
        """JSON-able results; hours count from the first `start_movement` unless named otherwise."""
        start = self.first_start

        def hours(t: float | None, origin: float | None = start) -> float | None:
            return None if t is None or origin is None else round((t - origin) / 60.0, 4)

        population = sum(self.ledger.population.values())
        by_island = {}
        for m, state in self.municipalities.items():
            by_island[m] = {
                "population": state.cfg.population,
                "evacuated": state.cfg.population - self.ledger.on_islands[m] if m in self.ledger.on_islands else 0,
                "start_hours": hours(state.started_at, self.t0),
                "completion_hours": hours(state.completed_at) if state.started_at is not None else None,
                "cleared_hours": hours(state.cleared_at, state.started_at),
            }
        per_day: list[int] = []
        if start is not None:
            for t, _m, n in self.ledger.departures:
                if t < start:
                    continue
                day = int((t - start) // DAY)
                if day >= len(per_day):  # the first departure of a later day (most are not)
                    per_day.extend([0] * (day + 1 - len(per_day)))
                per_day[day] += n
        hubs = {}
        for hub in [*self.air_hubs.values(), *self.sea_hubs.values()]:
            days = sorted(hub.daily)
            daily = [hub.daily.get(d, 0) for d in range(days[0], days[-1] + 1)] if days else []
            full = _full_days_of(hub.daily, start)
            hubs[hub.id] = {
                "mode": hub.cfg.mode,
                "flights": hub.flights,
                "people": hub.people,
                "daily": daily,
                "mean_per_full_day": round(sum(full) / len(full), 1) if full else None,
            }
        return {
            "population": population,
            "evacuated": population - self.ledger.on_islands_total,
            "completion_hours": hours(self.completed_at),
            "start_hours": hours(start, self.t0),
            "arrival_hours": hours(self.arrived_at),
            "by_island": by_island,
            "per_day": per_day,
            "hubs": hubs,
            "series": self._sample(),
        }


def _full_days_of(daily: dict[int, int], start: float | None) -> list[int]:
    """People per calendar day over the hub's full days of the evacuation: after the day
    movement first started (tourists' departures before it are scheduled traffic, not
    the plan's throughput) and before the last day anyone left."""
    if not daily:
        return []
    first, last = min(daily), max(daily)
    if start is not None:
        first = max(first, math.floor(start / DAY))
    return [daily.get(d, 0) for d in range(first + 1, last)]
