"""Named random streams derived from one master seed.

Common random numbers: every model part draws from its own stream, seeded from
(master seed, stream name) through a stable hash, so a reform that changes how
often one part draws never shifts the numbers another part sees, and
replication k of every arm sees the same draws.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from typing import Any

from sim.scenario.types import (
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    Mixture,
    Triangular,
    Uniform,
)


def derive_seed(master_seed: int, name: str) -> int:
    """A 64-bit seed from the master seed and a stream name, stable across runs and machines."""
    digest = hashlib.blake2b(f"{master_seed}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class RandomStreams:
    """A family of `random.Random` streams, one per name, created on first use."""

    def __init__(self, master_seed: int) -> None:
        self.master_seed = master_seed
        self._streams: dict[str, random.Random] = {}
        self.components: dict[str, str | None] = {}
        """Stream name -> label of the mixture component its last draw came from
        (e.g. "next regular Tuesday/Friday Cabinet"), so events can say why a delay was long."""

    def stream(self, name: str) -> random.Random:
        rng = self._streams.get(name)
        if rng is None:
            rng = self._streams[name] = random.Random(derive_seed(self.master_seed, name))
        return rng

    def sample(self, dist, stream: str) -> float:
        """Draw one value of a scenario distribution from the named stream.

        A fixed value draws nothing, so its stream is not even made: seeding a stream costs about as
        much as a hundred draws, and a third of the bundled scenario's streams are only ever asked
        for fixed delays. A stream made later, at its first real draw, gives the numbers it would
        have given (no draw from it came before)."""
        kind = type(dist)
        if kind is Fixed:
            value, label = dist.value, None
        else:
            rng = self._streams.get(stream)
            if rng is None:
                rng = self.stream(stream)
            draw = _DRAWS.get(kind)  # a plain distribution: no label (thousands of draws a run)
            if draw is not None:
                value, label = draw(dist, rng), None
            else:
                value, label = sample_labelled(dist, rng)
        if label is not None or stream in self.components:
            self.components[stream] = label
        return value


def sample(dist, rng: random.Random) -> float:
    """Draw from any scenario distribution; never negative."""
    return sample_labelled(dist, rng)[0]


def sample_labelled(dist, rng: random.Random) -> tuple[float, str | None]:
    """A draw and, for a mixture, the label of the component it came from (same draws as `sample`)."""
    if isinstance(dist, Mixture):
        component = rng.choices(dist.components, weights=[c.weight for c in dist.components])[0]
        value, inner = sample_labelled(component.dist, rng)
        return value, component.label or inner
    return _sample_plain(dist, rng), None


def _sample_plain(dist, rng: random.Random) -> float:
    draw = _DRAWS.get(type(dist))
    if draw is None:  # a subclass of a distribution
        draw = next((d for kind, d in _DRAWS.items() if isinstance(dist, kind)), None)
    if draw is None:
        raise TypeError(f"not a distribution: {dist!r}")
    return draw(dist, rng)


def _exponential(dist: Exponential, rng: random.Random) -> float:
    return rng.expovariate(1.0 / dist.mean_value) if dist.mean_value > 0 else 0.0


_DRAWS: dict[type, Callable[[Any, random.Random], float]] = {
    Fixed: lambda dist, rng: dist.value,
    Uniform: lambda dist, rng: rng.uniform(dist.low, dist.high),
    Triangular: lambda dist, rng: rng.triangular(dist.low, dist.high, dist.mode),
    LogNormal: lambda dist, rng: dist.median * math.exp(dist.sigma * rng.gauss(0.0, 1.0)),
    Exponential: _exponential,
    Empirical: lambda dist, rng: rng.choices(dist.values, weights=dist.weights)[0],
}
"""How to draw from each plain distribution, by its exact type. Looked up by type, not matched
with `isinstance`: the scenario's types are pydantic models, whose `isinstance` is a Python call,
and a run draws thousands of times (mostly `Fixed` delays)."""
