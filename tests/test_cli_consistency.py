"""One behaviour for one flag: the same forms of --speed on every command, the same errors."""

from __future__ import annotations

import json

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


@pytest.mark.parametrize("option", ["--resume", "--journal", "--junit"])
def test_an_empty_path_is_an_error_not_a_fresh_run(option: str) -> None:
    result = invoke("run", "active-passive", BOOK, option, "")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"regionctl: {option}: expected the path of a file, found an empty string"


def test_dry_run_json_prints_the_plan_as_json() -> None:
    result = invoke("run", "active-passive", BOOK, "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["dry_run"] is True and plan["runbook"] == BOOK and plan["backend"] == "sim"
    assert [s["id"] for s in plan["steps"]] == ["outage", "failover", "shift", "serving", "record"]
    assert plan["steps"][0] == {"id": "outage", "kind": "fault", "does": "inject region:us-east", "needs": [],
                                "where": "simulator"}
    assert plan["guards"] == [{"name": "lag-bounded", "condition": "max_lag_seconds < 60s", "action": "abort"}]
    assert plan["objectives"] == {"rto": 60.0, "rpo": 5.0}
    reach = plan["predicted_blast_radius"]["region:us-east"]
    assert reach["nodes"] == ["pg-1", "pg-2", "redis-1"]


def test_a_misspelt_lab_gets_the_closest_bundled_one() -> None:
    result = invoke("lab", "replication-lga", "--check")
    assert result.exit_code == 2 and "did you mean 'replication-lag'?" in result.stderr
