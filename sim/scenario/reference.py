"""Generate the scenario field reference (Markdown) from the schema itself.

The reference in docs/ is produced from the models' attribute docstrings, so
it cannot drift from the code: a test regenerates it and compares.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario.schema import Scenario

_TYPE_NAMES = {
    "Duration": "duration (`90m`, `2h`, `1d6h`)",
    "ClockTime": "time of day (`08:00`)",
}


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, as `ttxsim schema` prints it.

    Pydantic writes draft 2020-12; `$schema` says so, so editors and `jsonschema`
    pick the right dialect without being told.
    """
    return {"$schema": JSON_SCHEMA_DIALECT, **Scenario.model_json_schema(by_alias=True)}


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False)


def _validator_name(meta: Any) -> str | None:
    func = getattr(meta, "func", None)
    name = getattr(func, "__name__", None)
    return {"parse_duration": "Duration", "parse_clock": "ClockTime", "_shorthand": "Distribution"}.get(name or "")


def _field_type(field: FieldInfo) -> str:
    for meta in field.metadata:
        kind = _validator_name(meta)
        if kind == "Distribution":
            return "[distribution](#distributions)"
        if kind:
            return _TYPE_NAMES[kind]
    return _type_name(field.annotation)


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *meta = get_args(annotation)
        for item in meta:
            kind = _validator_name(item)
            if kind == "Distribution":
                return "[distribution](#distributions)"
            if kind:
                return _TYPE_NAMES[kind]
        return _type_name(base)
    if origin in (Union, types.UnionType):
        names = [_type_name(a) for a in get_args(annotation) if a is not type(None)]
        name = " or ".join(dict.fromkeys(names))
        return name + " (optional)" if type(None) in get_args(annotation) else name
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        return f"list of {_type_name(item)}"
    if origin is dict:
        return "mapping"
    if origin is Literal:
        return " / ".join(f"`{a}`" for a in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if annotation is Any:
        return "any value"
    return getattr(annotation, "__name__", str(annotation))


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for arg in get_args(annotation):
            visit(arg)

    visit(root)
    return seen


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json", exclude_none=True, exclude={"source", "assumption"})
        return f"`{value}`" if value not in ([], {}) else "empty"
    if field.default is PydanticUndefined or field.default is None:
        return "none"
    if field.default == "":
        return "empty"
    value = field.default
    if hasattr(value, "value"):
        value = value.value
    return f"`{value}`"


def markdown() -> str:
    lines = [
        "# Scenario field reference",
        "",
        "Generated from the schema by `ttxsim schema --markdown`; do not edit by hand.",
        "Every block also accepts `source:` (a citation) and `assumption:` (why a number was chosen)",
        "where the table lists them. Unknown keys are errors.",
        "",
    ]
    lines += [
        "## Distributions",
        "",
        "A random duration: a bare duration (`30m`) means fixed; otherwise a mapping with `kind:`",
        "`fixed` (value), `uniform` (low, high), `triangular` (low, mode, high), `lognormal`",
        "(median, p90), `exponential` (mean), `empirical` (values, weights) or `mixture`",
        "(components: weight, label, dist). Their fields are listed below.",
        "",
    ]
    for model in _models(Scenario):
        doc = typing.cast(str, model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        lines += [f"## {model.__name__}", "", doc, "", "| key | type | default | meaning |", "|---|---|---|---|"]
        fields = sorted(model.model_fields.items(), key=lambda item: item[0] in ("source", "assumption"))
        for name, field in fields:
            key = field.alias or name
            meaning = (field.description or "").replace("\n", " ").replace("|", "\\|")
            lines.append(f"| `{key}` | {_field_type(field)} | {_default(field)} | {meaning} |")
        lines.append("")
    return "\n".join(lines)
