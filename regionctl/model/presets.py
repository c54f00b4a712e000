"""Engine presets: the published default timings of real failover systems.

Each preset cites its source (see ../shared/REFERENCE.md). A topology picks a preset
with `engine:` and may override single timings under `timings:`. Pure data: the
simulator, the linter and the docs read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FailoverFamily = Literal["raft", "lock-ttl", "poll", "sentinel", "cluster-bus", "managed", "none"]
ReplicationMode = Literal["async", "semi-sync", "sync", "quorum", "leaderless", "multi-leader"]


@dataclass(frozen=True)
class EnginePreset:
    name: str
    description: str
    family: FailoverFamily
    default_mode: ReplicationMode
    allowed_modes: tuple[ReplicationMode, ...]
    timings: dict[str, float]  # seconds
    source: str
    max_lag_bytes: int | None = None  # replicas further behind are never promoted
    max_lag_seconds: float | None = None
    flush_interval: float = 0.1  # replication batch interval in the simulator
    leader_based: bool = True
    extras: dict[str, float] = field(default_factory=dict)


PRESETS: dict[str, EnginePreset] = {
    "etcd": EnginePreset(
        name="etcd",
        description="Raft consensus (etcd): majority commit, randomized elections",
        family="raft",
        default_mode="quorum",
        allowed_modes=("quorum",),
        # heartbeat 100 ms, election timeout 1000 ms (randomized in [T, 2T]); new leader ~1-2 s.
        timings={"heartbeat": 0.1, "election_timeout": 1.0},
        source="etcd.io/docs/v3.5/tuning/",
        flush_interval=0.1,
    ),
    "mongodb": EnginePreset(
        name="mongodb",
        description="MongoDB replica set: Raft-like elections, w:majority for durable writes",
        family="raft",
        default_mode="quorum",
        allowed_modes=("quorum", "async"),
        # heartbeat every 2 s, electionTimeoutMillis 10000; a new primary in ~10-12 s.
        timings={"heartbeat": 2.0, "election_timeout": 10.0},
        source="mongodb.com/docs/manual/reference/replica-configuration/",
        extras={"election_jitter": 0.15},
    ),
    "postgres-patroni": EnginePreset(
        name="postgres-patroni",
        description="PostgreSQL streaming replication managed by Patroni (leader lock with a TTL in a DCS)",
        family="lock-ttl",
        default_mode="async",
        allowed_modes=("async", "semi-sync", "sync", "quorum"),
        # ttl 30 s, loop_wait 10 s, retry_timeout 10 s; loop_wait + 2 x retry_timeout <= ttl;
        # maximum_lag_on_failover 1 MiB. Failover ~30-40 s (derived from ttl + loop_wait).
        timings={"ttl": 30.0, "loop_wait": 10.0, "retry_timeout": 10.0, "promote": 1.0},
        source="patroni.readthedocs.io/en/latest/dynamic_configuration.html",
        max_lag_bytes=1024 * 1024,
    ),
    "pg-auto-failover": EnginePreset(
        name="pg-auto-failover",
        description="PostgreSQL with pg_auto_failover (a monitor node drives failover)",
        family="poll",
        default_mode="sync",
        allowed_modes=("async", "semi-sync", "sync"),
        # health check every 5 s, unhealthy after 20 s; ~20-50 s (derived).
        timings={"poll": 5.0, "detection": 20.0, "promote": 5.0},
        source="pg-auto-failover.readthedocs.io/en/main/ref/configuration.html",
    ),
    "postgres-repmgr": EnginePreset(
        name="postgres-repmgr",
        description="PostgreSQL with repmgrd (reconnect attempts, then promotion)",
        family="poll",
        default_mode="async",
        allowed_modes=("async", "semi-sync", "sync"),
        # 6 reconnect attempts x 10 s: ~60 s before promotion starts (derived).
        timings={"poll": 10.0, "detection": 60.0, "promote": 2.0},
        source="repmgr.org/docs/current/repmgrd-basic-configuration.html",
    ),
    "mysql-orchestrator": EnginePreset(
        name="mysql-orchestrator",
        description="MySQL replication with orchestrator (polling, holistic detection, promotion)",
        family="poll",
        default_mode="semi-sync",
        allowed_modes=("async", "semi-sync"),
        # InstancePollSeconds 5, detection ~1 s, ReasonableReplicationLagSeconds 10;
        # GitHub publishes 10-13 s of total outage. The recovery figure is that total
        # minus the mean detection time (derived).
        timings={"poll": 5.0, "detection": 1.0, "promote": 7.0},
        source="github.blog/2018-06-20-mysql-high-availability-at-github/",
        max_lag_seconds=10.0,
    ),
    "redis-sentinel": EnginePreset(
        name="redis-sentinel",
        description="Redis replication supervised by Sentinel (down-after, ODOWN quorum, elected sentinel)",
        family="sentinel",
        default_mode="async",
        allowed_modes=("async",),
        # down-after-milliseconds 30000, failover-timeout 180000; ~30 s + election (derived).
        timings={"down_after": 30.0, "ping": 1.0, "promote": 1.0},
        source="github.com/redis/redis/blob/unstable/sentinel.conf",
    ),
    "redis-cluster": EnginePreset(
        name="redis-cluster",
        description="Redis Cluster: node timeout, replica election by rank",
        family="cluster-bus",
        default_mode="async",
        allowed_modes=("async",),
        # cluster-node-timeout 15 s; election delay 0.5 s + rand(0-0.5 s) + 1 s x rank; ~16 s (derived).
        timings={"node_timeout": 15.0, "promote": 0.5},
        source="redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/",
    ),
    "aurora-global": EnginePreset(
        name="aurora-global",
        description="Aurora Global Database: async storage replication, managed cross-region promotion",
        family="managed",
        default_mode="async",
        allowed_modes=("async",),
        # lag typically < 1 s; promotion < 1 min; rds.global_db_rpo >= 20 s when set.
        timings={"detection": 30.0, "promote": 25.0},
        source="docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html",
        max_lag_seconds=20.0,
    ),
    "cassandra": EnginePreset(
        name="cassandra",
        description="Cassandra / Dynamo-style leaderless quorum replication (N/R/W)",
        family="none",
        default_mode="leaderless",
        allowed_modes=("leaderless",),
        # QUORUM = floor(RF/2)+1, RF 3 typical; hinted handoff and read repair.
        timings={"hint_window": 10800.0},
        source="docs.datastax.com (dmlConfigConsistency); Dynamo, SOSP 2007",
        leader_based=False,
    ),
    "dynamodb-global": EnginePreset(
        name="dynamodb-global",
        description="DynamoDB global tables (MREC): multi-region, last-writer-wins, ~1 s replication",
        family="none",
        default_mode="multi-leader",
        allowed_modes=("multi-leader",),
        timings={"replication_delay": 1.0},
        source="docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html",
        leader_based=False,
    ),
    "generic": EnginePreset(
        name="generic",
        description="A generic leader-follower store; failover only by runbook or operator",
        family="none",
        default_mode="async",
        allowed_modes=("async", "semi-sync", "sync", "quorum"),
        timings={"promote": 1.0},
        source="(none: no automatic failover)",
    ),
}

ENGINE_NAMES: tuple[str, ...] = tuple(PRESETS)
