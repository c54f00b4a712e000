"""Parsing of the units users write in YAML and on the command line.

Durations carry a unit (`500ms`, `30s`, `10m`, `1h`, or `1m30s` as they are shown), percentages a `%` sign,
sizes a byte unit. A bare number is rejected on purpose: `timeout: 30` is ambiguous.
Pure functions, no third-party imports (they sit on the `--help` path).
"""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(us|µs|ms|s|m|h|d)\s*$")
_DURATION_FACTORS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# What format_duration writes (1m35s, 1h05m) and people write too (1h30m, 2d12h): units largest first.
_COMPOUND = re.compile(r"^\s*(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+(?:\.[0-9]+)?)s)?\s*$")
_PERCENT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)\s*$")
_SIZE_FACTORS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3,
                 "KB": 1000, "MB": 1000**2, "GB": 1000**3}
_FACTOR = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*x\s*$")

# One unit, or several largest first (1m30s, 1h05m); the lookahead keeps the second form from matching "".
DURATION_PATTERN = (r"^([0-9]+(\.[0-9]+)?\s*(us|µs|ms|s|m|h|d)"
                    r"|(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+(\.[0-9]+)?s)?)$")
PERCENT_PATTERN = r"^[0-9]+(\.[0-9]+)?\s*%$"
SIZE_PATTERN = r"^[0-9]+(\.[0-9]+)?\s*(B|KiB|MiB|GiB|KB|MB|GB)$"


class UnitError(ValueError):
    """A value that lacks or misuses its unit; the message says what was expected."""


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the bare number {value!r}"
    if isinstance(value, str):
        return f"{value!r}"
    return f"a {type(value).__name__}"


def _finite(match: re.Match[str], value: str, what: str, factor: float = 1.0) -> float:
    number = float(match.group(1)) * factor
    if not math.isfinite(number):  # hundreds of digits overflow a float
        raise UnitError(
            f"expected a {what} of sane magnitude, found {value[:20]!r}... ({len(value)} characters)")
    return number


def parse_duration(value: object) -> float:
    """`'500ms'` -> 0.5, `'1m30s'` -> 90.0 (seconds). Raises UnitError naming what was found."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return _finite(match, value, "duration", _DURATION_FACTORS[match.group(2)])
        parts = _COMPOUND.match(value)
        if parts and sum(part is not None for part in parts.groups()) >= 2:
            days, hours, minutes, seconds = (float(part) if part else 0.0 for part in parts.groups())
            total = days * 86400.0 + hours * 3600.0 + minutes * 60.0 + seconds
            if math.isfinite(total):
                return total
        if value.strip().startswith("-"):
            try:
                parse_duration(value.strip().removeprefix("-"))
            except UnitError:
                pass
            else:
                raise UnitError(f"a duration must not be negative, found {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        raise UnitError(f"a duration must not be negative, found the bare number {value!r}")
    bare = isinstance(value, (int, float)) and not isinstance(value, bool)
    hint = " (add a unit, for example 30s)" if bare else ""
    raise UnitError(
        f"expected a duration with a unit like 500ms, 30s, 10m, 1h or 1m30s, found {_describe(value)}{hint}")


def parse_percent(value: object) -> float:
    """`'99.95%'` -> 0.9995 (a fraction)."""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            number = _finite(match, value, "percentage")
            if number > 100.0:
                raise UnitError(f"expected a percentage between 0% and 100%, found {value!r}")
            return number / 100.0
    bare = isinstance(value, (int, float)) and not isinstance(value, bool)
    hint = " (write it with a % sign, for example 99.9%)" if bare else ""
    raise UnitError(f"expected a percentage like 99.95%, found {_describe(value)}{hint}")


def parse_size(value: object) -> int:
    """`'1MiB'` -> 1048576 (bytes)."""
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            return int(_finite(match, value, "size", _SIZE_FACTORS[match.group(2)]))
    raise UnitError(f"expected a size with a unit like 512B, 64KiB or 1MiB, found {_describe(value)}")


def parse_factor(value: object) -> float:
    """`'10x'` -> 10.0 (a slow-down factor)."""
    if isinstance(value, str):
        match = _FACTOR.match(value)
        if match and _finite(match, value, "factor") > 0:
            return float(match.group(1))
    raise UnitError(f"expected a factor like 10x, found {_describe(value)}")


MAX_SPEED = 1000.0


def parse_speed(value: str) -> float:
    """The one parser of `--speed` (every command): `10x`, `10`, `0.5x` -> a factor in (0, 1000]."""
    text = value.strip()
    try:
        speed = parse_factor(text if text.endswith("x") else f"{text}x")  # `--speed 10` means 10x
    except UnitError:
        speed = 0.0
    if not 0 < speed <= MAX_SPEED:
        raise UnitError(f"expected a positive factor like 10x or 0.5x (at most {MAX_SPEED:g}x), found {value!r}")
    return speed


def format_duration(seconds: float) -> str:
    """The one display form of a duration, inverse of parse_duration: 0.08 -> '80ms', 95 -> '1m35s'.

    Rounded once, to the precision of the unit chosen, and the unit chosen after rounding:
    599.7 s is '10m00s' (never '9m60s'), 59.96 s is '1m00s', 0.9996 s is '1s'. Tenths come from the
    float as stored, as Python's own formatting gives them: 30.05 s (30.0500000000000007) is '30.1s',
    57.05 s (57.0499999999999972) is '57s'; a whole number of seconds rounds half to even.
    """
    if not math.isfinite(seconds):
        return str(seconds)
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if 0 < seconds < 0.001:
        return f"{seconds * 1000:.2f}ms"
    if _round(seconds * 1000) < 1000:
        return f"{_round(seconds * 1000)}ms"
    tenths = round(float(f"{seconds:.1f}") * 10)  # the float as stored, rounded once: 30.05 -> 30.1, 57.05 -> 57
    if tenths < 600:
        return f"{tenths / 10:.1f}s".replace(".0s", "s")
    whole = _round(seconds)
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(_round(seconds / 60), 60)
    return f"{hours}h{minutes:02d}m"


def _round(value: float) -> int:
    """Python's rounding of the float as stored (57.05 is 57.0499...: 57.0); ties to even."""
    return round(value)
