"""The topology schema: regions, network, clusters, traffic, services, tenants, SLOs.

`regionctl schema topology` prints the JSON Schema generated from these models.
Cross-references (a node's region, a tenant's cluster...) are checked in
`crosscheck.py`, so that every broken reference is reported at once with its place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, field_validator, model_validator

from regionctl.model.presets import ENGINE_NAMES
from regionctl.model.types import Duration, Name, Percent, Size, StrictModel, within
from regionctl.units import format_duration

Timing = Annotated[Duration, within(0.0, 86400.0, "an engine timing longer than a day is a typo (the longest "
                                                  "preset, Cassandra's hint window, is 3h)")]
# Timings that set a period or a deadline the simulator runs on: 0 divides by zero or re-arms at the same
# instant for ever (loop_wait: 0s, election_timeout: 0s), so each is at least 10ms.
PERIODIC_TIMINGS = frozenset({
    "heartbeat", "election_timeout", "ttl", "loop_wait", "retry_timeout", "poll", "ping", "info_period",
    "publish_period", "down_after", "node_timeout", "alarm_period", "health_check_interval", "proxy_inter",
    "client_retry", "failover_timeout",
})
MIN_PERIOD = 0.01
MAX_RATE = 1e7  # requests per second of one client group: 1e308 overflows the simulator's counts


class TopologyKind(StrEnum):
    SINGLE_REGION = "single-region"
    ACTIVE_PASSIVE = "active-passive"
    ACTIVE_ACTIVE = "active-active"
    HYBRID = "hybrid"
    TENANCY_SILO = "tenancy-silo"
    TENANCY_POOL = "tenancy-pool"
    TENANCY_BRIDGE = "tenancy-bridge"


EngineName = Literal[ENGINE_NAMES]  # type: ignore[valid-type]


class Region(StrictModel):
    name: Name
    zones: list[Name] = Field(default_factory=lambda: ["a"], min_length=1,
                              description="Availability zones of the region.")
    capacity: NonNegativeFloat | None = Field(
        None, description="Requests per second (reads + writes) the region's serving stack can take. "
        "`validate` warns when a pool has no headroom for the traffic of a lost region.")
    description: str = ""


class Network(StrictModel):
    rtt: dict[str, Duration] = Field(
        default_factory=dict,
        description="Round-trip time per region pair, keyed 'a|b'. Unlisted pairs take published defaults.",
        json_schema_extra={"propertyNames": {"pattern": r"^[A-Za-z0-9._-]+\|[A-Za-z0-9._-]+$"}},
    )
    jitter: Percent = Field(0.1, description="Random variation of every network delay, as a percentage.")
    zone_rtt: Duration = Field(0.001, description="Round-trip time between zones of one region.")
    local_rtt: Duration = Field(0.0005, description="Round-trip time within one zone.")


class Keyspace(StrictModel):
    keys: PositiveInt = Field(100_000, description="Distinct keys clients write and read (multi-leader, leaderless).")
    zipf: NonNegativeFloat = Field(
        0.0, le=4.0, description="Popularity skew: the key of rank k is written in proportion to 1/k^zipf "
        "(0 = uniform). Conflicts and stale reads concentrate on hot keys.")


ReplicationModeName = Literal["async", "semi-sync", "sync", "quorum", "leaderless", "multi-leader"]


class Replication(StrictModel):
    mode: ReplicationModeName | None = Field(None, description="Defaults to the engine preset's mode.")
    sync_replicas: list[Name] | None = Field(
        None, description="mode sync: the nodes that may be synchronous standbys (default: every node). The set "
        "follows the leader: after a failover the new leader's synchronous standbys are the others among them.")
    sync_count: PositiveInt | None = Field(
        None, description="mode sync: how many synchronous standbys confirm each commit (Patroni's "
        "synchronous_node_count; default: all of `sync_replicas` but the leader).")
    strict: bool = Field(
        False, description="mode sync: with too few synchronous standbys, refuse to commit instead of going async "
        "(Patroni's synchronous_mode_strict; without a manager PostgreSQL always waits).")
    n: PositiveInt | None = Field(None, description="mode leaderless: replicas per key (N).")
    r: PositiveInt | None = Field(None, description="mode leaderless: replies a read waits for (R).")
    w: PositiveInt | None = Field(
        None, description="mode leaderless: acknowledgements a write waits for (W).")
    sloppy_quorum: bool = Field(
        False, description="mode leaderless: when home replicas are unreachable, other nodes take the write.")
    hinted_handoff: bool = Field(
        False, description="mode leaderless: writes a replica missed are replayed when it is reachable again.")
    read_repair: bool = Field(True, description="mode leaderless: a read (r >= 2) that finds a stale replica "
                              "repairs the key on it.")
    conflict_resolution: Literal["lww", "home-region"] | None = Field(
        None, description="mode multi-leader: last-writer-wins by timestamp, or home-region ownership.")
    home_regions: dict[Name, Percent] | None = Field(
        None, description="mode multi-leader with home-region: the share of the keyspace each region owns "
        "(its key range; default: equal shares among the leaders' regions). A write goes to its key's home.")
    keyspace: Keyspace = Field(default_factory=Keyspace, description="The keys clients use (multi-leader, "
                               "leaderless): conflicts and stale reads are counted per key.")
    flush_interval: Duration | None = Field(None, description="How often the leader ships a batch of log.")


class Failover(StrictModel):
    policy: Literal["auto", "manual"] = "auto"
    fencing: bool = Field(True, description="Leases/epochs stop an isolated old leader from taking writes.")
    witnesses: list[WitnessPlace] | None = Field(
        None,
        description="Where the failover manager's quorum runs (DCS members, Sentinels, monitors), one member each: "
        "a region, or REGION/ZONE for a member in one zone. Default: one member beside each node of the cluster.",
    )
    max_lag: Size | Duration | None = Field(
        None, description="Replicas further behind than this are never promoted (size or duration), measured "
        "against the last leader position the failover manager recorded (Patroni: the DCS optime).")
    pre_vote: bool | None = Field(
        None, description="Raft engines: run a PreVote round before raising the term (default: the preset's; "
        "on for etcd 3.5+ and MongoDB's dry-run elections).")


WitnessPlace = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)?$")]
AdapterKind = Literal["postgres", "patroni", "redis", "etcd", "command"]


class Sentinel(StrictModel):
    """redis: the Redis Sentinel beside each node, whose view of the master the dashboard shows."""

    master: Name = Field(description="The master name the Sentinels monitor (`sentinel monitor NAME ...`).")
    port: PositiveInt = Field(26379, description="The Sentinels' port.")
    address: str | None = Field(None, description="Where the Sentinel listens, as seen from the node's host "
                                                  "(default: the engine's address).")


class Adapter(StrictModel):
    """How the SSH backend probes and drives one engine (ssh backend only; the simulator ignores it)."""

    kind: AdapterKind | None = Field(None, description="Default: from the cluster's engine (postgres, redis, etcd).")
    address: str | None = Field(None, description="Address the engine listens on, as seen from its host "
                                                  "(default 127.0.0.1).")
    port: PositiveInt | None = Field(None, description="The engine's port (default: its usual port).")
    data_dir: str | None = Field(None, description="postgres: the data directory.")
    bin_dir: str | None = Field(None, description="Directory of the engine's programs (default: PATH).")
    rest_port: PositiveInt | None = Field(None, description="patroni: the port of Patroni's REST API on the "
                                                            "engine's address (default 8008).")
    start: str | None = Field(None, description="Shell command that starts the engine (heal a node fault, unfence).")
    stop: str | None = Field(None, description="Shell command that stops the engine (node fault, fence).")
    pause: str | None = Field(None, description="Shell command that freezes every process of the node (SIGSTOP: "
                                                "pause:NODE, a GC pause or a frozen VM).")
    resume: str | None = Field(None, description="Shell command that thaws them again (SIGCONT: the heal of "
                                                 "pause:NODE, also run on abort and by `recover`).")
    probe: str | None = Field(None, description="kind command: prints `role=leader|follower`, and optionally "
                                                "`position=N`, `term=N`, `lag_seconds=X`, one per line.")
    sentinel: Sentinel | None = Field(None, description="redis: ask the Sentinel beside each node for its view "
                                                         "(master, down flags, failover, epoch).")
    peers: dict[str, str] = Field(
        default_factory=dict,
        description="How this node reaches other nodes of its cluster for replication, as node: 'address:port' "
                    "(e.g. through a delay proxy); default: their own address and port.")
    actions: dict[str, str] = Field(
        default_factory=dict,
        description="kind command: shell templates for promote, demote, repoint, fence, unfence, read-only, "
                    "read-write; {node}, {host}, {leader}, {leader_host}, {leader_address}, {leader_port} "
                    "are replaced by shell-quoted values.")


class SshSettings(StrictModel):
    """How to reach the hosts of a topology over SSH. Keys come from the agent, `identity` files or ~/.ssh/config;
    passwords are never read from YAML."""

    user: str | None = Field(None, description="Login user (default: ~/.ssh/config, then the local user).")
    port: PositiveInt | None = Field(None, description="Default SSH port of every node (default 22).")
    known_hosts: str | None = Field(None, description="known_hosts file (relative to the topology file); "
                                                      "default ~/.ssh/known_hosts. Host keys are always verified.")
    identity: list[str] = Field(default_factory=list, description="Private key files (relative paths: to the "
                                                                  "topology file).")
    connect_timeout: Duration = Field(5.0, description="Handshake timeout per host.")
    command_timeout: Duration = Field(10.0, description="Default timeout of one remote command.")
    keepalive: Duration = Field(1.0, description="Keepalive interval; a host missing 3 is marked unreachable.")
    nft: str = Field("nft", description="nft program on the hosts (partition faults).")
    latency: str | None = Field(
        None, description="Shell template run on one host of each side of a latency fault: {region}, {peer}, "
                          "{seconds} (extra one-way delay; healing runs it with 0). Without it latency faults "
                          "are refused.")


class Node(StrictModel):
    name: Name
    region: Name
    zone: Name | None = Field(None, description="Default: the region's first zone.")
    role: Literal["leader", "follower", "replica"] = "follower"
    priority: int = Field(100, ge=0, description="Promotion preference among equally caught-up replicas.")
    capacity: PositiveFloat | None = Field(
        None, description="Writes per second this node applies at full speed (default: the cluster's).")
    host: str | None = Field(None, description="ssh backend: the host name or address to log in to.")
    ssh_port: PositiveInt | None = Field(None, description="ssh backend: SSH port (default: ssh.port, then 22).")
    adapter: Adapter | None = Field(None, description="ssh backend: overrides of the cluster's adapter.")


# The checker's models (regionctl.consistency.MODELS; a test keeps the two lists equal).
ConsistencyModel = Literal["linearizable", "causal", "session", "read-your-writes", "monotonic-reads",
                           "monotonic-writes", "writes-follow-reads"]


class Cluster(StrictModel):
    name: Name
    engine: EngineName = Field(description="A preset of published default timings (see `regionctl schema`).")
    description: str = ""
    replication: Replication = Field(default_factory=Replication)
    failover: Failover = Field(default_factory=Failover)
    timings: dict[str, Timing] = Field(default_factory=dict,
                                       description="Overrides of the engine preset's timings.")
    write_size: Size = Field(1024, description="Average size of one write (for byte-based lag limits).")
    capacity: PositiveFloat | None = Field(
        None, description="Writes per second a replica applies at full speed; slower than the write rate, its lag "
        "grows (default 100000: a PostgreSQL 15 standby replayed ~120,000 1 KiB inserts/s here, docs/simulator.md).")
    nodes: list[Node] = Field(min_length=1)
    adapter: Adapter | None = Field(None, description="ssh backend: how to probe and drive this cluster's engine.")
    consistency: ConsistencyModel | None = Field(
        None, description="The consistency model the cluster promises its clients. With it, drills, runs and labs "
                          "record probe sessions and check them (docs/history.md); a violation fails the run.")

    @field_validator("timings")
    @classmethod
    def _periods_are_not_zero(cls, timings: dict[str, float]) -> dict[str, float]:
        for key, value in timings.items():
            if key in PERIODIC_TIMINGS and value < MIN_PERIOD:
                raise ValueError(f"{key}: expected a duration of at least {format_duration(MIN_PERIOD)}, found "
                                 f"{format_duration(value)}: it is a period or deadline the engine (and the "
                                 f"simulator) waits on, and 0 never lets time pass")
        return timings


class Traffic(StrictModel):
    from_region: Name = Field(alias="from", description="Where the clients run.")
    cluster: Name
    writes_per_s: NonNegativeFloat = Field(0.0, le=MAX_RATE, description="At most 10 million a second (the "
                                                                        "simulator counts every request).")
    reads_per_s: NonNegativeFloat = Field(0.0, le=MAX_RATE, description="At most 10 million a second.")
    routing: Literal["dns", "health-check-dns", "proxy", "client"] = "dns"
    dns_ttl: Duration = 5.0
    reads_from: Literal["leader", "local", "nearest", "balanced"] = Field(
        "leader",
        description="Where reads go: the leader, a replica in the clients' region, the nearest node, or "
                    "spread over every reachable node as a load balancer does (leader-follower clusters).")
    timeout: Duration = Field(5.0, description="How long a client waits before a request counts as failed.")


class Service(StrictModel):
    name: Name
    depends_on: list[Name] = Field(default_factory=list, description="Clusters and services this one needs.")
    regions: list[Name] | None = Field(None, description="Where it runs (default: every region).")
    description: str = ""


class Tenant(StrictModel):
    name: Name
    model: Literal["silo", "pool", "bridge"]
    clusters: list[Name] = Field(default_factory=list)
    services: list[Name] = Field(default_factory=list)
    traffic_share: Percent | None = Field(None, description="Share of the traffic of its clusters.")
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _single_cluster_shorthand(cls, data: Any) -> Any:
        # `cluster: orders` is accepted as shorthand for `clusters: [orders]`.
        if isinstance(data, dict) and "cluster" in data:
            data = dict(data)
            single = data.pop("cluster")
            if "clusters" in data:
                raise ValueError("expected either `cluster` or `clusters`, found both")
            data["clusters"] = [single]
        return data


class Probes(StrictModel):
    """Probe sessions: a few clients per traffic source that run one operation at a time on a small
    keyspace and record what they saw (docs/history.md). They run when a cluster promises a
    consistency model, or with `drill --history`."""

    sessions: int = Field(2, ge=1, le=50, description="Sessions per traffic source (region and cluster).")
    keys: int = Field(8, ge=1, le=1000, description="Keys per cluster: fewer keys, more operations on each.")
    interval: Duration = Field(1.0, ge=0.01, description="Mean think time between a session's operations "
                                                          "(at least 10ms: each operation is an event).")
    pattern: Literal["random", "relay"] = Field(
        "random", description="random: each operation a write or a read of a random key. relay: a causal "
        "chain across regions, by each cluster's traffic sources in order: the first writes k0; the second "
        "reads k0, then writes k1; the third reads k1, then k0 (and so on, in threes): a store that is not "
        "causal shows it.")


class Slo(StrictModel):
    availability: Percent | None = None
    rpo: Duration | None = None
    rto: Duration | None = None
    write_latency_p99: Duration | None = None
    read_latency_p99: Duration | None = None


class Topology(StrictModel):
    name: Name
    kind: TopologyKind
    description: str = ""
    regions: list[Region] = Field(min_length=1)
    network: Network = Field(default_factory=Network)
    clusters: list[Cluster] = Field(min_length=1)
    traffic: list[Traffic] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    tenants: list[Tenant] = Field(default_factory=list)
    slo: Slo = Field(default_factory=Slo)
    probes: Probes = Field(default_factory=Probes)
    runbooks: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Runbooks shipped with the topology (see `regionctl schema runbook`).")
    ssh: SshSettings | None = Field(None, description="ssh backend: how to reach the nodes' hosts.")

    # -- helpers for readers; pure lookups, no I/O --------------------------------------
    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)

    def cluster(self, name: str) -> Cluster:
        return next(c for c in self.clusters if c.name == name)

    def clusters_needed(self, roots: list[str]) -> list[str]:
        """The one dependency walk: the clusters behind these clusters and services, following the
        services' `depends_on` depth first (a cycle is crosscheck's to report; here it just stops)."""
        services = {s.name: s for s in self.services}
        clusters = {c.name for c in self.clusters}
        out: list[str] = []
        todo, seen = list(reversed(roots)), set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in services:
                todo.extend(reversed(services[name].depends_on))
            elif name in clusters and name not in out:
                out.append(name)
        return out

    def runbook_names(self) -> list[str]:
        return [str(rb.get("name", f"runbook-{i + 1}")) for i, rb in enumerate(self.runbooks)]
