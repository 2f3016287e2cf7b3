"""Agencies and the channels between them: where the seams are.

Information moves between agencies only as messages. A message takes the
direct channel when one exists; otherwise it climbs the chain of command to
the nearest common superior and comes down again, and every agency on the way
must handle it (inside its working hours, with its limited staff) before
passing it on. That relay cost is exactly what a coordination reform removes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.engine.clock import minutes_until_open
from sim.engine.streams import RandomStreams
from sim.events import Kind
from sim.scenario.schema import Agency, Channel, Scenario


@dataclass(frozen=True, slots=True)
class Fact:
    """Something an agency can know: a decision's outcome or an inject."""

    subject: str  # "decision" or "inject"
    id: str
    option: str | None = None


@dataclass(slots=True)
class Message:
    fact: Fact
    origin: str
    destination: str
    route: list[str]
    id: int = 0
    """Numbers the messages of a run, so the events of one message can be told from another's."""


@dataclass(slots=True)
class AgencyState:
    """Live state of one agency; the console only ever sees a copy (`view()`)."""

    spec: Agency
    staff: simpy.Resource
    queued: int = 0
    knows: dict[tuple[str, str], str | None] = field(default_factory=dict)
    learned_at: dict[tuple[str, str], float] = field(default_factory=dict)


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
        self.agencies = {a.id: AgencyState(a, simpy.Resource(env, capacity=a.staff)) for a in scenario.agencies}
        self.channels: dict[tuple[str, str], Channel] = {}
        for channel in scenario.channels:
            self.channels[(channel.from_, channel.to)] = channel
            if channel.both_ways:
                self.channels.setdefault((channel.to, channel.from_), channel)
        self._disrupted: dict[str, tuple[float, float]] = {}
        self._routes: dict[tuple[str, str], list[str]] = {}
        self._graph: dict[str, list[tuple[str, float]]] | None = None
        self._sent = 0

    # -- routing ---------------------------------------------------------
    def _links(self) -> dict[str, list[tuple[str, float]]]:
        """Who can pass a message to whom, and the expected cost of that hop
        (mean latency plus the receiver's mean handling time)."""
        links: dict[str, list[tuple[str, float]]] = {a: [] for a in self.agencies}
        pairs: dict[tuple[str, str], float] = {}
        for (a, b), channel in self.channels.items():
            pairs[(a, b)] = channel.latency.mean()
        for agency in self.agencies.values():
            parent = agency.spec.parent
            if parent is not None:
                for a, b in ((agency.spec.id, parent), (parent, agency.spec.id)):
                    pairs.setdefault((a, b), self.hierarchy_latency.mean())
        for (a, b), latency in sorted(pairs.items()):
            links[a].append((b, latency + self.agencies[b].spec.handling.mean()))
        return links

    def route(self, origin: str, destination: str) -> list[str]:
        """Agencies a message visits after `origin`, ending at `destination`: the
        path of least expected delay over channels and the chain of command."""
        key = (origin, destination)
        cached = self._routes.get(key)
        if cached is not None:
            return cached
        if self._graph is None:
            self._graph = self._links()
        best = {origin: 0.0}
        previous: dict[str, str] = {}
        frontier = [(0.0, origin)]
        while frontier:
            cost, here = heapq.heappop(frontier)
            if here == destination:
                break
            if cost > best[here]:
                continue
            for there, step in self._graph[here]:
                if cost + step < best.get(there, float("inf")):
                    best[there] = cost + step
                    previous[there] = here
                    heapq.heappush(frontier, (cost + step, there))
        if destination not in best:
            path = [destination]  # no link at all: the scenario's hierarchy latency, one hop
        else:
            path = []
            node = destination
            while node != origin:
                path.append(node)
                node = previous[node]
            path.reverse()
        self._routes[key] = path
        return path

    # -- disruption ------------------------------------------------------
    def disrupt(self, agencies: list[str], factor: float, duration: float) -> None:
        until = self.now() + duration
        for agency in agencies:
            self._disrupted[agency] = (factor, until)
        self.emit(Kind.channel_disrupted, "cyber", None, agencies=list(agencies), factor=factor, until=until)

    def _latency_factor(self, a: str, b: str) -> float:
        factor = 1.0
        for agency in (a, b):
            hit = self._disrupted.get(agency)
            if hit and self.now() < hit[1]:
                factor = max(factor, hit[0])
        return factor

    # -- sending ---------------------------------------------------------
    def send(self, fact: Fact, origin: str, destination: str) -> None:
        """Start moving `fact` from `origin` to `destination` (a SimPy process)."""
        if origin == destination:
            self._learn(destination, fact)
            return
        self._sent += 1
        message = Message(fact, origin, destination, self.route(origin, destination), self._sent)
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
        dist = channel.latency if channel else self.hierarchy_latency
        name = f"channel.{a}.{b}"
        while True:
            yield self.env.timeout(self.streams.sample(dist, name) * self._latency_factor(a, b))
            if channel is None or channel.reliability >= 1.0:
                break
            if self.streams.stream(name).random() < channel.reliability:
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
            wait = minutes_until_open(self.env.now, spec.hours.open, spec.hours.close)
            if wait:
                yield self.env.timeout(wait)
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
            closed=round(wait or 0.0, 6),
        )

    def _handle_then_learn(self, agency_id: str, fact: Fact):
        yield from self._handle(agency_id, fact, relay=False)
        self._learn(agency_id, fact)

    def _learn(self, agency_id: str, fact: Fact) -> None:
        state = self.agencies[agency_id]
        key = (fact.subject, fact.id)
        if key in state.knows:
            return
        state.knows[key] = fact.option
        state.learned_at[key] = self.now()
        self.on_learn(agency_id, fact)

    def tell(self, agency_id: str, fact: Fact) -> None:
        """The owner of a decision knows its own outcome at once."""
        self._learn(agency_id, fact)
