"""RTO, availability and max lag measured from probe rounds on real hosts."""

from __future__ import annotations

from regionctl.backends.ssh.observed import Observer


def test_rto_runs_from_the_fault_to_the_first_writable_round() -> None:
    obs = Observer()
    obs.round(1.0, {"orders": True, "cache": True}, [0.01])
    obs.action(2.0)  # node:pg-1 injected
    obs.round(2.5, {"orders": False, "cache": True}, [])
    obs.round(4.0, {"orders": False, "cache": True}, [0.3])
    assert obs.metrics(4.0)["rto_seconds"] == 2.0  # still out: counts up to now
    obs.round(6.0, {"orders": True, "cache": True}, [0.05])
    m = obs.metrics(10.0)
    assert m["rto_seconds"] == 4.0  # 2.0 -> 6.0
    assert m["availability"] == round((1 - 4.0 / 10.0 + 1.0) / 2, 6)
    assert m["max_lag_seconds"] == 0.3


def test_without_an_action_the_outage_starts_at_the_last_writable_round() -> None:
    obs = Observer()
    obs.round(1.0, {"config": True}, [])
    obs.round(3.0, {"config": False}, [])  # the leader crashed on its own
    obs.round(4.5, {"config": True}, [])
    assert obs.metrics(5.0)["rto_seconds"] == 3.5
    assert Observer().metrics(1.0) == {}


def test_after_several_actions_the_outage_starts_at_the_first_one_since_it_was_seen_writable() -> None:
    obs = Observer()
    obs.action(0.5)  # an earlier step, before the last round that saw orders writable: not the cause
    obs.round(1.0, {"orders": True}, [])
    obs.action(1.2)  # read-only: writes refused from here, though no round has looked yet
    obs.action(1.5)  # fence the old primary
    obs.round(1.6, {"orders": False}, [])
    obs.round(2.5, {"orders": True}, [])  # promoted
    assert obs.metrics(3.0)["rto_seconds"] == 1.3  # 1.2 -> 2.5, not 1.5 -> 2.5
