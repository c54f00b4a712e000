"""Engine adapters on outputs captured from real PostgreSQL 15, Redis 7 and etcd 3.4 servers."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from regionctl.backends.ssh.adapters import adapter_for, kind_for_engine
from regionctl.backends.ssh.adapters.base import ClusterState, ParseError, Probe, SentinelView, Target
from regionctl.backends.ssh.adapters.command import render
from regionctl.backends.ssh.adapters.etcd import EtcdAdapter, parse_members
from regionctl.backends.ssh.adapters.postgres import PostgresAdapter, parse_lsn
from regionctl.backends.ssh.adapters.redis import RedisAdapter, parse_sentinel_state

DATA = Path(__file__).parent / "data" / "ssh"


def captured(name: str) -> str:
    return (DATA / name).read_text()


PG = PostgresAdapter()
PG1 = Target("pg-1", "h1", "127.0.0.1", 55432, data_dir="/srv/pg 1")
PG2 = Target("pg-2", "h2", "127.0.0.1", 55433, data_dir="/srv/pg2")


def test_lsn_is_the_byte_position() -> None:
    assert parse_lsn("0/4275478") == 0x4275478
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    with pytest.raises(ParseError):
        parse_lsn("nonsense")


def test_postgres_primary_under_load_reports_the_standby_behind() -> None:
    primary = PG.parse_probe(PG1, captured("postgres_primary_busy.txt"))
    standby = PG.parse_probe(PG2, captured("postgres_standby_busy.txt"))
    assert (primary.role, primary.term, primary.read_only) == ("leader", 1, False)
    assert standby.role == "follower" and standby.upstream == "127.0.0.1:55432" and standby.link_up
    targets, probes = (PG1, PG2), (primary, standby)
    assert PG.leader(targets, probes) == "pg-1"
    status = PG.statuses(targets, probes, "pg-1")
    assert status["pg-2"].lag_ops == 0x4275478 - 0x41865B8  # bytes not yet replayed
    assert status["pg-2"].lag_seconds == pytest.approx(0.115638)  # pg_stat_replication.replay_lag
    assert status["pg-1"].accepting_writes and not status["pg-2"].accepting_writes


def test_postgres_idle_standby_is_caught_up_with_zero_lag() -> None:
    primary = PG.parse_probe(PG1, captured("postgres_primary_idle.txt"))
    standby = PG.parse_probe(PG2, captured("postgres_standby_idle.txt"))
    status = PG.statuses((PG1, PG2), (primary, standby), "pg-1")
    assert (status["pg-2"].lag_ops, status["pg-2"].lag_seconds) == (0, 0.0)  # replay_lag is NULL when idle


def test_postgres_promoted_standby_is_a_primary_on_the_next_timeline() -> None:
    down = PG.parse_probe(PG2, captured("postgres_standby_link_down.txt"))
    assert down.role == "follower" and not down.link_up
    promoted = PG.parse_probe(PG2, captured("postgres_promoted.txt"))
    assert (promoted.role, promoted.term) == ("leader", 2)
    # The old primary is gone (probe failed): the promoted node leads.
    assert PG.leader((PG1, PG2), (None, promoted)) == "pg-2"


def test_two_primaries_newest_timeline_wins_then_whom_followers_follow() -> None:
    pg3 = Target("pg-3", "h3", "127.0.0.2", 5432)
    stale = Probe("leader", position=100, term=1)  # the old primary came back
    new = Probe("leader", position=50, term=2)
    follower = Probe("follower", position=100, term=1, upstream="127.0.0.1:55432")  # not yet repointed
    assert PG.leader((PG1, PG2, pg3), (stale, new, follower)) == "pg-2"
    assert PG.statuses((PG1, PG2, pg3), (stale, new, follower), "pg-2")["pg-1"].role == "old-leader"
    # Same term (Redis has none): the master the replicas replicate from leads.
    r1, r2, r3 = (Target(f"r-{i}", "h", "10.0.0.9", 6379 + i) for i in (1, 2, 3))
    masters = (Probe("leader", position=500), Probe("leader", position=10))
    replica = Probe("follower", upstream="10.0.0.9:6381")
    assert REDIS.leader((r1, r2, r3), (*masters, replica)) == "r-2"


def test_followers_replicating_through_a_proxy_route_count_for_the_node_behind_it() -> None:
    pg3 = Target("pg-3", "h3", "10.77.0.3", 5432, peers=(("pg-1", "10.77.0.3:25400"), ("pg-2", "10.77.0.3:25401")))
    both = (Probe("leader", term=2), Probe("leader", term=2), Probe("follower", upstream="10.77.0.3:25401"))
    assert PG.leader((PG1, PG2, pg3), both) == "pg-2"
    st = ClusterState((PG1, PG2, pg3), both, "pg-2")
    repoint = PG.repoint(st, "pg-3", "pg-1").steps[0].command
    assert "host=10.77.0.3 port=25400" in repoint  # pg-3 follows pg-1 through its region's proxy


def test_repointing_a_stale_primary_rewinds_it_first() -> None:
    st = ClusterState((PG1, PG2), (Probe("leader", term=1), Probe("leader", term=2)), "pg-2")
    plan = PG.repoint(st, "pg-1", "pg-2")
    assert any("pg_rewind" in step.command for step in plan.steps)
    assert PG.repoint(st, "pg-2", "pg-1").refusal  # the current primary is never repointed


def test_postgres_garbage_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        PG.parse_probe(PG1, "psql: error: connection refused\n")


def state(targets: tuple[Target, ...], probes: tuple[Probe | None, ...], adapter: object) -> ClusterState:
    leader = adapter.leader(targets, probes)  # type: ignore[attr-defined]
    return ClusterState(targets, probes, leader)


def test_postgres_actions_quote_every_value() -> None:
    probes = (Probe("leader", term=1), Probe("follower", term=1))
    st = state((PG1, PG2), probes, PG)
    promote = PG.promote(st, "pg-2").steps
    assert len(promote) == 1 and promote[0].node == "pg-2" and "pg_promote(true, 30)" in promote[0].command
    words = shlex.split(promote[0].command.removeprefix("PGCONNECT_TIMEOUT=3 "))
    assert words[words.index("-p") + 1] == "55433"
    assert PG.promote(st, "pg-1").note and not PG.promote(st, "pg-1").steps  # already the primary
    repoint = PG.repoint(st, "pg-2", "pg-1").steps[0].command
    assert "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=55432" in shlex.split(repoint)[-3]
    # Demote = rejoin with pg_rewind against the new primary; the data dir with a space stays one word.
    st2 = ClusterState((PG1, PG2), (Probe("leader", term=1), Probe("leader", term=2)), "pg-2")
    plan = PG.demote(st2, "pg-1")
    assert [s.node for s in plan.steps] == ["pg-1", "pg-2", "pg-1", "pg-1"]
    rewind = plan.steps[2].command
    assert "'/srv/pg 1'" in rewind and "pg_rewind" in rewind and "standby.signal" in rewind
    assert PG.demote(st, "pg-1").refusal  # it is still the leader: nothing to rewind against


REDIS = RedisAdapter()
R1 = Target("r-1", "h1", "127.0.0.1", 56380)
R2 = Target("r-2", "h2", "127.0.0.1", 56381)


def test_redis_master_and_replica_offsets() -> None:
    master = REDIS.parse_probe(R1, captured("redis_master.txt"))  # CRLF line ends, as redis-cli prints
    replica = REDIS.parse_probe(R2, captured("redis_replica.txt"))
    assert master.role == "leader" and master.position == 50
    assert [(r.key, r.position) for r in master.replicas] == [("127.0.0.1:56381", 0)]
    assert replica.role == "follower" and replica.upstream == "127.0.0.1:56380" and replica.link_up
    promoted = REDIS.parse_probe(R2, captured("redis_promoted.txt"))
    assert promoted.role == "leader"
    lagging = Probe("follower", position=30, upstream="127.0.0.1:56380")
    status = REDIS.statuses((R1, R2), (master, lagging), "r-1")
    assert status["r-2"].lag_ops == 20 and status["r-2"].lag_seconds is None  # the backend measures it


C1, C2, C3 = (Target(f"cache-{i}", f"h{i}", f"10.77.0.{i}", 6379, sentinel=(f"10.77.0.{i}", 26379, "cache"))
              for i in (1, 2, 3))


def with_sentinel(info: str, sentinel: str) -> str:
    """One probe's output: INFO replication, then the Sentinel's `SENTINEL master cache` (captured in the sandbox)."""
    return captured(info) + "==sentinel==\n" + captured(sentinel)


def test_sentinel_state_as_redis_cli_prints_it() -> None:
    assert parse_sentinel_state(captured("sentinel_state_ok.txt")) == SentinelView(
        "10.77.0.1:6379", ("master",), epoch=0, quorum=2, sentinels=3)
    assert parse_sentinel_state(captured("sentinel_state_failing_over.txt")) == SentinelView(
        "10.77.0.1:6379", ("s_down", "o_down", "master", "disconnected", "failover_in_progress"), 0, 2, 3)
    assert parse_sentinel_state(captured("sentinel_state_unknown.txt")) is None  # a name it does not monitor
    assert parse_sentinel_state("Could not connect to Redis at 10.77.0.2:26379: Connection refused") is None
    words = shlex.split(REDIS.probe_command(C2))
    assert words[:5] == ["redis-cli", "-h", "10.77.0.2", "-p", "6379"] and words[5:8] == ["INFO", "replication", "&&"]
    assert words[-14:-4] == ["timeout", "2", "redis-cli", "-h", "10.77.0.2", "-p", "26379", "SENTINEL", "master",
                             "cache"]
    assert REDIS.probe_command(R1) == "redis-cli -h 127.0.0.1 -p 56380 INFO replication"  # no Sentinel named


def test_the_dashboard_follows_sentinel_through_a_failover() -> None:
    def state(sentinel: str, master: str | None = None) -> ClusterState:
        probes = (REDIS.parse_probe(C1, with_sentinel("redis_master.txt", sentinel)) if master else None,
                  REDIS.parse_probe(C2, with_sentinel("redis_replica.txt", sentinel)),
                  REDIS.parse_probe(C3, with_sentinel("redis_replica.txt", sentinel)))
        st = ClusterState((C1, C2, C3), probes)
        return ClusterState(st.targets, st.probes, REDIS.leader(st.targets, st.probes))

    assert REDIS.election(state("sentinel_state_ok.txt", master="cache-1")) == ""
    assert REDIS.election(state("sentinel_state_sdown.txt")) == "cache-1 s_down 2/2"  # cache-1 is gone
    assert REDIS.election(state("sentinel_state_failing_over.txt")) == "failing over cache-1"
    after = state("sentinel_state_after.txt")
    assert REDIS.election(after) == "sentinels name cache-2"  # the probes do not see cache-2 as master yet
    assert after.probe("cache-2").term == 1  # the config epoch: one failover
    # cache-2 promoted, and cache-1 back as a master too: the one Sentinel names leads.
    promoted = REDIS.parse_probe(C2, with_sentinel("redis_promoted.txt", "sentinel_state_after.txt"))
    old = REDIS.parse_probe(C1, with_sentinel("redis_master.txt", "sentinel_state_after.txt"))
    assert REDIS.leader((C1, C2), (old, promoted)) == "cache-2"
    assert REDIS.election(ClusterState((C1, C2), (old, promoted), "cache-2")) == ""
    # The first seconds after a crash, before down-after: the Sentinels have lost the master. The same flag on a
    # master our probes see working is a Sentinel that has not reconnected yet (just after a failover): no news.
    lost = captured("sentinel_state_ok.txt").replace("flags\nmaster\n", "flags\nmaster,disconnected\n")
    assert "disconnected" in lost
    replica = REDIS.parse_probe(C2, captured("redis_replica.txt") + "==sentinel==\n" + lost)
    assert REDIS.election(ClusterState((C1, C2), (None, replica), None)) == "cache-1 unreachable"
    working = REDIS.parse_probe(C1, captured("redis_master.txt") + "==sentinel==\n" + lost)
    assert REDIS.election(ClusterState((C1, C2), (working, replica), "cache-1")) == ""
    # One Sentinel has moved on to cache-2, the other still fails cache-1 over: each flag names its own master.
    lagging = REDIS.parse_probe(C3, with_sentinel("redis_replica.txt", "sentinel_state_failing_over.txt"))
    assert REDIS.election(ClusterState((C1, C2, C3), (None, promoted, lagging), "cache-2")) == (
        "failing over cache-1")


def test_redis_actions() -> None:
    st = ClusterState((R1, R2), (Probe("leader"), Probe("follower")), "r-1")
    assert shlex.split(REDIS.promote(st, "r-2").steps[0].command)[-3:] == ["REPLICAOF", "NO", "ONE"]
    assert shlex.split(REDIS.repoint(st, "r-1", "r-2").steps[0].command)[-3:] == ["REPLICAOF", "127.0.0.1", "56381"]
    assert REDIS.demote(st, "r-1").refusal
    assert REDIS.fence(st, "r-1").refusal  # no stop command declared


ETCD = EtcdAdapter()
E = tuple(Target(f"m{i}", f"h{i}", "127.0.0.1", 52370 + i) for i in (1, 2, 3))


def test_etcd_member_ids_above_2_pow_53_stay_exact() -> None:
    m1 = ETCD.parse_probe(E[0], captured("etcd_status_m1.txt"))
    assert m1.member_id == 9686845212206760991 and m1.member_id > 2**53
    assert float(m1.member_id) != 9686845212206760991  # what a float-based JSON reader would have produced
    assert m1.role == "leader" and (m1.term, m1.position) == (2, 8)
    m3 = ETCD.parse_probe(E[2], captured("etcd_status_m3_after_move.txt"))
    assert m3.role == "follower" and m3.leader_id == 9686845212206760991
    members = parse_members(captured("etcd_members.txt"))
    assert members[10452784183823754405] == "m2" and members[9686845212206760991] == "m1"


def test_etcd_leader_and_move_leader_use_the_exact_hex_id() -> None:
    m1 = ETCD.parse_probe(E[0], captured("etcd_status_m1.txt"))
    m2 = ETCD.parse_probe(E[1], captured("etcd_status_m2.txt"))
    m3 = ETCD.parse_probe(E[2], captured("etcd_status_m3_after_move.txt"))
    assert ETCD.leader(E, (m1, m2, m3)) == "m1"
    assert ETCD.leader(E, (None, m2, m3)) is None  # the leader did not answer
    st = ClusterState(E, (m1, m2, m3), "m1")
    step = ETCD.promote(st, "m2").steps[0]
    assert step.node == "m1" and shlex.split(step.command)[-2:] == ["move-leader", "910fbfd57ea2e4a5"]
    assert parse_members(captured("etcd_members.txt"))[int("910fbfd57ea2e4a5", 16)] == "m2"
    assert ETCD.demote(st, "m1").steps  # hands over to the most caught-up follower
    assert ETCD.promote(st, "m1").note and not ETCD.promote(st, "m1").steps  # already leads: nothing to do
    assert ETCD.repoint(st, "m2", "m1").refusal


def test_etcd_rejects_non_json() -> None:
    with pytest.raises(ParseError):
        ETCD.parse_probe(E[0], "Error: context deadline exceeded\n")
    with pytest.raises(ParseError):
        ETCD.parse_probe(E[0], json.dumps([{"Status": {"leader": 1.5}}]))


def test_command_adapter_parses_key_values_and_quotes_placeholders() -> None:
    cmd = adapter_for("command")
    t1 = Target("a", "h1", "10.0.0.1", 7000, probe="cat /state",
                actions=(("promote", "promote-it --node {node} --from {leader_address}"),))
    t2 = Target("b", "h2", "10.0.0.2; rm -rf /", 7000)
    p = cmd.parse_probe(t1, "role=primary\nposition=42\nterm=3\nlag_seconds=0.5\n")
    assert (p.role, p.position, p.term, p.lag_seconds) == ("leader", 42, 3, 0.5)
    with pytest.raises(ParseError):
        cmd.parse_probe(t1, "ok\n")
    st = ClusterState((t1, t2), (p, Probe("follower")), "b")
    assert cmd.promote(st, "a").steps[0].command == "promote-it --node a --from '10.0.0.2; rm -rf /'"
    assert "no `promote` action" in cmd.promote(st, "b").refusal
    with pytest.raises(ParseError, match="unknown placeholder"):
        render("x {password}", {})


def test_engines_map_to_adapters() -> None:
    assert [kind_for_engine(e) for e in ("postgres-patroni", "pg-auto-failover", "redis-sentinel", "etcd",
                                         "mongodb")] == ["postgres", "postgres", "redis", "etcd", "command"]


def test_an_etcd_member_cut_off_from_the_others_is_up_but_knows_no_leader() -> None:
    # Captured from the sandbox's etcd-1 behind a partition: etcd leaves `leader` out when it is 0.
    cut_off = ETCD.parse_probe(E[0], captured("etcd_status_no_leader.txt"))
    assert (cut_off.role, cut_off.leader_id, cut_off.term) == ("follower", None, 2)
    assert ETCD.statuses(E, (cut_off, None, None), None)["m1"].role == "follower"
