"""The schemas' building blocks: the model base class and the field types (names, durations, percentages, sizes).

The models are frozen standard dataclasses, so a run that loads its topology from the validation cache never
imports pydantic (about 70 ms of every start-up). Their annotations are strings (PEP 563) that pydantic
evaluates when it first builds a schema (`regionctl.model.validation`, which puts pydantic's vocabulary,
`Field` and the constrained numbers, in scope). The field types below carry their checks as markers that
hand pydantic its own validators only then.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

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

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class Check:
    """Annotated metadata: `before` and/or `after` run around the type's own validation (pydantic's
    BeforeValidator and AfterValidator), and `json` replaces the type's JSON Schema; pydantic is
    asked for its schema parts only when a schema is built."""

    before: Callable[[Any], Any] | None = None
    after: Callable[[Any], Any] | None = None
    json: Mapping[str, Any] | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        schema = handler(source)
        if self.before is not None:
            schema = core_schema.no_info_before_validator_function(self.before, schema)
        if self.after is not None:
            schema = core_schema.no_info_after_validator_function(self.after, schema)
        return schema

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return dict(self.json) if self.json is not None else handler(schema)


def _duration(value: Any) -> float:
    if isinstance(value, str) and value.strip().startswith("-"):
        raise UnitError(f"expected a duration that is not negative, found {value!r}")
    return parse_duration(value)


def _name(value: Any) -> Any:
    if isinstance(value, str):
        import re

        if not re.fullmatch(NAME_PATTERN[1:-1], value):  # (`$` alone would let a final newline through)
            raise ValueError(
                f"expected a name of letters, digits, '.', '_' or '-' (at most 63, starting with a letter "
                f"or digit), found {value!r}"
            )
    return value


Name = Annotated[str, Check(before=_name, json={"pattern": NAME_PATTERN, "type": "string"})]
# No duration of a topology, runbook or lab is longer than this: beyond it, it is a typo (100000000h),
# and the simulator would never get there.
MAX_DURATION = 30 * 86400.0


def _at_most_max(value: float) -> float:
    if value > MAX_DURATION:
        raise ValueError(f"expected a duration of at most {format_duration(MAX_DURATION)}, found "
                         f"{format_duration(value)} (longer is a typo, and no simulation would ever get there)")
    return value


Duration = Annotated[float, Check(before=_duration, after=_at_most_max, json={
    "type": "string", "pattern": DURATION_PATTERN, "examples": ["500ms", "30s", "10m"]})]


def within(low: float, high: float, why: str, *, zero: bool = True) -> Check:
    """For `Annotated[Duration, within(...)]`: between `low` and `high` (or 0 when `zero`); `why` says
    what the range protects, and is part of the message."""

    def check(value: float) -> float:
        if (value == 0 and zero) or low <= value <= high:
            return value
        allowed = f"{format_duration(low)} to {format_duration(high)}" + (" (or 0)" if zero and low > 0 else "")
        raise ValueError(f"expected a duration from {allowed}, found {format_duration(value)}: {why}")

    return Check(after=check)


Percent = Annotated[float, Check(before=parse_percent, json={
    "type": "string", "pattern": PERCENT_PATTERN, "examples": ["99.95%", "10%"]})]
Size = Annotated[int, Check(before=parse_size, json={
    "type": "string", "pattern": SIZE_PATTERN, "examples": ["1KiB", "1MiB"]})]


@dataclass(frozen=True, slots=True, kw_only=True)
class StrictModel:
    """Unknown keys are errors and loaded models never change. Subclasses are dataclasses declared as
    this one is (frozen, slots, keyword-only), validated by pydantic at the edge (`model_validate`)."""

    # No .inf or .nan: every figure feeds the simulator's arithmetic. pydantic reads this for dataclasses.
    __pydantic_config__: ClassVar[dict[str, Any]] = {
        "extra": "forbid", "validate_by_name": True, "validate_by_alias": True, "allow_inf_nan": False}

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """Validate plain data (YAML, JSON) into this model; raises pydantic's ValidationError."""
        from regionctl.model.validation import adapter

        result: Self = adapter(cls).validate_python(data)
        return result

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with some fields replaced, not validated again (as pydantic's model_copy)."""
        return dataclasses.replace(self, **dict(update or {}))

    def model_dump(self) -> dict[str, Any]:
        """The model as plain data, by field name."""
        from regionctl.model.validation import adapter

        dumped: dict[str, Any] = adapter(type(self)).dump_python(self)
        return dumped

