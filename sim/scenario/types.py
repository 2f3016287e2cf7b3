"""Building blocks every scenario section shares: strict models, durations,
times of day and the small family of probability distributions.

Rule kept here: a number in a scenario is either sourced or an assumption, so
every `Cited` model carries optional `source:` and `assumption:` notes, and
every duration is written with its unit (`90m`, `2h`, `1d6h`) and stored in
simulation minutes, the model's one time unit.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

MINUTES_PER_DAY = 1440.0


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are frozen, and
    no number is infinite or NaN (an `.inf` factor or weight validates nowhere, so
    it cannot overflow in the engine)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        populate_by_name=True,
        allow_inf_nan=False,
    )


class Cited(Strict):
    """A model whose numbers must say where they come from."""

    source: str | None = None
    """Citation (URL or `domain-facts.md` section) for the numbers in this block."""
    assumption: str | None = None
    """Why a number that no source gives was chosen (calibration, analogy, ...)."""


_NUMBER = r"(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_DURATION_RE = re.compile(rf"^\s*(?:{_NUMBER}d)?\s*(?:{_NUMBER}h)?\s*(?:{_NUMBER}m)?\s*$")


def parse_duration(value: Any) -> float:
    """Read `90m`, `2h`, `1d6h`, `1.5h` or a bare number of minutes."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '90m', '2h' or '1d6h', got a boolean")
    if isinstance(value, int | float):
        minutes = float(value)
    elif isinstance(value, str):
        match = _DURATION_RE.match(value)
        if not value.strip() or not match or not any(match.groups()):
            raise ValueError(f"expected a duration such as '90m', '2h' or '1d6h', got {value!r}")
        days, hours, mins = (float(g) if g else 0.0 for g in match.groups())
        minutes = days * MINUTES_PER_DAY + hours * 60.0 + mins
    else:
        raise ValueError(f"expected a duration such as '90m', '2h' or '1d6h', got {type(value).__name__}")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"a duration must be finite and not negative, got {value!r}")
    return minutes


def format_duration(minutes: float) -> str:
    """Inverse of `parse_duration` for dumping scenarios: `1d6h30m`."""
    if minutes != int(minutes):
        return f"{minutes!r}m"  # repr: the shortest text that reads back to the same float
    minutes = int(minutes)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{mins}m" if mins else "")
    return text or "0m"


_JSON_NUMBER = r"\d+(\.\d+)?([eE][-+]?\d+)?"
DURATION_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "string",
            # The same text `parse_duration` reads: d, h, m parts in that order, at least one digit.
            "pattern": rf"^(?=.*\d)\s*({_JSON_NUMBER}d)?\s*({_JSON_NUMBER}h)?\s*({_JSON_NUMBER}m)?\s*$",
        },
        {"type": "number", "minimum": 0},
    ],
    "description": "A duration with units (`90m`, `2h`, `1d6h`) or a bare number of minutes.",
}
"""What editors and `jsonschema` see for a Duration: exactly what `parse_duration` accepts
(bar the finiteness check, which JSON Schema cannot express)."""

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(DURATION_JSON_SCHEMA, mode="validation"),
]
"""Simulation minutes, written with units: `90m`, `2h`, `1d6h`."""

_CLOCK_RE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def parse_clock(value: Any) -> float:
    """Read a time of day `08:00` as minutes after midnight (`24:00` allowed)."""
    if isinstance(value, str):
        match = _CLOCK_RE.match(value.strip())
        if match:
            minutes = int(match.group(1)) * 60 + int(match.group(2))
            if minutes <= 1440:
                return float(minutes)
    raise ValueError(f"expected a time of day such as '08:00', got {value!r}")


def format_clock(minutes: float) -> str:
    hours, mins = divmod(int(minutes), 60)
    return f"{hours:02d}:{mins:02d}"


ClockTime = Annotated[
    float,
    BeforeValidator(parse_clock),
    PlainSerializer(format_clock, return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": "^\\d{1,2}:\\d{2}$"}),
]
"""A time of day `HH:MM`, stored as minutes after midnight."""

Probability = Annotated[float, Field(ge=0.0, le=1.0)]

MAX_WEIGHT = 1e9
"""Largest relative weight (option probability, empirical or mixture weight): far
beyond any meaningful ratio, and small enough that no sum of weights overflows."""

Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
"""A relative weight: 0 up to `MAX_WEIGHT`."""


class Window(Cited):
    """Daily opening hours; `open == close` or `00:00`-`24:00` means always open."""

    open: ClockTime = 0.0
    """Opening time of day, e.g. `08:00`."""
    close: ClockTime = 1440.0
    """Closing time of day, e.g. `21:00`."""

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.close < self.open:
            raise ValueError("close must not be earlier than open (windows past midnight are not supported)")
        return self

    @property
    def always_open(self) -> bool:
        return self.open == self.close or (self.open == 0.0 and self.close == 1440.0)

    @property
    def length(self) -> float:
        return 1440.0 if self.always_open else self.close - self.open


# ---------------------------------------------------------------------------
# Distributions: a small tagged union on `kind`. Values are durations in
# minutes unless a model says otherwise; samplers live in sim.engine.
# ---------------------------------------------------------------------------


class Fixed(Cited):
    """Always the same value."""

    kind: Literal["fixed"] = "fixed"
    value: Duration
    """The value, e.g. `30m`."""

    def mean(self) -> float:
        return self.value


class Uniform(Cited):
    """Equally likely anywhere between `low` and `high`."""

    kind: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must not be below low")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2


class Triangular(Cited):
    """Between `low` and `high`, most likely at `mode` (three-point estimate)."""

    kind: Literal["triangular"]
    low: Duration
    mode: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("expected low <= mode <= high")
        return self

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class LogNormal(Cited):
    """Right-skewed delay given by its median and 90th percentile, the two
    figures an expert can actually estimate."""

    kind: Literal["lognormal"]
    median: Duration
    p90: Duration

    @model_validator(mode="after")
    def _ordered(self) -> LogNormal:
        if self.median <= 0 or self.p90 <= self.median:
            raise ValueError("expected 0 < median < p90")
        return self

    @property
    def sigma(self) -> float:
        return math.log(self.p90 / self.median) / 1.2815515655446004

    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


class Exponential(Cited):
    """Memoryless delay with the given mean."""

    kind: Literal["exponential"]
    mean_value: Duration = Field(alias="mean")
    """Mean delay, e.g. `2h`."""

    def mean(self) -> float:
        return self.mean_value


class Empirical(Cited):
    """One of the observed `values`, with optional `weights`."""

    kind: Literal["empirical"]
    values: list[Duration] = Field(min_length=1)
    weights: list[Weight] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def mean(self) -> float:
        weights = self.weights or [1.0] * len(self.values)
        return sum(v * w for v, w in zip(self.values, weights, strict=True)) / sum(weights)


class MixtureComponent(Strict):
    weight: Annotated[float, Field(gt=0, le=MAX_WEIGHT)]
    """Relative weight of this mode."""
    label: str | None = None
    """What this mode stands for, e.g. `telephone Cabinet`."""
    dist: Distribution


class Mixture(Cited):
    """A choice between modes, e.g. an emergency Cabinet decision in minutes or
    the next regular Cabinet meeting days later."""

    kind: Literal["mixture"]
    components: list[MixtureComponent] = Field(min_length=1)

    def mean(self) -> float:
        total = sum(c.weight for c in self.components)
        return sum(c.weight * c.dist.mean() for c in self.components) / total


def _shorthand(value: Any) -> Any:
    """A bare duration (`30m`, `2h`, 45) is a fixed distribution."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"kind": "fixed", "value": value}
    return value


class _ShorthandJsonSchema:
    """JSON Schema hook: a distribution is either the tagged union or a bare Duration.

    `_shorthand` turns `handling: 5m` into a fixed distribution before validation,
    but pydantic only describes the union; without this hook editors and
    `jsonschema` reject every shorthand in the bundled scenarios.
    """

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {"anyOf": [DURATION_JSON_SCHEMA, handler(core_schema)]}


Distribution = Annotated[
    Annotated[
        Fixed | Uniform | Triangular | LogNormal | Exponential | Empirical | Mixture,
        Field(discriminator="kind"),
    ],
    BeforeValidator(_shorthand),
    _ShorthandJsonSchema(),
]
"""A random duration; a bare `30m` means fixed."""

MixtureComponent.model_rebuild()

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=64)]
"""Lower-case id: letters, digits and underscores, e.g. `city_hall`."""
