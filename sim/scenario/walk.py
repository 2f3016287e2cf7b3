"""Walking the scenario schema alongside raw data: which model validates the mapping at a
path, which keys it allows, and how a discriminated union is narrowed by a raw `kind:`.

Shared by the loader (schema problems) and the cross-reference checks, which
import it from here rather than from the loader (no import cycle).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from sim.scenario.schema import Scenario


def _tag_names() -> set[str]:
    names: set[str] = set()
    for cls in _all_models(Scenario):
        field = cls.model_fields.get("kind")  # the one discriminator of the scenario's unions
        if field is not None:
            names.update(arg for arg in typing.get_args(field.annotation) if isinstance(arg, str))
    return names | {"str", "int", "float", "bool", "none", "list", "dict"}


def _all_models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    stack = [root]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.append(cls)
        for field in cls.model_fields.values():
            stack.extend(_models_in(field.annotation))
    return seen


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Every BaseModel class an annotation can hold (through Annotated, unions, list, dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _models_in(args[0])
    if origin is dict:
        return _models_in(args[1]) if len(args) == 2 else []
    out: list[type[BaseModel]] = []
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset, Sequence):
        for arg in args:
            out.extend(m for m in _models_in(arg) if m not in out)
    return out


def _kind_of(cls: type[BaseModel]) -> set[str]:
    field = cls.model_fields.get("kind")
    if field is None:
        return set()
    return {a for a in typing.get_args(field.annotation) if isinstance(a, str)}


def _pick(candidates: list[type[BaseModel]], value: Any) -> list[type[BaseModel]]:
    """Narrow a union of models by the raw `kind:` (bare values mean `fixed`)."""
    if len(candidates) <= 1:
        return candidates
    if isinstance(value, dict):
        kind = value.get("kind") if isinstance(value.get("kind"), str) else None
    else:
        kind = "fixed" if isinstance(value, str | int | float) and not isinstance(value, bool) else None
    chosen = [c for c in candidates if kind in _kind_of(c)]
    return chosen or candidates


def field_key(name: str, field: Any) -> str:
    """The key a field is written with in YAML (its alias, e.g. `from`)."""
    return field.alias or name


def model_at(raw: Any, path: Sequence[Any], root: type[BaseModel] = Scenario) -> list[type[BaseModel]]:
    """The model class(es) that validate the mapping at `path` in the raw data.

    Walks the pydantic fields along the path (lists, optionals, Annotated and
    discriminated unions by the raw `kind` value). Empty if `path` does not
    lead to a model.
    """
    annotation: Any = root
    node = raw
    for part in path:
        models = _pick(_direct_models(annotation), node)
        if models and isinstance(part, str):
            annotation = None
            for cls in models:
                for name, field in cls.model_fields.items():
                    if part in (name, field_key(name, field)):
                        annotation = field.annotation
                        break
                if annotation is not None:
                    break
        elif isinstance(part, int):
            annotation = _item_type(annotation)
        else:
            annotation = _value_type(annotation)
        if annotation is None:
            return []
        node = _get(node, (part,))
    return _pick(_direct_models(annotation), node)


def _strip(annotation: Any) -> list[Any]:
    """Annotated/Union -> the plain alternatives (None dropped)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _strip(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(annotation):
            out.extend(_strip(arg))
        return out
    return [] if annotation is type(None) else [annotation]


def _direct_models(annotation: Any) -> list[type[BaseModel]]:
    return [a for a in _strip(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]


def _item_type(annotation: Any) -> Any:
    for alt in _strip(annotation):
        if typing.get_origin(alt) in (list, tuple, set, frozenset, Sequence):
            args = typing.get_args(alt)
            return args[0] if args else Any
    return None


def _value_type(annotation: Any) -> Any:
    for alt in _strip(annotation):
        if typing.get_origin(alt) in (dict, Mapping):
            args = typing.get_args(alt)
            return args[1] if len(args) == 2 else Any
    return None


def allowed_keys(raw: Any, path: Sequence[Any]) -> list[str]:
    """Keys the schema accepts in the mapping at `path` (aliases, e.g. `from`)."""
    keys: list[str] = []
    for cls in model_at(raw, path):
        keys.extend(field_key(n, f) for n, f in cls.model_fields.items() if field_key(n, f) not in keys)
    return keys


def _get(raw: Any, path: Sequence[Any]) -> Any:
    node = raw
    for part in path:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            return None
    return node
