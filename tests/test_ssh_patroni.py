"""The Patroni adapter (REST API answers in Patroni 4.1's format) and the raw adapter's refusal to act behind
a failover manager's back."""

from __future__ import annotations

import json
import shlex

from regionctl.backends.ssh.adapters import adapter_for
from regionctl.backends.ssh.adapters.base import ClusterState, Probe, Target
from regionctl.backends.ssh.adapters.patroni import CLUSTER_SECTION, PatroniAdapter
from regionctl.backends.ssh.adapters.postgres import PostgresAdapter
from tests.test_ssh_adapters import captured

PATRONI = PatroniAdapter()
TARGETS = tuple(Target(f"pg-{i}", f"10.77.0.{i}", f"10.77.0.{i}", 5432, start="sh start.sh", stop="sh stop.sh")
                for i in (1, 2, 3))


def cluster(leader: str | None, paused: bool = False, states: dict[str, str] | None = None) -> str:
    states = states or {}
    members = [{"name": f"pg-{i}", "role": "leader" if f"pg-{i}" == leader else "replica",
                "state": states.get(f"pg-{i}", "running" if f"pg-{i}" == leader else "streaming"),
                "host": f"10.77.0.{i}", "port": 5432, "timeline": 2, "lag": 0} for i in (1, 2, 3)]
    return json.dumps({"members": members, "scope": "orders", **({"pause": True} if paused else {})})


def own(role: str, location: int, state: str = "running", timeline: int = 2) -> str:
    xlog = {"location": location} if role == "primary" else {
        "received_location": location, "replayed_location": location, "replayed_timestamp": None, "paused": False}
    return json.dumps({"state": state, "role": role, "server_version": 150014, "xlog": xlog, "timeline": timeline,
                       **({} if role == "primary" else {"replication_state": "streaming"}),
                       "patroni": {"version": "4.1.5", "scope": "orders", "name": "pg-x"}})


def probe(role: str, location: int, leader: str | None = "pg-1", **kw: object) -> Probe:
    return PATRONI.parse_probe(TARGETS[0], own(role, location) + f"\n{CLUSTER_SECTION}\n" + cluster(leader, **kw))


def state(leader: str | None = "pg-1", **kw: object) -> ClusterState:
    probes = (probe("primary", 900, leader, **kw), probe("replica", 800, leader, **kw),
              probe("replica", 900, leader, **kw))
    return ClusterState(TARGETS, probes, PATRONI.leader(TARGETS, probes))


def test_rest_answers_give_role_timeline_position_and_the_leader_key() -> None:
    s = state()
    assert s.leader == "pg-1"
    primary, behind, _ = s.probes
    assert primary is not None and behind is not None
    assert (primary.role, primary.term, primary.position) == ("leader", 2, 900)
    assert (behind.role, behind.position, behind.link_up) == ("follower", 800, True)
    statuses = PATRONI.statuses(s.targets, s.probes, s.leader)
    assert statuses["pg-2"].lag_ops == 100 and statuses["pg-3"].lag_ops == 0
    assert PATRONI.election(s) == ""
    assert PATRONI.election(state(None)) == "no leader key"
    assert PATRONI.election(state(paused=True)) == "patroni paused"
    assert PATRONI.election(state(states={"pg-3": "starting"})) == "pg-3 starting"


def test_a_member_whose_postgres_is_not_running_is_down() -> None:
    import pytest

    from regionctl.backends.ssh.adapters.base import ParseError

    with pytest.raises(ParseError, match="PostgreSQL is starting"):
        PATRONI.parse_probe(TARGETS[1], own("replica", 1, state="starting"))
    with pytest.raises(ParseError, match="not JSON"):
        PATRONI.parse_probe(TARGETS[1], "curl: (7) Failed to connect\n")


def test_promote_is_a_switchover_with_a_leader_and_a_failover_without() -> None:
    plan = PATRONI.promote(state(), "pg-2")
    words = shlex.split(plan.steps[0].command)
    assert words[-1] == "http://10.77.0.2:8008/switchover"
    assert json.loads(words[words.index("-d") + 1]) == {"candidate": "pg-2", "leader": "pg-1"}
    s = state()
    leaderless = ClusterState(s.targets, (None, *s.probes[1:]), None)
    words = shlex.split(PATRONI.promote(leaderless, "pg-3").steps[0].command)
    assert words[-1] == "http://10.77.0.3:8008/failover" and "--fail-with-body" in words
    assert json.loads(words[words.index("-d") + 1]) == {"candidate": "pg-3"}
    assert PATRONI.promote(s, "pg-1").note == "pg-1 is already the leader"
    assert json.loads(shlex.split(PATRONI.demote(s, "pg-1").steps[0].command)[-2]) == {"leader": "pg-1"}
    assert PATRONI.repoint(s, "pg-3", "pg-1").note.startswith("Patroni keeps pg-3 following")
    assert "Patroni makes replicas follow" in PATRONI.repoint(s, "pg-3", "pg-2").refusal
    bare = Target("pg-1", "h", "10.0.0.1", 5432)
    assert "declare adapter.stop" in PATRONI.stop(bare).refusal


def test_raw_promote_is_refused_where_patroni_is_connected() -> None:
    raw = adapter_for("postgres")
    assert isinstance(raw, PostgresAdapter) and not isinstance(raw, PatroniAdapter)
    managed = captured("postgres_standby_idle.txt") + "manager|Patroni heartbeat,Patroni restapi||||||\n"
    plain = raw.parse_probe(TARGETS[1], captured("postgres_standby_idle.txt"))
    seen = raw.parse_probe(TARGETS[1], managed)
    assert plain.managed_by == "" and seen.managed_by == "Patroni heartbeat,Patroni restapi"
    primary = raw.parse_probe(TARGETS[0], captured("postgres_primary_idle.txt"))
    s = ClusterState(TARGETS, (primary, seen, plain), "pg-1")
    for plan in (raw.promote(s, "pg-2"), raw.repoint(s, "pg-3", "pg-2"), raw.demote(s, "pg-1")):
        assert not plan.steps and "Patroni manages this cluster" in plan.refusal
        assert "adapter.kind: patroni" in plan.refusal
    unmanaged = ClusterState(TARGETS, (primary, plain, plain), "pg-1")
    assert raw.promote(unmanaged, "pg-2").steps  # no manager: the raw mode promotes as before


def test_read_only_is_patronis_dynamic_configuration_and_is_read_back_from_it() -> None:
    from regionctl.backends.ssh.adapters.patroni import CONFIG_SECTION

    s = state()
    words = shlex.split(PATRONI.set_read_only(s, True).steps[0].command)
    assert words[words.index("-X") + 1] == "PATCH" and words[-1] == "http://10.77.0.1:8008/config"
    assert json.loads(words[words.index("-d") + 1]) == {
        "postgresql": {"parameters": {"default_transaction_read_only": "on"}}}
    reopen = PATRONI.set_read_only(s, False).steps
    words = shlex.split(reopen[0].command)
    assert json.loads(words[words.index("-d") + 1]) == {
        "postgresql": {"parameters": {"default_transaction_read_only": None}}}  # removed, not set to off
    # Then every answering member until its PostgreSQL shows the setting.
    assert [step.node for step in reopen[1:]] == ["pg-1", "pg-2", "pg-3"]
    assert all("SHOW default_transaction_read_only" in step.command and '= off ]' in step.command
               for step in reopen[1:])
    frozen = json.dumps({"ttl": 20, "postgresql": {"parameters": {"default_transaction_read_only": "on"}}})
    answer = own("primary", 900) + f"\n{CLUSTER_SECTION}\n" + cluster("pg-1") + f"\n{CONFIG_SECTION}\n"
    assert PATRONI.parse_probe(TARGETS[0], answer + frozen).read_only
    assert not PATRONI.parse_probe(TARGETS[0], answer + json.dumps({"ttl": 20})).read_only
    assert not PATRONI.parse_probe(TARGETS[0], answer + "curl: (7) Failed to connect\n").read_only
    assert "/config" in PATRONI.probe_command(TARGETS[0])
    nobody = ClusterState(TARGETS, (None, None, None), None)
    assert "no Patroni answers" in PATRONI.set_read_only(nobody, True).refusal


def test_a_failover_waits_until_the_candidate_holds_the_leader_key() -> None:
    """While the lost leader's key lives (up to ttl), Patroni answers "status unknown": the plan then waits for
    the candidate's GET /primary rather than failing."""
    s = state()
    leaderless = ClusterState(s.targets, (None, *s.probes[1:]), None)
    post, wait = PATRONI.promote(leaderless, "pg-2").steps
    assert not post.check and wait.check and wait.node == "pg-2"
    assert "http://10.77.0.2:8008/primary" in wait.command and "%{http_code}" in wait.command
    assert len(PATRONI.promote(s, "pg-2").steps) == 1  # a switchover: Patroni answers once it is done
