"""One behaviour for one flag: the same forms of --speed on every command, the same errors."""

from __future__ import annotations

import pytest

from tests.modelhelpers import invoke

BOOK = "failover-to-eu-west"

# A command line per command that gets past parsing --speed and then stops on a later check
# that names the parsed value's use: proof that `10x` was accepted, without running anything.
ACCEPTED = [
    (["tui", "active-passive", "--speed", "10x"], "the dashboard needs a terminal"),
    (["drill", "active-passive", "--speed", "10x"], "--speed paces a drill served with --metrics-port"),
    (["run", "active-passive", BOOK, "--backend", "ssh", "--speed", "10x"], "--speed is only for --backend sim"),
    (["exporter", "active-passive", "--backend", "ssh", "--speed", "10x"], "--fault and --speed are for the simulator"),
]


@pytest.mark.parametrize(("args", "then"), ACCEPTED, ids=[a[0] for a, _ in ACCEPTED])
def test_speed_10x_is_accepted_by_every_command(args: list[str], then: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2 and then in result.stderr, result.stderr
    assert "not a valid float" not in result.stderr


@pytest.mark.parametrize("command", [["tui", "active-passive"], ["drill", "active-passive"],
                                     ["run", "active-passive", BOOK], ["exporter", "active-passive"]],
                         ids=["tui", "drill", "run", "exporter"])
@pytest.mark.parametrize("value", ["fast", "0"])
def test_a_bad_speed_gets_the_same_error_from_every_command(command: list[str], value: str) -> None:
    result = invoke(*command, "--speed", value)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"regionctl: --speed: expected a positive factor like 10x or 0.5x "
                                     f"(at most 1000x), found {value!r}")


def test_a_fault_starting_at_a_negative_time_says_it_must_not_be_negative() -> None:
    result = invoke("drill", "active-passive", "--fault", "region:us-east@-5s")
    assert result.exit_code == 2 and "must not be negative" in result.stderr
    assert "expected a duration with a unit" not in result.stderr
