"""World state: the scenario's named variables, changed only by effects.

Every change is a `state_changed` event (the first one per variable, at T+0,
gives its initial value), so metrics and the console read the state from the
event stream. Values are clamped to the variable's bounds after every step.

Temporary changes (an effect with `for:`) are kept as modifiers on top of a
base value, and the value is always recomputed from the base and the active
modifiers in the order they were applied. Ending a temporary change removes
its modifier and recomputes, so the restore is exact (no division by a scale
factor, no drift) and a change made meanwhile by another effect survives it.
A permanent `set` replaces the base and ends every temporary change made
before it ("until changed again"); a permanent `add` or `scale` changes the
base underneath the temporary changes still running.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.domain.context import Context
from sim.events import Kind
from sim.scenario.consequences import Variable

Listener = Callable[[str], None]
"""Called with a variable's id after its change has been emitted."""

OPERATIONS = ("set", "add", "scale")


@dataclass(slots=True)
class _Modifier:
    op: str
    amount: Any
    token: int
    until: float | None = None


@dataclass(slots=True)
class Adjustable:
    """One value that effects change: a base plus the temporary changes still running.

    The world state's variables and every domain setting an effect reaches (a
    place open or closed, a channel's latency or reliability, an agency's staff
    or hours, the population's compliance) are each one of these, so "for a
    duration" and "until changed again" mean the same everywhere. `set` works
    on any value (e.g. working hours); `add` and `scale` on numbers.
    """

    base: Any
    low: float | None = None
    high: float | None = None
    modifiers: list[_Modifier] = field(default_factory=list)

    def clamp(self, value: Any) -> Any:
        if self.low is not None and value < self.low:
            value = self.low
        if self.high is not None and value > self.high:
            value = self.high
        return value

    def value(self) -> Any:
        value = self.base
        for modifier in self.modifiers:
            value = self.clamp(combine(modifier.op, value, modifier.amount))
        return value

    def change(self, op: str, amount: Any, token: int | None = None, until: float | None = None) -> None:
        """Apply one change: permanent without `token`, else temporary until `remove(token)`."""
        if op not in OPERATIONS:
            raise ValueError(f"unknown state operation {op!r}")
        if token is None:
            if op == "set":
                self.modifiers.clear()
            self.base = self.clamp(combine(op, self.base, amount))
        else:
            self.modifiers.append(_Modifier(op, amount, token, until))

    def remove(self, token: int) -> bool:
        """End a temporary change; False if it had already ended (a later permanent `set`)."""
        kept = [m for m in self.modifiers if m.token != token]
        if len(kept) == len(self.modifiers):
            return False
        self.modifiers[:] = kept
        return True

    def settles_at(self, now: float, done: Callable[[Any], bool]) -> float:
        """The earliest time >= now at which the value satisfies `done` if nothing else changes
        (inf if never: a permanent change holds it), from the temporary changes' end times."""
        if done(self.value()):
            return now
        probe = Adjustable(self.base, self.low, self.high, list(self.modifiers))
        for end in sorted({m.until for m in self.modifiers if m.until is not None}):
            probe.modifiers = [m for m in probe.modifiers if m.until is None or m.until > end]
            if done(probe.value()):
                return max(now, end)
        return math.inf


class Adjuster:
    """Applies changes to `Adjustable`s with a duration: schedules the exact undo and reports each change."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._tokens = itertools.count(1)

    def change(
        self,
        setting: Adjustable,
        op: str,
        amount: Any,
        duration: float | None,
        changed: Callable[[dict[str, Any]], None],
    ) -> None:
        """Change `setting` now (for `duration` minutes, or until changed again) and call
        `changed(data)` after the change and after its undo."""
        if duration is None:
            setting.change(op, amount)
            changed({"change": op, "amount": amount})
            return
        token = next(self._tokens)
        until = self.ctx.now() + duration
        setting.change(op, amount, token, until)
        changed({"change": op, "amount": amount, "until": until})

        def restore() -> None:
            if setting.remove(token):
                changed({"change": "restore"})

        self.ctx.after(duration, restore)


def combine(op: str, value: float, amount: float) -> float:
    """One step of a change: set to, add or multiply by `amount`."""
    if op == "set":
        return amount
    if op == "add":
        return value + amount
    if op == "scale":
        return value * amount
    raise ValueError(f"unknown state operation {op!r}")


class UnknownVariable(KeyError):
    """An effect or a read named a variable the scenario does not declare."""


class WorldState:
    """The current value of every declared variable, and the only way to change one."""

    def __init__(self, ctx: Context, variables: Sequence[Variable]) -> None:
        self.ctx = ctx
        self._specs = {v.id: v for v in variables}
        self._slots = {v.id: Adjustable(v.initial, v.min, v.max) for v in variables}
        self.values: dict[str, float] = {v.id: v.initial for v in variables}
        """Current values (read-only for everyone but this class)."""
        self._listeners: list[Listener] = []
        self._adjuster = Adjuster(ctx)

    def __contains__(self, name: str) -> bool:
        return name in self._slots

    def value(self, name: str) -> float:
        try:
            return self.values[name]
        except KeyError:
            raise UnknownVariable(name) from None

    def spec(self, name: str) -> Variable:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownVariable(name) from None

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        """Emit every variable's initial value at T+0, so the event stream alone gives the whole series."""
        for name in self._slots:
            self.ctx.emit(
                Kind.state_changed, "scenario", name, value=self.values[name], previous=None, change="initial"
            )

    def change(self, name: str, op: str, amount: float, cause: str, duration: float | None = None) -> float:
        """Apply one change now and return the new value; with `duration`, undo it that many minutes later."""
        if name not in self._slots:
            raise UnknownVariable(name)
        if op not in OPERATIONS:
            raise ValueError(f"unknown state operation {op!r}")
        self._adjuster.change(self._slots[name], op, amount, duration, lambda data: self._publish(name, cause, data))
        return self.values[name]

    def _publish(self, name: str, cause: str, data: dict[str, object]) -> None:
        previous = self.values[name]
        value = self.values[name] = self._slots[name].value()
        self.ctx.emit(Kind.state_changed, cause, name, value=value, previous=previous, **data)
        for listener in self._listeners:
            listener(name)
