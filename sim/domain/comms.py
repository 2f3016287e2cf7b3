"""Agencies and the channels between them: where the seams are.

Information moves between agencies only as messages. A message takes the
direct channel when one exists; otherwise it climbs the chain of command to
the nearest common superior and comes down again, and every agency on the way
must handle it (inside its working hours, with its limited staff) before
passing it on. That relay cost is exactly what a coordination reform removes.

Routing is explicit: a channel carries what the scenario says (`carries:`,
default everything) and an agency passes a message on only along the chain of
command (in from its parent or a child, out to its parent or a child) or if it
is declared a `relay:`. Among the routes allowed, a message takes the one of
least expected delay. No fast channel silently becomes a relay for others.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.domain.context import Context
from sim.domain.state import Adjustable, Adjuster
from sim.engine.clock import minutes_until_open
from sim.engine.streams import RandomStreams
from sim.events import Kind
from sim.scenario.schema import Agency, Channel, Scenario
from sim.scenario.types import Window


@dataclass(frozen=True, slots=True)
class Fact:
    """Something an agency can know: a decision's outcome or an inject."""

    subject: str  # "decision" or "inject"
    id: str
    option: str | None = None
    taking: int = 1
    """Which taking of a repeatable decision this outcome is (1 for the first): a later
    answer replaces an earlier one where it arrives, an older one never a newer."""


@dataclass(slots=True)
class Message:
    fact: Fact
    origin: str
    destination: str
    route: list[str]
    id: int = 0
    """Numbers the messages of a run, so the events of one message can be told from another's."""


class Desks:
    """An agency's staff: messages take a free desk in order of arrival, and an effect can
    change how many desks there are while the run goes on.

    Growing admits a waiting message at once; shrinking lets the messages in hand finish
    and admits no new one until fewer are in hand than the new size. Behaves as the
    `simpy.Resource` it replaces, event for event (so runs are unchanged, at a fraction
    of the cost; every message handled takes and frees a desk): a request is an event
    granted when it finds a desk free, or when an earlier holder's release is processed;
    a release frees the desk at once and offers it, through an event of its own, to the
    head of the queue only (one grant per offer, as SimPy's `_trigger_put` does)."""

    def __init__(self, env: simpy.Environment, size: int) -> None:
        self._env = env
        self._size = size
        self.users = 0
        """Desks in use."""
        self._queue: deque[DeskRequest] = deque()

    @property
    def capacity(self) -> int:
        return self._size

    def request(self) -> DeskRequest:
        """An event that fires when the request holds a desk; use it in a `with` block, which
        gives the desk back (or withdraws the request) when the block ends."""
        request = DeskRequest(self)
        self._queue.append(request)
        self._offer()
        return request

    def resize(self, size: int) -> None:
        self._size = size
        self._offer()

    def _release(self, request: DeskRequest) -> None:
        if request.granted:
            self.users -= 1
        released = self._env.event()
        released.callbacks.append(self._offer)
        released.succeed()

    def _offer(self, _released: simpy.Event | None = None) -> None:
        """Grant the head of the queue a desk if one is free."""
        if self._queue and self.users < self._size:
            self.users += 1
            request = self._queue.popleft()
            request.granted = True
            request.succeed()


class DeskRequest(simpy.Event):
    """A message's request for a desk (see `Desks`)."""

    def __init__(self, desks: Desks) -> None:
        super().__init__(desks._env)
        self.desks = desks
        self.granted = False

    def __enter__(self) -> DeskRequest:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        if not self.granted:
            self.desks._queue.remove(self)  # never granted: withdrawn
        if exc_type is not GeneratorExit:  # a generator closed at the end of a run gives nothing back
            self.desks._release(self)


@dataclass(slots=True)
class AgencyState:
    """Live state of one agency; the console only ever sees a copy (`view()`)."""

    spec: Agency
    staff: Desks
    staffing: Adjustable = field(default_factory=lambda: Adjustable(1))
    """Staff now (effects change it; `spec.staff` is the scenario's figure)."""
    hours: Adjustable = field(default_factory=lambda: Adjustable(Window()))
    """Working hours now (a `Window`)."""
    latency: Adjustable = field(default_factory=lambda: Adjustable(1.0))
    """Factor on the latency of every line to or from this agency (a cyberattack)."""
    waiting: list[simpy.Event] = field(default_factory=list)
    """Messages waiting for working hours, woken when an effect changes the hours."""
    queued: int = 0
    knows: dict[tuple[str, str], str | None] = field(default_factory=dict)
    """What the agency has learned: a decision's latest answer that reached it, or an inject."""
    learned_at: dict[tuple[str, str], float] = field(default_factory=dict)
    """When it learned what it now knows (a later answer of a repeatable decision moves it)."""
    takings: dict[tuple[str, str], int] = field(default_factory=dict)
    """Which taking of each repeatable decision it knows (see `Fact.taking`)."""


class Network:
    """Routes facts between agencies over channels and through the hierarchy."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        streams: RandomStreams,
        emit: Callable[..., Any],
        now: Callable[[], float],
        on_learn: Callable[[str, Fact], None],
    ) -> None:
        self.env = env
        self.streams = streams
        self.emit = emit
        self.now = now
        self.on_learn = on_learn
        self.hierarchy_latency = scenario.routing.hierarchy_latency
        self.agencies = {
            a.id: AgencyState(a, Desks(env, a.staff), Adjustable(a.staff), Adjustable(a.hours))
            for a in scenario.agencies
        }
        self.channels: dict[tuple[str, str], Channel] = {}
        self._line: dict[tuple[str, str], int] = {}
        """(from, to) -> index of the channel carrying it, for its adjustable settings."""
        for i, channel in enumerate(scenario.channels):
            self.channels[(channel.from_, channel.to)] = channel
            self._line[(channel.from_, channel.to)] = i
            if channel.both_ways:
                self.channels.setdefault((channel.to, channel.from_), channel)
                self._line.setdefault((channel.to, channel.from_), i)
        self.channel_ids = {c.id: i for i, c in enumerate(scenario.channels) if c.id is not None}
        self._latency = [Adjustable(1.0) for _ in scenario.channels]
        self._reliability = [Adjustable(c.reliability, 0.0, 1.0) for c in scenario.channels]
        self._adjuster = Adjuster(Context(env, streams, emit, now))
        self._routes = _routes_of(scenario)
        """Paths found so far, shared by every run of a scenario with the same routing (see `_routes_of`)."""
        self._graph: dict[str, list[tuple[str, float, bool, Channel | None]]] | None = None
        self._selective = any(c.carries is not None for c in scenario.channels)
        """Some channel carries only some facts: routes depend on the fact."""
        self._sent = 0

    # -- routing ---------------------------------------------------------
    def _links(self) -> dict[str, list[tuple[str, float, bool, Channel | None]]]:
        """Who can pass a message to whom: (to, expected cost, along the chain of command, channel)."""
        links: dict[str, list[tuple[str, float, bool, Channel | None]]] = {a: [] for a in self.agencies}
        chain = set()
        for agency in self.agencies.values():
            parent = agency.spec.parent
            if parent is not None and parent in self.agencies:
                chain.update({(agency.spec.id, parent), (parent, agency.spec.id)})
        pairs: dict[tuple[str, str], tuple[float, Channel | None]] = {}
        for (a, b), channel in self.channels.items():
            pairs[(a, b)] = (channel.latency.mean(), channel)
        for a, b in chain:
            pairs.setdefault((a, b), (self.hierarchy_latency.mean(), None))
        for (a, b), (latency, channel) in sorted(pairs.items(), key=lambda item: item[0]):
            links[a].append((b, latency + self.agencies[b].spec.handling.mean(), (a, b) in chain, channel))
        return links

    def route(self, origin: str, destination: str, fact: str | None = None) -> list[str]:
        """Agencies a message visits after `origin`, ending at `destination`: the path of least
        expected delay over channels (that carry `fact`) and the chain of command, relayed only by
        declared relays or along the chain of command."""
        key = (origin, destination, fact if self._selective else None)
        cached = self._routes.get(key)
        if cached is not None:
            return cached
        if self._graph is None:
            self._graph = self._links()
        start = (origin, True)
        best = {start: 0.0}
        previous: dict[tuple[str, bool], tuple[str, bool]] = {}
        frontier = [(0.0, origin, True)]
        reached: tuple[str, bool] | None = None
        while frontier:
            cost, here, via_chain = heapq.heappop(frontier)
            if here == destination:
                reached = (here, via_chain)
                break
            if cost > best[(here, via_chain)]:
                continue
            relays = here == origin or self.agencies[here].spec.relay
            for there, step, on_chain, channel in self._graph[here]:
                if not (relays or (via_chain and on_chain)):
                    continue  # `here` passes messages on only up and down the chain of command
                if channel is not None and channel.carries is not None and fact not in channel.carries:
                    if not on_chain:
                        continue
                    step = self.hierarchy_latency.mean() + self.agencies[there].spec.handling.mean()
                node = (there, on_chain)
                if cost + step < best.get(node, float("inf")):
                    best[node] = cost + step
                    previous[node] = (here, via_chain)
                    heapq.heappush(frontier, (cost + step, there, on_chain))
        if reached is None:
            path = [destination]  # no allowed route: one hop at the scenario's hierarchy latency
        else:
            path = []
            node = reached
            while node != start:
                path.append(node[0])
                node = previous[node]
            path.reverse()
        self._routes[key] = path
        return path

    # -- changes by effects -------------------------------------------------
    def change_lines(
        self,
        cause: str,
        *,
        channels: list[str] = (),
        agencies: list[str] = (),
        latency_factor: float | None = None,
        reliability: float | None = None,
        duration: float | None = None,
    ) -> None:
        """Slow (or speed up) lines and change channels' reliability, for `duration` or until changed again.

        A factor on `agencies` applies to every line to or from them (channels and
        the chain of command); a line between two such agencies takes the larger."""
        settings: list[tuple[Adjustable, float]] = []
        for name in channels:
            index = self.channel_ids[name]
            if latency_factor is not None:
                settings.append((self._latency[index], latency_factor))
            if reliability is not None:
                settings.append((self._reliability[index], reliability))
        if latency_factor is not None:
            settings.extend((self.agencies[a].latency, latency_factor) for a in agencies)
        payload = {
            "channels": list(channels),
            "agencies": list(agencies),
            "latency_factor": latency_factor,
            "reliability": reliability,
        }

        def report(data: dict[str, Any]) -> None:
            self.emit(Kind.channel_changed, cause, None, **payload, **data)

        for n, (setting, amount) in enumerate(settings):
            self._adjuster.change(setting, "set", amount, duration, report if n == 0 else _quiet)

    def change_agency(
        self,
        agency_id: str,
        cause: str,
        *,
        staff: int | None = None,
        hours: Window | None = None,
        duration: float | None = None,
    ) -> None:
        """Change an agency's staff and/or working hours, for `duration` or until changed again."""
        state = self.agencies[agency_id]

        def report(_data: dict[str, Any]) -> None:
            size = state.staffing.value()
            state.staff.resize(size)
            waiting, state.waiting = state.waiting, []
            for event in waiting:
                if not event.triggered:
                    event.succeed()
            window = state.hours.value()
            self.emit(
                Kind.agency_changed,
                cause,
                agency_id,
                staff=size,
                hours=None if window.always_open else [window.open, window.close],
                **{k: v for k, v in _data.items() if k != "amount"},  # the values now are `staff` and `hours`
            )

        changes = [(state.staffing, staff), (state.hours, hours)]
        changes = [(setting, value) for setting, value in changes if value is not None]
        for n, (setting, value) in enumerate(changes):
            self._adjuster.change(setting, "set", value, duration, report if n == len(changes) - 1 else _resize(state))

    def disrupt(self, agencies: list[str], factor: float, duration: float, cause: str = "cyber") -> None:
        """The older `channel_disruption` effect: every line to or from `agencies` `factor` times slower."""
        self.change_lines(cause, agencies=agencies, latency_factor=factor, duration=duration)

    def _latency_factor(self, a: str, b: str) -> float:
        factor = max(self.agencies[a].latency.value(), self.agencies[b].latency.value())
        line = self._line.get((a, b))
        return factor * (self._latency[line].value() if line is not None else 1.0)

    def _reliability_of(self, a: str, b: str) -> float:
        line = self._line.get((a, b))
        return 1.0 if line is None else self._reliability[line].value()

    # -- sending ---------------------------------------------------------
    def send(self, fact: Fact, origin: str, destination: str) -> None:
        """Start moving `fact` from `origin` to `destination` (a SimPy process)."""
        if origin == destination:
            self._learn(destination, fact)
            return
        self._sent += 1
        message = Message(fact, origin, destination, self.route(origin, destination, fact.id), self._sent)
        self.emit(
            Kind.message_sent,
            origin,
            destination,
            fact=fact.id,
            option=fact.option,
            via=message.route[:-1],
            msg=message.id,
        )
        self.env.process(self._carry(message))

    def deliver_from_outside(self, fact: Fact, destination: str) -> None:
        """An inject from the exercise control cell lands in `destination`'s inbox."""
        self.env.process(self._handle_then_learn(destination, fact))

    def _carry(self, message: Message):
        here = message.origin
        for hop in message.route:
            yield from self._transmit(here, hop, message)
            yield from self._handle(hop, message.fact, relay=hop != message.destination, msg=message.id)
            here = hop
        self._learn(message.destination, message.fact)

    def _transmit(self, a: str, b: str, message: Message):
        channel = self.channels.get((a, b))
        if channel is not None and channel.carries is not None and message.fact.id not in channel.carries:
            channel = None  # not for this message: the chain-of-command hop (see `route`)
        dist = channel.latency if channel else self.hierarchy_latency
        name = f"channel.{a}.{b}"
        while True:
            yield self.env.timeout(self.streams.sample(dist, name) * self._latency_factor(a, b))
            reliability = self._reliability_of(a, b)
            if channel is None or reliability >= 1.0:
                break
            if self.streams.stream(name).random() < reliability:
                break
            self.emit(Kind.message_lost, a, b, fact=message.fact.id, retry_after=channel.retry, msg=message.id)
            yield self.env.timeout(channel.retry)
        self.emit(
            Kind.message_delivered,
            a,
            b,
            fact=message.fact.id,
            option=message.fact.option,
            msg=message.id,
            channel=channel.id if channel else None,
        )

    def _handle(self, agency_id: str, fact: Fact, relay: bool, msg: int | None = None):
        """Wait for working hours and a free desk, then spend the handling time.

        The event says how long the message waited for a desk (`queued`) and for
        the office to open (`closed`), so an explanation can tell a busy agency
        from a closed one from slow handling.
        """
        state = self.agencies[agency_id]
        spec = state.spec
        state.queued += 1
        arrived = self.env.now
        with state.staff.request() as desk:
            yield desk
            queued = self.env.now - arrived
            hours = state.hours.value()
            closed_from = self.env.now
            wait = minutes_until_open(self.env.now, hours.open, hours.close)
            while wait:  # outside working hours: until they open, or an effect changes them
                changed = self.env.event()
                state.waiting.append(changed)
                yield self.env.timeout(wait) | changed
                hours = state.hours.value()
                wait = minutes_until_open(self.env.now, hours.open, hours.close)
            closed = self.env.now - closed_from
            yield self.env.timeout(self.streams.sample(spec.handling, f"agency.{agency_id}"))
        state.queued -= 1
        self.emit(
            Kind.message_handled,
            agency_id,
            None,
            fact=fact.id,
            option=fact.option,
            relay=relay,
            msg=msg,
            queued=round(queued, 6),
            closed=round(closed, 6),
        )

    def _handle_then_learn(self, agency_id: str, fact: Fact):
        yield from self._handle(agency_id, fact, relay=False)
        self._learn(agency_id, fact)

    def _learn(self, agency_id: str, fact: Fact) -> None:
        state = self.agencies[agency_id]
        key = (fact.subject, fact.id)
        if key in state.knows and fact.taking <= state.takings.get(key, 1):
            return  # known already, or an older answer overtaken by a newer one
        state.knows[key] = fact.option
        state.takings[key] = fact.taking
        state.learned_at[key] = self.now()
        if fact.subject == "inject":
            for target in state.spec.forwards:  # declared forwarding: the only way an inject spreads
                if target != agency_id:
                    self.send(fact, agency_id, target)
        self.on_learn(agency_id, fact)

    def tell(self, agency_id: str, fact: Fact) -> None:
        """The owner of a decision knows its own outcome at once."""
        self._learn(agency_id, fact)


Routes = dict[tuple[str, str, str | None], list[str]]

_ROUTES: dict[tuple[Any, ...], Routes] = {}
"""Found paths by what routing reads of a scenario (see `_routes_of`); a few scenarios at a time."""
_ROUTES_KEPT = 32


def _routes_of(scenario: Scenario) -> Routes:
    """The path cache for `scenario`'s routing, shared by every run with the same routing.

    A path depends only on what the scenario declares (agencies, their parents, relays
    and mean handling time, channels, what they carry and their mean latency, the
    hierarchy's mean latency), never on a run (effects change the actual delays, not
    the route), so a thousand replications need not search the same paths a thousand
    times. The key holds exactly what `Network.route` reads."""
    key = (
        scenario.routing.hierarchy_latency.mean(),
        tuple((a.id, a.parent, a.relay, a.handling.mean()) for a in scenario.agencies),
        tuple(
            (c.from_, c.to, c.both_ways, c.latency.mean(), None if c.carries is None else tuple(c.carries))
            for c in scenario.channels
        ),
    )
    routes = _ROUTES.get(key)
    if routes is None:
        if len(_ROUTES) >= _ROUTES_KEPT:
            del _ROUTES[next(iter(_ROUTES))]  # the oldest
        routes = _ROUTES[key] = {}
    return routes


def _quiet(_data: dict[str, Any]) -> None:
    """One event per effect: the other settings it changes report nothing of their own."""


def _resize(state: AgencyState) -> Callable[[dict[str, Any]], None]:
    def apply(_data: dict[str, Any]) -> None:
        state.staff.resize(state.staffing.value())

    return apply
