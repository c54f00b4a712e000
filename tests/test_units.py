"""The units users write and read: one duration formatter, one speed parser, negative durations named."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regionctl.units import DURATION_PATTERN, UnitError, format_duration, parse_duration, parse_speed


@pytest.mark.parametrize(("seconds", "shown"), [
    (0.0, "0ms"), (0.08, "80ms"), (0.9996, "1s"), (1.0, "1s"), (1.26, "1.3s"), (59.96, "1m00s"),
    (95.0, "1m35s"), (30.05, "30.1s"), (57.05, "57s"), (120.5, "2m00s"), (599.7, "10m00s"),
    (599.4, "9m59s"), (3599.7, "1h00m"),
    (5400.0, "1h30m"),
    (-95.0, "-1m35s"),
])
def test_durations_are_rounded_once_then_given_their_unit(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown


def test_no_duration_is_ever_shown_with_sixty_seconds_or_minutes() -> None:
    for tenth in range(0, 2 * 36000, 7):  # every 0.7 s up to two hours
        shown = format_duration(tenth / 10)
        assert "m60s" not in shown and "h60m" not in shown and shown != "1000ms", (tenth, shown)


@pytest.mark.parametrize("value", ["-5s", " -500ms", "-1h"])
def test_a_negative_duration_says_it_must_not_be_negative(value: str) -> None:
    with pytest.raises(UnitError, match="must not be negative"):
        parse_duration(value)


@pytest.mark.parametrize(("text", "factor"), [("10x", 10.0), ("10", 10.0), ("0.5x", 0.5), (" 2.5x ", 2.5),
                                              ("1000x", 1000.0)])
def test_speed_has_one_set_of_forms(text: str, factor: float) -> None:
    assert parse_speed(text) == factor


@pytest.mark.parametrize("text", ["fast", "0", "0x", "-1x", "1001x", "nan", "inf", "x"])
def test_a_bad_speed_names_the_forms(text: str) -> None:
    with pytest.raises(UnitError, match=r"expected a positive factor like 10x or 0.5x \(at most 1000x\)"):
        parse_speed(text)


@given(st.floats(min_value=1.0, max_value=40 * 86400.0, allow_nan=False))
def test_what_is_shown_reads_back_as_a_duration(seconds: float) -> None:
    """format_duration's forms (1m35s, 1h05m) are accepted wherever a duration is asked for (the replay's
    go-to-time, --at, --duration): within the precision shown."""
    shown = format_duration(seconds)
    back = parse_duration(shown)
    precision = 0.05 if seconds < 60 else (0.5 if seconds < 3600 else 30.0)
    assert abs(back - seconds) <= precision + 1e-9, (seconds, shown, back)
    assert re.match(DURATION_PATTERN, shown)  # and a topology file's schema takes it


@pytest.mark.parametrize(("text", "seconds"), [("1m30s", 90.0), ("1h05m", 3900.0), ("2d12h", 216000.0),
                                               ("1h2m3.5s", 3723.5), ("10m00s", 600.0)])
def test_compound_durations_add_up_largest_unit_first(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["1m30", "m30s", "1s30m", "1h1h", "30s1m", "1.5m30s"])
def test_a_compound_out_of_order_or_without_a_last_unit_is_refused(text: str) -> None:
    with pytest.raises(UnitError, match="1m30s"):
        parse_duration(text)
    assert not re.match(DURATION_PATTERN, text)  # and the schema an editor checks files with says the same
