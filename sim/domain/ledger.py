"""Where every evacuee is: a ledger of places holding integer cohorts.

Rule kept here: people are never created or lost. Every move is
`ledger.move(groups, src, dst)`, which takes the same counts out of one place
and puts them into another, so at every instant each person is in exactly one
place. A count that would go negative is a model bug and raises at once.

A cohort (`Group`) is a (municipality, class) pair; `Groups` maps cohorts to
head counts. Queues on top of places keep first-come-first-served order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from heapq import heappush

from simpy.events import NORMAL, PENDING

Group = tuple[str, str]
"""(municipality id, person class)."""
Groups = dict[Group, int]

CATEGORIES = ("at_home", "at_port_or_airport", "in_transit", "arrived", "at_host", "gone_home")


class LedgerError(AssertionError):
    """A move would make a count negative: the model lost track of people."""


@dataclass(slots=True)
class Place:
    """One place people can be: a home island, a queue, a leg in transit, a host."""

    name: str
    category: str
    """One of `CATEGORIES`, for the console view."""
    off_islands: bool
    """People here have left the islands being evacuated."""
    total: int = 0
    counts: Groups = field(default_factory=dict)
    """Head count per cohort here (the same dict as `Ledger.counts[name]`)."""


class Ledger:
    """Counts per place and cohort, with running totals the view and metrics read."""

    def __init__(self, population: Groups, home_of: Callable[[Group], str], now: Callable[[], float]) -> None:
        self.population: Groups = dict(population)
        self.places: dict[str, Place] = {}
        self.counts: dict[str, Groups] = {}
        self._now = now
        self.by_category: dict[str, dict[str, int]] = {}
        self.on_islands: dict[str, int] = {}
        self.on_islands_total = 0
        self.departures: list[tuple[float, str, int]] = []
        """(time, municipality, people) each time people leave the islands."""
        for group in population:
            municipality = group[0]
            self.by_category.setdefault(municipality, dict.fromkeys(CATEGORIES, 0))
            self.on_islands.setdefault(municipality, 0)
        for group, n in population.items():
            place = self.add_place(home_of(group), "at_home", off_islands=False)
            self.counts[place.name][group] = self.counts[place.name].get(group, 0) + n
            place.total += n
            self.by_category[group[0]]["at_home"] += n
            self.on_islands[group[0]] += n
            self.on_islands_total += n

    def add_place(self, name: str, category: str, *, off_islands: bool) -> Place:
        place = self.places.get(name)
        if place is None:
            place = self.places[name] = Place(name, category, off_islands)
            self.counts[name] = place.counts
        return place

    def total(self, name: str) -> int:
        return self.places[name].total

    def groups(self, name: str) -> Groups:
        return {g: n for g, n in self.counts[name].items() if n}

    def move(self, groups: Groups, src: str, dst: str) -> int:
        """Move `groups` from `src` to `dst`; returns the number of people moved.

        The hottest call of a run (several thousand a run), so it reads each place
        and category once, and most moves (queue to queue, one category) take a loop
        that touches no category counts."""
        places = self.places
        source, target = places[src], places[dst]
        out, into = source.counts, target.counts
        moved = 0
        if source.category == target.category:
            for group, n in groups.items():
                if n <= 0:
                    if n < 0:
                        raise LedgerError(f"negative move of {n} {group} from {src} to {dst}")
                    continue
                try:  # the source holds the cohort (a subscript, not a `get` call: every move)
                    left = out[group] - n
                except KeyError:
                    left = -n
                if left < 0:
                    raise LedgerError(f"{src} holds {out.get(group, 0)} {group}, cannot move {n} to {dst}")
                out[group] = left
                into[group] = into.get(group, 0) + n
                moved += n
        else:
            leaving, arriving = source.category, target.category
            by_category = self.by_category
            for group, n in groups.items():
                if n <= 0:
                    if n < 0:
                        raise LedgerError(f"negative move of {n} {group} from {src} to {dst}")
                    continue
                try:  # the source holds the cohort (a subscript, not a `get` call: every move)
                    left = out[group] - n
                except KeyError:
                    left = -n
                if left < 0:
                    raise LedgerError(f"{src} holds {out.get(group, 0)} {group}, cannot move {n} to {dst}")
                out[group] = left
                into[group] = into.get(group, 0) + n
                categories = by_category[group[0]]
                categories[leaving] -= n
                categories[arriving] += n
                moved += n
        if moved:
            source.total -= moved
            target.total += moved
            if source.off_islands != target.off_islands:
                self._cross(groups, target.off_islands)
        return moved

    def _cross(self, groups: Groups, leaving: bool) -> None:
        """People crossed the islands' edge: leaving them (`leaving`) or coming back (the clock
        read once: every cohort of a load leaves at the same time)."""
        on_islands = self.on_islands
        if leaving:
            now = self._now()
            departures = self.departures
            for group, n in groups.items():
                if n > 0:
                    municipality = group[0]
                    on_islands[municipality] -= n
                    self.on_islands_total -= n
                    departures.append((now, municipality, n))
        else:
            for group, n in groups.items():
                if n > 0:
                    municipality = group[0]
                    on_islands[municipality] += n
                    self.on_islands_total += n

    def check(self) -> None:
        """Assert the conservation invariants (tests call this; the model does not need to)."""
        seen: Groups = {}
        for name, groups in self.counts.items():
            total = 0
            for group, n in groups.items():
                if n < 0:
                    raise LedgerError(f"negative count {n} of {group} at {name}")
                seen[group] = seen.get(group, 0) + n
                total += n
            if total != self.places[name].total:
                raise LedgerError(f"{name}: total {self.places[name].total} != sum {total}")
        for group, n in self.population.items():
            if seen.get(group, 0) != n:
                raise LedgerError(f"{group}: {seen.get(group, 0)} counted, population {n}")
        for municipality, categories in self.by_category.items():
            if any(v < 0 for v in categories.values()):
                raise LedgerError(f"{municipality}: negative category count {categories}")


def split(groups: Groups, n: int) -> Groups:
    """Take `n` people from `groups` in proportion to its counts (largest remainder)."""
    total = sum(groups.values())
    if n >= total:
        return {g: c for g, c in groups.items() if c}
    if n <= 0:
        return {}
    if len(groups) == 1:  # one cohort takes all n (what the shares below give: c * n / c == n)
        return dict.fromkeys(groups, n)
    taken, remainders = _floors(groups, n, total)
    short = n - sum(taken.values())
    if short:
        for _, g in sorted(remainders)[:short]:
            taken[g] += 1
    return {g: c for g, c in taken.items() if c}


def _floors(weights: dict, n: int, total: float) -> tuple[dict, list]:
    """Each key's whole share of `n` (by weight, out of `total`), and (whole - exact share, key) per
    key: sorted, the keys first in line for one of what the whole shares leave over (largest
    remainder first, ties by key). One pass for `split` and `apportion` (both run every tick)."""
    taken = {}
    remainders = []
    for key, weight in weights.items():
        share = n * weight / total
        whole = int(share)
        taken[key] = whole
        remainders.append((whole - share, key))
    return taken, remainders


def apportion(n: int, weights: dict[str, float]) -> dict[str, int]:
    """Split `n` into integers proportional to `weights` (largest remainder, ties by key)."""
    total = sum(weights.values())
    if n <= 0 or total <= 0:
        return {}
    out, remainders = _floors(weights, n, total)
    short = n - sum(out.values())
    if short:
        for _, k in sorted(remainders)[:short]:
            out[k] += 1
    return {k: v for k, v in out.items() if v}


def trigger(event) -> None:
    """`event.succeed()`: the event is marked ok and queued where SimPy's `schedule` puts it (now,
    normal priority, the environment's next event id), in one call instead of two (`succeed`, then
    `schedule`); waiting queues, idle aircraft and apron stands are woken thousands of times a run
    (tests/unit/test_run_cost.py compares the queue entries with SimPy's)."""
    if event._value is not PENDING:
        raise RuntimeError(f"{event} has already been triggered")
    event._ok = True
    event._value = None
    env = event.env
    heappush(env._queue, (env._now, NORMAL, next(env._eid), event))


class Queue:
    """First-come-first-served order over one ledger place.

    The ledger keeps the counts; the queue only remembers the order in which
    cohorts arrived, so a load is taken from the front.
    """

    __slots__ = ("_chunks", "_waiters", "place", "total")

    def __init__(self, place: str) -> None:
        self.place = place
        self._chunks: deque[list] = deque()
        self._waiters: list = []
        self.total = 0

    def put(self, groups: Groups) -> None:
        """Record that `groups` joined the back (after the ledger moved them here)."""
        added = 0
        chunks = self._chunks
        back = chunks[-1] if chunks else None
        for group, n in groups.items():
            if n > 0:
                if back is not None and back[0] == group:  # the same cohort as the back: one chunk, same order
                    back[1] += n
                else:
                    back = [group, n]
                    chunks.append(back)
                added += n
        if added:
            self.total += added
            if self._waiters:
                self.wake()

    def take(self, n: int) -> Groups:
        """Remove up to `n` people from the front; the caller moves them in the ledger.

        An aircraft's load spans many chunks (one per cohort of each bus load that
        reached the airside), so the loop keeps its counts in locals."""
        out: Groups = {}
        chunks = self._chunks
        taken = 0
        while n > 0 and chunks:
            chunk = chunks[0]
            group, k = chunk
            if k <= n:
                chunks.popleft()
            else:
                chunk[1] = k - n
                k = n
            out[group] = out.get(group, 0) + k
            n -= k
            taken += k
        self.total -= taken
        return out

    def wait(self, env):
        """An event that fires the next time people join this queue."""
        event = env.event()
        self._waiters.append(event)
        return event

    def wake(self) -> None:
        if not self._waiters:  # the common case: nobody waits, no new list
            return
        waiters, self._waiters = self._waiters, []
        for event in waiters:
            if event._value is PENDING:  # not triggered yet
                trigger(event)
