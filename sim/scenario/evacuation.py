"""Evacuation section of the scenario: who lives where, what carries them and
where they go.

An island evacuation plan moves people in three stages (the bundled default
scenario follows one, domain facts 1.3): outer islands to hub islands (feeders),
hub islands to the mainland (air hubs and a sea lift), and arrival points on to
host prefectures. Every capacity a plan publishes is a field here, so an analyst
can cite it, and a reform can patch it by path
(`evacuation.hubs.main_air.flights_per_stand_per_day`):
lists are lists of objects with `id`s for exactly that reason.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sim.scenario.types import (
    MINUTES_PER_DAY,
    Cited,
    Distribution,
    Duration,
    Identifier,
    Probability,
    Strict,
    Uniform,
    Window,
    format_duration,
)

PositiveInt = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]
MAX_UNITS = 10_000
"""Most vehicles of one type: each is a process in the engine."""
Units = Annotated[int, Field(ge=0, le=MAX_UNITS)]
"""A number of vehicles (each one a process): 0 to `MAX_UNITS`."""
Servers = Annotated[int, Field(ge=1, le=MAX_UNITS)]
"""Desks or lanes working in parallel (the engine books each one): 1 to `MAX_UNITS`."""
MIN_TICK = 1.0
"""Shortest `tick` still accepted (minutes). The field is ignored now; refusing what it refused
before keeps every scenario that validated then, and only those, valid."""
MAX_CARE_FACTOR = 100.0


class PersonClass(StrEnum):
    """The cohorts people are counted in; each moves as an integer count."""

    resident = "resident"
    tourist = "tourist"
    care = "care"
    """Residents who need care or travel with pets: slow at security, and the
    people a hub's sea lift is for."""


class HostShare(Strict):
    """How many of a municipality's residents one host prefecture takes."""

    prefecture: Identifier
    """Host prefecture id (one of `evacuation.hosts`)."""
    residents: PositiveInt
    """Residents allocated to it by the plan; shares, not hard caps."""


class Turnout(Cited):
    """How fast people present themselves once movement starts."""

    per_hour: PositiveInt
    """People per hour arriving at the registration centre or port at compliance 1."""
    hours: Window = Field(default_factory=Window)
    """Daily hours in which people turn up."""
    scale: Identifier | None = None
    """A state variable (e.g. `compliance`, 0-1) that multiplies `per_hour` while the run goes on."""


class Municipality(Cited):
    """A municipality: its people, its route and its hosts."""

    id: Identifier
    name: str
    """Display name, e.g. `Harbour Town`."""
    residents: Count
    """Resident population, including those counted as `care_share`."""
    tourists: Count = 0
    """Visitors on the islands; they return home rather than to a host prefecture."""
    care_share: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    """Share of residents who need care or travel with pets (class `care`)."""
    hub_island: Identifier
    """Hub island (an `islands` id) where its people register and leave the islands."""
    guidelines_decision: Identifier
    """Decision whose taking starts this municipality's movement (the engine wires it)."""
    start_options: list[Identifier] | None = None
    """Only these outcomes of `guidelines_decision` start movement; default any."""
    turnout: Turnout
    hosts: list[HostShare] = Field(min_length=1)
    """Host prefectures for its residents, in plan proportions."""

    @property
    def population(self) -> int:
        return self.residents + self.tourists


class FeederVehicle(Cited):
    """Stage A: a ship or aircraft type shuttling from an outer island to a hub island."""

    id: Identifier
    """Leg id, also used by closures and in `departed`/`arrived` events."""
    name: str = ""
    origin: Identifier
    """Municipality it collects people from."""
    destination: Identifier
    """Hub island it unloads at."""
    mode: Literal["air", "sea"]
    count: Units = 1
    """Vehicles of this kind, each cycling on its own."""
    capacity: PositiveInt
    """People per run."""
    travel_time: Duration
    """One way."""
    turnaround: Duration = 30.0
    """At each end, between unloading and the next departure."""
    departures: Window = Field(default_factory=Window)
    """Daily hours in which it may leave either end."""
    max_wait: Duration = 60.0
    """Longest wait for a fuller load once someone is aboard."""


class Island(Cited):
    """Landside of a hub island: registration centre and the bus shuttle to its airports."""

    id: Identifier
    """Same id as the municipality whose island it is."""
    registration_desks: Servers
    """Desks, each registering one bus load at a time."""
    registration_time: Distribution
    """Per person per desk (QR scan, hazardous-goods check)."""
    buses: PositiveInt
    """Large buses in the shuttle."""
    bus_seats: PositiveInt = 50
    """People per bus load."""


class AircraftType(Strict):
    id: Identifier
    """E.g. `b787_8`."""
    seats: PositiveInt
    count: Units
    """Aircraft of this type in the hub's pool."""


class VesselGroup(Strict):
    id: Identifier
    count: Units
    passengers_per_trip: PositiveInt
    takes_anyone: bool = False
    """Also fills spare places from the air queue (e.g. coast guard ships), not only with `care`."""


class StandPriority(StrEnum):
    evacuation_first = "evacuation_first"
    military_first = "military_first"


class AirHub(Cited):
    """Stage B by air: an airport, its stands, its aircraft pool and its security lanes."""

    id: Identifier
    mode: Literal["air"] = "air"
    island: Identifier
    """Hub island whose registration centre and buses feed it."""
    destination: Identifier
    """Arrival node on the mainland (an `arrivals` id)."""
    hours: Window
    """Airport operating hours (security and departures)."""
    stands: PositiveInt
    """Apron stands used for evacuation flights."""
    flights_per_stand_per_day: Annotated[float, Field(ge=1, le=MINUTES_PER_DAY)]
    """Departures one stand handles per day (1 to 1440: below one no stand time fits in
    the departure window, above one a minute is no schedule); the stand time is derived from it."""
    max_flights_per_day: PositiveInt | None = None
    """Operators' daily schedule cap; default: the stands bind."""
    fleet: list[AircraftType] = Field(min_length=1)
    block_time: Duration
    """Flight time to the destination (and back)."""
    turnaround: Duration
    """Ground time at the destination before flying back."""
    boarding_hold: Duration = 30.0
    """Longest a flight waits for a fuller load after its stand time."""
    security_lanes: Servers
    security_time: Distribution
    """Per person per lane; `care` people take `care_factor` times longer."""
    terminal_capacity: PositiveInt
    """People bused to or waiting inside the airport at once; the pull on the buses."""
    bus_time: Duration
    """Bus ride from the registration centre to this airport (each way)."""
    priority: StandPriority = StandPriority.evacuation_first
    """Who gets a free stand first when SDF/US reinforcement flights also want one."""
    capacity_scale: Identifier | None = None
    """A state variable (e.g. `airspace_open`, 0/1) scaling the flights a day; at 0 or below the hub is closed."""

    @property
    def seats_per_day(self) -> int:
        """Seats the configured fleet mix offers if every slot is flown with the pool's mix."""
        pool = sum(a.count for a in self.fleet)
        mean = sum(a.seats * a.count for a in self.fleet) / pool if pool else 0.0
        flights = self.stands * self.flights_per_stand_per_day
        if self.max_flights_per_day is not None:
            flights = min(flights, self.max_flights_per_day)
        return round(flights * mean)


class SeaHub(Cited):
    """Stage B by sea: a port whose ships carry people who cannot fly."""

    id: Identifier
    mode: Literal["sea"] = "sea"
    island: Identifier
    destination: Identifier
    vessels: list[VesselGroup] = []
    voyage_time: Duration
    """One way to the destination port."""
    turnaround: Duration
    """At each end."""
    headway: Duration = 0.0
    """Minimum time between two departures of the same vessel group (its timetable)."""
    departures: Window = Field(default_factory=Window)
    max_wait: Duration = 720.0
    """Longest a ship waits for a full load once someone is aboard."""
    capacity_scale: Identifier | None = None
    """A state variable scaling the passengers per trip; at 0 or below the port is closed."""


Hub = Annotated[AirHub | SeaHub, Field(discriminator="mode")]


class ArrivalNode(Cited):
    """Stage C: an airport or port on the mainland where evacuees land."""

    id: Identifier
    name: str = ""
    hours: Window = Field(default_factory=Window)
    """Hours in which arrivals (and departures back) are allowed."""


class HostPrefecture(Cited):
    """Stage C: a host prefecture, its onward transfer and its lodging."""

    id: Identifier
    name: str = ""
    transfer_time: Duration
    """From an arrival node to the prefecture's lodging (bus, Shinkansen, JR)."""
    lodging: Count
    """Beds; people wait at the reception point when they are full."""


class Tourists(Cited):
    """Visitors: peacetime departures before movement starts, and the trip home."""

    voluntary_per_day: Count = 0
    """Tourists leaving by commercial services per day before their island's movement starts."""
    voluntary_hours: Window = Field(default_factory=Window)
    home_time: Duration = 240.0
    """From the arrival node until they count as home."""


class Weather(Cited):
    """Random typhoons; injects can also close legs directly."""

    typhoon_daily_probability: Probability = 0.0
    """Chance per day that a typhoon closes legs; 0 for the plan's "normal weather"."""
    duration: Distribution = Field(default_factory=lambda: Uniform(kind="uniform", low=960.0, high=2880.0))
    """How long a typhoon keeps legs closed."""
    mode: Literal["air", "sea", "all"] = "all"
    places: list[Identifier] = []
    """Municipality or hub ids affected; empty means all."""


def _takes_anyone(hub: Hub) -> bool:
    """A sea hub whose ships carry everyone waiting, so an island needs no airport (e.g. Izu Oshima 1986)."""
    return hub.mode == "sea" and any(v.takes_anyone and v.count for v in hub.vessels)


def _at_least_a_minute(minutes: float) -> float:
    if minutes < MIN_TICK:
        raise ValueError(f"must be at least 1m (a shorter tick repeats without end), got {format_duration(minutes)}")
    return minutes


def departure_window(hours: Window, destination_hours: Window, block_time: float) -> tuple[float, float] | None:
    """The daily window (minutes after midnight) in which a flight may leave an airport
    open `hours` and land, `block_time` later, inside `destination_hours`; None if no
    departure time does both (the hub could never fly)."""
    open_at, close_at = (0.0, MINUTES_PER_DAY) if hours.always_open else (hours.open, hours.close)
    d_open, d_close = (
        (0.0, MINUTES_PER_DAY) if destination_hours.always_open else (destination_hours.open, destination_hours.close)
    )
    start, end = max(open_at, d_open - block_time), min(close_at, d_close - block_time)
    return (start, end) if end > start else None


class EvacuationConfig(Cited):
    """A staged island evacuation: municipalities, feeders, hubs, arrival nodes, hosts."""

    municipalities: list[Municipality] = Field(min_length=1)
    feeders: list[FeederVehicle] = []
    islands: list[Island] = Field(min_length=1)
    hubs: list[Hub] = Field(min_length=1)
    arrivals: list[ArrivalNode] = Field(min_length=1)
    hosts: list[HostPrefecture] = Field(min_length=1)
    tourists: Tourists = Field(default_factory=Tourists)
    weather: Weather = Field(default_factory=Weather)
    care_factor: Annotated[float, Field(ge=1.0, le=MAX_CARE_FACTOR)] = 4.0
    """Security/registration time multiplier for `care` people."""
    tick: Annotated[Duration, AfterValidator(_at_least_a_minute)] = 60.0
    """Deprecated and ignored: the evacuation has no fixed step (turnout, tourists' own departures and
    onward travel are planned event by event). Still accepted, at least `1m`, so older scenarios and
    journals load; `ttxsim validate` warns where it is set."""

    @model_validator(mode="after")
    def _references(self) -> EvacuationConfig:
        problems: list[str] = []
        for name, items in (
            ("municipalities", self.municipalities),
            ("feeders", self.feeders),
            ("islands", self.islands),
            ("hubs", self.hubs),
            ("arrivals", self.arrivals),
            ("hosts", self.hosts),
        ):
            ids = [i.id for i in items]
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                problems.append(f"{name}: ids repeat: {repeated}")
        municipalities = {m.id for m in self.municipalities}
        islands = {i.id for i in self.islands}
        arrivals = {a.id for a in self.arrivals}
        hosts = {h.id for h in self.hosts}
        for island in islands - municipalities:
            problems.append(f"islands: {island!r} is not a municipality id")
        for m in self.municipalities:
            if m.hub_island not in islands:
                problems.append(f"municipality {m.id!r}: hub_island {m.hub_island!r} is not an island")
            for share in m.hosts:
                if share.prefecture not in hosts:
                    problems.append(f"municipality {m.id!r}: host {share.prefecture!r} is not in hosts")
            if m.hub_island != m.id and not any(
                f.origin == m.id and f.destination == m.hub_island and f.count > 0 for f in self.feeders
            ):
                problems.append(f"municipality {m.id!r}: no feeder vehicle from it to {m.hub_island!r}")
        for f in self.feeders:
            if f.origin not in municipalities:
                problems.append(f"feeder {f.id!r}: origin {f.origin!r} is not a municipality")
            if f.destination not in islands:
                problems.append(f"feeder {f.id!r}: destination {f.destination!r} is not an island")
        for hub in self.hubs:
            if hub.island not in islands:
                problems.append(f"hub {hub.id!r}: island {hub.island!r} is not an island")
            if hub.destination not in arrivals:
                problems.append(f"hub {hub.id!r}: destination {hub.destination!r} is not an arrival node")
        seats = {i.id: i.bus_seats for i in self.islands}
        for island in islands:
            if not any(h.island == island and (h.mode == "air" or _takes_anyone(h)) for h in self.hubs):
                problems.append(f"island {island!r} has no air hub (nor a sea hub with ships that take anyone)")
        for hub in self.hubs:
            if hub.mode == "air" and not any(a.count for a in hub.fleet):
                problems.append(f"hub {hub.id!r}: the fleet has no aircraft")
            if hub.mode == "air" and hub.island in seats and hub.terminal_capacity < seats[hub.island]:
                problems.append(f"hub {hub.id!r}: terminal_capacity is below one bus load ({seats[hub.island]})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def population(self) -> int:
        return sum(m.population for m in self.municipalities)
