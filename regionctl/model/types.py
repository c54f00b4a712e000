"""Annotated field types shared by the schemas: names, durations, percentages, sizes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema
from pydantic import BaseModel as _BaseModel

from regionctl.units import (
    DURATION_PATTERN,
    PERCENT_PATTERN,
    SIZE_PATTERN,
    UnitError,
    format_duration,
    parse_duration,
    parse_percent,
    parse_size,
)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"


def _duration(value: Any) -> float:
    if isinstance(value, str) and value.strip().startswith("-"):
        raise UnitError(f"expected a duration that is not negative, found {value!r}")
    return parse_duration(value)


def _name(value: Any) -> Any:
    if isinstance(value, str):
        import re

        if not re.match(NAME_PATTERN, value):
            raise ValueError(
                f"expected a name of letters, digits, '.', '_' or '-' (at most 63, starting with a letter "
                f"or digit), found {value!r}"
            )
    return value


Name = Annotated[
    str,
    BeforeValidator(_name),
    StringConstraints(pattern=NAME_PATTERN),
]
# No duration of a topology, runbook or lab is longer than this: beyond it, it is a typo (100000000h),
# and the simulator would never get there.
MAX_DURATION = 30 * 86400.0


def _at_most_max(value: float) -> float:
    if value > MAX_DURATION:
        raise ValueError(f"expected a duration of at most {format_duration(MAX_DURATION)}, found "
                         f"{format_duration(value)} (longer is a typo, and no simulation would ever get there)")
    return value


Duration = Annotated[
    float,
    BeforeValidator(_duration),
    AfterValidator(_at_most_max),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["500ms", "30s", "10m"]}),
]


def within(low: float, high: float, why: str, *, zero: bool = True) -> AfterValidator:
    """For `Annotated[Duration, within(...)]`: between `low` and `high` (or 0 when `zero`); `why` says
    what the range protects, and is part of the message."""

    def check(value: float) -> float:
        if (value == 0 and zero) or low <= value <= high:
            return value
        allowed = f"{format_duration(low)} to {format_duration(high)}" + (" (or 0)" if zero and low > 0 else "")
        raise ValueError(f"expected a duration from {allowed}, found {format_duration(value)}: {why}")

    return AfterValidator(check)
Percent = Annotated[
    float,
    BeforeValidator(parse_percent),
    WithJsonSchema({"type": "string", "pattern": PERCENT_PATTERN, "examples": ["99.95%", "10%"]}),
]
Size = Annotated[
    int,
    BeforeValidator(parse_size),
    WithJsonSchema({"type": "string", "pattern": SIZE_PATTERN, "examples": ["1KiB", "1MiB"]}),
]


class StrictModel(_BaseModel):
    """Unknown keys are errors and loaded models never change."""

    # No .inf or .nan: every figure feeds the simulator's arithmetic.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, defer_build=True)
