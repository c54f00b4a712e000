"""An objective's figures as the reports show them: one form for its target and what was observed."""

from __future__ import annotations

from regionctl.units import format_duration


def slo_value(name: str, value: float | None, missing: str = "n/a") -> str:
    """`availability` as a percentage, `writes_lost` as a count, every other objective as a duration."""
    if value is None:
        return missing
    if name == "availability":
        return f"{value * 100:.3f}%"
    if name == "writes_lost":
        return f"{value:g}"
    return format_duration(value)
