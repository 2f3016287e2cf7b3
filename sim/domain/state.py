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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sim.domain.context import Context
from sim.events import Kind
from sim.scenario.consequences import Variable

Listener = Callable[[str], None]
"""Called with a variable's id after its change has been emitted."""

OPERATIONS = ("set", "add", "scale")


@dataclass(slots=True)
class _Modifier:
    op: str
    amount: float
    token: int


@dataclass(slots=True)
class _Slot:
    spec: Variable
    base: float
    modifiers: list[_Modifier] = field(default_factory=list)

    def clamp(self, value: float) -> float:
        if self.spec.min is not None and value < self.spec.min:
            value = self.spec.min
        if self.spec.max is not None and value > self.spec.max:
            value = self.spec.max
        return value

    def value(self) -> float:
        value = self.base
        for modifier in self.modifiers:
            value = self.clamp(combine(modifier.op, value, modifier.amount))
        return value


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
        self._slots = {v.id: _Slot(v, v.initial) for v in variables}
        self.values: dict[str, float] = {v.id: v.initial for v in variables}
        """Current values (read-only for everyone but this class)."""
        self._listeners: list[Listener] = []
        self._tokens = itertools.count(1)

    def __contains__(self, name: str) -> bool:
        return name in self._slots

    def value(self, name: str) -> float:
        try:
            return self.values[name]
        except KeyError:
            raise UnknownVariable(name) from None

    def spec(self, name: str) -> Variable:
        return self._slot(name).spec

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
        slot = self._slot(name)
        if op not in OPERATIONS:
            raise ValueError(f"unknown state operation {op!r}")
        data: dict[str, object] = {"change": op, "amount": amount}
        if duration is None:
            if op == "set":
                slot.modifiers.clear()
            slot.base = slot.clamp(combine(op, slot.base, amount))
        else:
            token = next(self._tokens)
            slot.modifiers.append(_Modifier(op, amount, token))
            data["until"] = self.ctx.now() + duration
            self.ctx.after(duration, lambda: self._restore(name, token, cause))
        return self._publish(name, cause, data)

    def _restore(self, name: str, token: int, cause: str) -> None:
        slot = self._slots[name]
        kept = [m for m in slot.modifiers if m.token != token]
        if len(kept) == len(slot.modifiers):
            return  # a later permanent `set` already ended this change
        slot.modifiers[:] = kept
        self._publish(name, cause, {"change": "restore"})

    def _publish(self, name: str, cause: str, data: dict[str, object]) -> float:
        previous = self.values[name]
        value = self.values[name] = self._slots[name].value()
        self.ctx.emit(Kind.state_changed, cause, name, value=value, previous=previous, **data)
        for listener in self._listeners:
            listener(name)
        return value

    def _slot(self, name: str) -> _Slot:
        try:
            return self._slots[name]
        except KeyError:
            raise UnknownVariable(name) from None
