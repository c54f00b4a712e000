"""Engine presets: the published default timings of real failover systems.

Every timing the simulator runs with is here, with its source: the engine's own
(election timeouts, TTLs, down-after...) and the clients' (driver retry, proxy health
checks, DNS health checks), which every preset shares. A topology picks a preset with
`engine:` and may override any single timing under `timings:`; the report lists the
timings each cluster ran with. Pure data: the simulator, the linter and the docs read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FailoverFamily = Literal["raft", "lock-ttl", "poll", "sentinel", "cluster-bus", "managed", "none"]
ReplicationMode = Literal["async", "semi-sync", "sync", "quorum", "leaderless", "multi-leader"]

# How clients find the leader again; shared by every preset (overridable per cluster).
CLIENT_TIMINGS: dict[str, tuple[float, str]] = {
    "client_retry": (1.0, "a topology-aware driver's reconnect backoff (libpq/JDBC/redis-py retry defaults ~1 s)"),
    "proxy_inter": (2.0, "HAProxy `inter` 2000 ms between health checks (rise 2, fall 3): "
                         "docs.haproxy.org configuration manual, server options"),
    "health_check_interval": (30.0, "Route 53 health check request interval 30 s (failure threshold 3): "
                                    "docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html"),
}
# Counts, not durations: fixed.
CLIENT_COUNTS = {"proxy_rise": 2, "proxy_fall": 3, "health_check_failures": 3}


@dataclass(frozen=True)
class EnginePreset:
    """An engine's published default timings and replication mode."""

    name: str
    description: str
    family: FailoverFamily
    default_mode: ReplicationMode
    allowed_modes: tuple[ReplicationMode, ...]
    engine_timings: dict[str, tuple[float, str]]  # seconds, source
    source: str
    max_lag_bytes: int | None = None  # replicas further behind are never promoted
    max_lag_seconds: float | None = None
    flush_interval: float = 0.1  # kept for old topologies: streams are continuous in the simulator
    leader_based: bool = True
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def timings(self) -> dict[str, float]:
        """Every timing this engine's clusters run with (seconds), engine and clients."""
        merged = {k: v for k, (v, _) in CLIENT_TIMINGS.items()} if self.leader_based else {}
        merged.update({k: v for k, (v, _) in self.engine_timings.items()})
        return merged

    @property
    def sources(self) -> dict[str, str]:
        merged = {k: s for k, (_, s) in CLIENT_TIMINGS.items()} if self.leader_based else {}
        merged.update({k: s for k, (_, s) in self.engine_timings.items()})
        return merged


ETCD_TUNING = "etcd.io/docs/v3.5/tuning/"
PATRONI = "patroni.readthedocs.io/en/latest/dynamic_configuration.html"
SENTINEL_C = "github.com/redis/redis src/sentinel.c"
SENTINEL_CONF = "github.com/redis/redis sentinel.conf"
MEASURED = "measured on this kind of machine (docs/reference.md)"

PRESETS: dict[str, EnginePreset] = {
    "etcd": EnginePreset(
        name="etcd",
        description="Raft consensus (etcd): majority commit, randomized elections, PreVote and CheckQuorum",
        family="raft",
        default_mode="quorum",
        allowed_modes=("quorum",),
        engine_timings={
            "heartbeat": (0.1, f"--heartbeat-interval 100 ms: {ETCD_TUNING}"),
            "election_timeout": (1.0, f"--election-timeout 1000 ms, randomized in [T, 2T): {ETCD_TUNING}"),
        },
        source=ETCD_TUNING,
    ),
    "mongodb": EnginePreset(
        name="mongodb",
        description="MongoDB replica set: Raft-like elections (protocol version 1, dry-run before a real vote)",
        family="raft",
        default_mode="quorum",
        allowed_modes=("quorum", "async"),
        engine_timings={
            "heartbeat": (2.0, "heartbeatIntervalMillis 2000: "
                               "mongodb.com/docs/manual/reference/replica-configuration/"),
            "election_timeout": (10.0, "electionTimeoutMillis 10000 (+ up to 15% random offset): "
                                       "mongodb.com/docs/manual/reference/replica-configuration/"),
        },
        source="mongodb.com/docs/manual/reference/replica-configuration/",
        # A primary that cannot see a majority steps down once its liveness timeout (the election
        # timeout) has passed since it last did, checked at every heartbeat response, not at boundaries.
        extras={"election_jitter": 0.15, "liveness_step_down": True},
    ),
    "postgres-patroni": EnginePreset(
        name="postgres-patroni",
        description="PostgreSQL streaming replication managed by Patroni (leader key with a TTL in a DCS)",
        family="lock-ttl",
        default_mode="async",
        allowed_modes=("async", "semi-sync", "sync", "quorum"),
        # loop_wait + 2 x retry_timeout <= ttl; maximum_lag_on_failover 1 MiB.
        engine_timings={
            "ttl": (30.0, f"ttl 30 s: {PATRONI}"),
            "loop_wait": (10.0, f"loop_wait 10 s: {PATRONI}"),
            "retry_timeout": (10.0, f"retry_timeout 10 s: {PATRONI}"),
            "promote": (1.0, f"pg_ctl promote plus Patroni's role change; pg_promote alone 12 ms ({MEASURED})"),
        },
        source=PATRONI,
        max_lag_bytes=1024 * 1024,
    ),
    "pg-auto-failover": EnginePreset(
        name="pg-auto-failover",
        description="PostgreSQL with pg_auto_failover (a monitor node drives failover)",
        family="poll",
        default_mode="sync",
        allowed_modes=("async", "semi-sync", "sync"),
        engine_timings={
            "poll": (5.0, "health_check_period 5 s: pg-auto-failover.readthedocs.io/en/main/ref/configuration.html"),
            "detection": (20.0, "node_considered_unhealthy_timeout 20 s: "
                                "pg-auto-failover.readthedocs.io/en/main/ref/configuration.html"),
            "promote": (5.0, "derived: ~20-50 s total failover minus detection"),
        },
        source="pg-auto-failover.readthedocs.io/en/main/ref/configuration.html",
    ),
    "postgres-repmgr": EnginePreset(
        name="postgres-repmgr",
        description="PostgreSQL with repmgrd (reconnect attempts, then promotion)",
        family="poll",
        default_mode="async",
        allowed_modes=("async", "semi-sync", "sync"),
        engine_timings={
            "poll": (10.0, "reconnect_interval 10 s: repmgr.org/docs/current/repmgrd-basic-configuration.html"),
            "detection": (60.0, "reconnect_attempts 6 x reconnect_interval 10 s: "
                                "repmgr.org/docs/current/repmgrd-basic-configuration.html"),
            "promote": (2.0, "derived: pg_ctl promote plus repmgr's bookkeeping"),
        },
        source="repmgr.org/docs/current/repmgrd-basic-configuration.html",
    ),
    "mysql-orchestrator": EnginePreset(
        name="mysql-orchestrator",
        description="MySQL replication with orchestrator (polling, holistic detection, promotion)",
        family="poll",
        default_mode="semi-sync",
        allowed_modes=("async", "semi-sync"),
        # GitHub publishes 10-13 s of total outage; recovery is that total minus the mean detection time.
        engine_timings={
            "poll": (5.0, "InstancePollSeconds 5: github.blog/2018-06-20-mysql-high-availability-at-github/"),
            "detection": (1.0, "holistic detection ~1 s after a failed poll: "
                               "github.blog/2018-06-20-mysql-high-availability-at-github/"),
            "promote": (5.0, "derived: 10-13 s published total outage minus the mean detection (poll / 2 + 1 s) "
                             "minus a proxy's reroute (~3 s) "
                             "(github.blog/2018-06-20-mysql-high-availability-at-github/)"),
            "semi_sync_timeout": (10.0, "rpl_semi_sync_source_timeout 10000 ms: dev.mysql.com/doc/refman/8.0/en/"
                                        "replication-options-source.html"),
        },
        source="github.blog/2018-06-20-mysql-high-availability-at-github/",
        max_lag_seconds=10.0,
    ),
    "redis-sentinel": EnginePreset(
        name="redis-sentinel",
        description="Redis replication supervised by Sentinel (down-after, ODOWN quorum, elected sentinel)",
        family="sentinel",
        default_mode="async",
        allowed_modes=("async",),
        engine_timings={
            "down_after": (30.0, f"down-after-milliseconds 30000: {SENTINEL_CONF}"),
            "ping": (1.0, f"SENTINEL_PING_PERIOD 1000 ms: {SENTINEL_C}"),
            "info_period": (10.0, f"SENTINEL_INFO_PERIOD 10000 ms (an old master is converted ~10 s after it "
                                  f"is reachable again): {SENTINEL_C}"),
            "publish_period": (2.0, f"SENTINEL_PUBLISH_PERIOD 2000 ms (hello messages): {SENTINEL_C}"),
            "election_timeout": (10.0, f"SENTINEL_ELECTION_TIMEOUT 10000 ms: {SENTINEL_C}"),
            "failover_timeout": (180.0, f"failover-timeout 180000 ms (a new attempt after twice it): {SENTINEL_CONF}"),
            "max_desync": (1.0, f"SENTINEL_MAX_DESYNC 1000 ms (random failover start delay): {SENTINEL_C}"),
            "promote": (1.0, f"REPLICAOF NO ONE 0.8 ms, seen by Sentinel's next INFO (1 s during a failover): "
                             f"{SENTINEL_C}; {MEASURED}"),
            "min_replicas_max_lag": (10.0, "min-replicas-max-lag 10 (fencing: min-replicas-to-write 1): "
                                           "github.com/redis/redis redis.conf"),
        },
        source="github.com/redis/redis/blob/unstable/sentinel.conf",
    ),
    "redis-cluster": EnginePreset(
        name="redis-cluster",
        description="Redis Cluster: node timeout, replica election by rank",
        family="cluster-bus",
        default_mode="async",
        allowed_modes=("async",),
        engine_timings={
            "node_timeout": (15.0, "cluster-node-timeout 15000: "
                                   "redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/"),
            "election_delay": (0.5, "replica election delay 500 ms + rand(0-500 ms) + 1 s x rank: "
                                    "redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/"),
            "promote": (0.5, "derived: the vote round and the role change"),
        },
        source="redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/",
    ),
    "aurora-global": EnginePreset(
        name="aurora-global",
        description="Aurora Global Database: async storage replication; failover by FailoverGlobalCluster "
                    "(an automation with policy auto, a runbook step with policy manual)",
        family="managed",
        default_mode="async",
        allowed_modes=("async",),
        engine_timings={
            "alarm_period": (60.0, "a CloudWatch alarm on the writer with a 60 s period, one evaluation period: "
                                   "docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"),
            "detection": (0.0, "the automation calls FailoverGlobalCluster at the alarm"),
            "promote_min": (15.0, "FailoverGlobalCluster --allow-data-loss: promotion 'in under a minute' "
                                  "(wellarchitectedlabs.com reliability/disaster-recovery, Aurora)"),
            "promote_max": (60.0, "same"),
            "global_db_rpo": (0.0, "rds.global_db_rpo: unset by default (0 here); when set, the primary blocks "
                                   "commits while every secondary lags more than it (docs.aws.amazon.com/AmazonRDS/"
                                   "latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html)"),
        },
        source="docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html",
    ),
    "cassandra": EnginePreset(
        name="cassandra",
        description="Cassandra / Dynamo-style leaderless quorum replication (N/R/W)",
        family="none",
        default_mode="leaderless",
        allowed_modes=("leaderless",),
        engine_timings={"hint_window": (10800.0, "max_hint_window 3 h: cassandra.apache.org/doc/latest/"
                                                 "cassandra/managing/configuration/cass_yaml_file.html")},
        source="docs.datastax.com (dmlConfigConsistency); Dynamo, SOSP 2007",
        leader_based=False,
    ),
    "dynamodb-global": EnginePreset(
        name="dynamodb-global",
        description="DynamoDB global tables (MREC): multi-region, last-writer-wins, ~1 s replication",
        family="none",
        default_mode="multi-leader",
        allowed_modes=("multi-leader",),
        engine_timings={"replication_delay": (1.0, "replicates 'typically within a second': docs.aws.amazon.com/"
                                                   "amazondynamodb/latest/developerguide/GlobalTables.html")},
        source="docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html",
        leader_based=False,
    ),
    "generic": EnginePreset(
        name="generic",
        description="A generic leader-follower store; failover only by runbook or operator",
        family="none",
        default_mode="async",
        allowed_modes=("async", "semi-sync", "sync", "quorum"),
        engine_timings={
            "promote": (1.0, "an operator's promotion (assumed)"),
            "semi_sync_timeout": (10.0, "rpl_semi_sync_source_timeout 10000 ms (MySQL's default)"),
        },
        source="(none: no automatic failover)",
    ),
}

# semi-sync everywhere it is allowed: MySQL's timeout unless the preset sets its own.
for _preset in PRESETS.values():
    if "semi-sync" in _preset.allowed_modes and "semi_sync_timeout" not in _preset.engine_timings:
        _preset.engine_timings["semi_sync_timeout"] = (
            10.0, "rpl_semi_sync_source_timeout 10000 ms (MySQL's default; PostgreSQL has no fallback)")

ENGINE_NAMES: tuple[str, ...] = tuple(PRESETS)
