"""The topology schema: regions, network, clusters, traffic, services, tenants, SLOs.

`regionctl schema topology` prints the JSON Schema generated from these models.
Cross-references (a node's region, a tenant's cluster...) are checked in
`crosscheck.py`, so that every broken reference is reported at once with its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from regionctl.model.presets import ENGINE_NAMES
from regionctl.model.types import Check, Duration, Name, Percent, Size, StrictModel, within
from regionctl.units import format_duration

if TYPE_CHECKING:  # the annotations' pydantic vocabulary, put in scope by regionctl.model.validation
    from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt

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
WITNESS_PATTERN = r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)?$"  # REGION or REGION/ZONE
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Region(StrictModel):
    """A region and its availability zones."""

    name: Name
    zones: Annotated[list[Name], Field(
        min_length=1,
        description="Availability zones of the region.")] = field(default_factory=lambda: ["a"])
    capacity: Annotated[NonNegativeFloat | None, Field(
        description="Requests per second (reads + writes) the region's serving stack can take. "
                    "`validate` warns when a pool has no headroom for the traffic of a lost region.")] = None
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Network(StrictModel):
    """Round-trip times between regions and within them."""

    rtt: Annotated[dict[str, Duration], Field(
        description="Round-trip time per region pair, keyed 'a|b'. Unlisted pairs take published defaults.",
        json_schema_extra={"propertyNames": {"pattern": r"^[A-Za-z0-9._-]+\|[A-Za-z0-9._-]+$"}},
    )] = field(default_factory=dict)
    jitter: Annotated[Percent, Field(description="Random variation of every network delay, as a percentage.")] = 0.1
    zone_rtt: Annotated[Duration, Field(description="Round-trip time between zones of one region.")] = 0.001
    local_rtt: Annotated[Duration, Field(description="Round-trip time within one zone.")] = 0.0005


@dataclass(frozen=True, slots=True, kw_only=True)
class Keyspace(StrictModel):
    """The keys clients write and read, and how they are spread."""

    keys: Annotated[PositiveInt, Field(
        description="Distinct keys clients write and read (multi-leader, leaderless).")] = 100_000
    zipf: Annotated[NonNegativeFloat, Field(
        le=4.0,
        description="Popularity skew: the key of rank k is written in proportion to 1/k^zipf "
                    "(0 = uniform). Conflicts and stale reads concentrate on hot keys.")] = 0.0


ReplicationModeName = Literal["async", "semi-sync", "sync", "quorum", "leaderless", "multi-leader"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Replication(StrictModel):
    """How a cluster replicates: its mode and the replicas that acknowledge writes."""

    mode: Annotated[ReplicationModeName | None, Field(description="Defaults to the engine preset's mode.")] = None
    sync_replicas: Annotated[list[Name] | None, Field(
        description="mode sync: the nodes that may be synchronous standbys (default: every node). The set "
                    "follows the leader: after a failover the new leader's synchronous standbys are the others "
                    "among them.")] = None
    sync_count: Annotated[PositiveInt | None, Field(
        description="mode sync: how many synchronous standbys confirm each commit (Patroni's "
                    "synchronous_node_count; default: all of `sync_replicas` but the leader).")] = None
    strict: Annotated[bool, Field(
        description="mode sync: with too few synchronous standbys, refuse to commit instead of going async "
                    "(Patroni's synchronous_mode_strict; without a manager PostgreSQL always waits).")] = False
    n: Annotated[PositiveInt | None, Field(description="mode leaderless: replicas per key (N).")] = None
    r: Annotated[PositiveInt | None, Field(description="mode leaderless: replies a read waits for (R).")] = None
    w: Annotated[PositiveInt | None, Field(
        description="mode leaderless: acknowledgements a write waits for (W).")] = None
    sloppy_quorum: Annotated[bool, Field(
        description="mode leaderless: when home replicas are unreachable, other nodes take the write.")] = False
    hinted_handoff: Annotated[bool, Field(
        description="mode leaderless: writes a replica missed are replayed when it is reachable again.")] = False
    read_repair: Annotated[bool, Field(
        description="mode leaderless: a read (r >= 2) that finds a stale replica "
                    "repairs the key on it.")] = True
    conflict_resolution: Annotated[Literal["lww", "home-region"] | None, Field(
        description="mode multi-leader: last-writer-wins by timestamp, or home-region ownership.")] = None
    home_regions: Annotated[dict[Name, Percent] | None, Field(
        description="mode multi-leader with home-region: the share of the keyspace each region owns "
                    "(its key range; default: equal shares among the leaders' regions). A write goes to its key's "
                    "home.")] = None
    keyspace: Annotated[Keyspace, Field(
        description="The keys clients use (multi-leader, "
                    "leaderless): conflicts and stale reads are counted per key.")] = field(default_factory=Keyspace)
    flush_interval: Annotated[Duration | None, Field(description="How often the leader ships a batch of log.")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Failover(StrictModel):
    """How a cluster fails over: automatically or by an operator, and with fencing or not."""

    policy: Literal["auto", "manual"] = "auto"
    fencing: Annotated[bool, Field(description="Leases/epochs stop an isolated old leader from taking writes.")] = True
    witnesses: Annotated[list[Annotated[str, Field(pattern=WITNESS_PATTERN)]] | None, Field(
        description="Where the failover manager's quorum runs (DCS members, Sentinels, monitors), one member each: "
                    "a region, or REGION/ZONE for a member in one zone. Default: one member beside each node of "
                    "the cluster.")] = None
    max_lag: Annotated[Size | Duration | None, Field(
        description="Replicas further behind than this are never promoted (size or duration), measured "
                    "against the last leader position the failover manager recorded (Patroni: the DCS optime).")] = None
    pre_vote: Annotated[bool | None, Field(
        description="Raft engines: run a PreVote round before raising the term (default: the preset's; "
                    "on for etcd 3.5+ and MongoDB's dry-run elections).")] = None


AdapterKind = Literal["postgres", "patroni", "redis", "etcd", "command"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sentinel(StrictModel):
    """redis: the Redis Sentinel beside each node, whose view of the master the dashboard shows."""

    master: Annotated[Name, Field(description="The master name the Sentinels monitor (`sentinel monitor NAME ...`).")]
    port: Annotated[PositiveInt, Field(description="The Sentinels' port.")] = 26379
    address: Annotated[str | None, Field(
        description="Where the Sentinel listens, as seen from the node's host "
                    "(default: the engine's address).")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Adapter(StrictModel):
    """How the SSH backend probes and drives one engine (ssh backend only; the simulator ignores it)."""

    kind: Annotated[AdapterKind | None, Field(
        description="Default: from the cluster's engine (postgres, redis, etcd).")] = None
    address: Annotated[str | None, Field(
        description="Address the engine listens on, as seen from its host "
                    "(default 127.0.0.1).")] = None
    port: Annotated[PositiveInt | None, Field(description="The engine's port (default: its usual port).")] = None
    data_dir: Annotated[str | None, Field(description="postgres: the data directory.")] = None
    bin_dir: Annotated[str | None, Field(description="Directory of the engine's programs (default: PATH).")] = None
    rest_port: Annotated[PositiveInt | None, Field(
        description="patroni: the port of Patroni's REST API on the "
                    "engine's address (default 8008).")] = None
    start: Annotated[str | None, Field(
        description="Shell command that starts the engine (heal a node fault, unfence).")] = None
    stop: Annotated[str | None, Field(description="Shell command that stops the engine (node fault, fence).")] = None
    pause: Annotated[str | None, Field(
        description="Shell command that freezes every process of the node (SIGSTOP: "
                    "pause:NODE, a GC pause or a frozen VM).")] = None
    resume: Annotated[str | None, Field(
        description="Shell command that thaws them again (SIGCONT: the heal of "
                    "pause:NODE, also run on abort and by `recover`).")] = None
    probe: Annotated[str | None, Field(
        description="kind command: prints `role=leader|follower`, and optionally "
                    "`position=N`, `term=N`, `lag_seconds=X`, one per line.")] = None
    sentinel: Annotated[Sentinel | None, Field(
        description="redis: ask the Sentinel beside each node for its view "
                    "(master, down flags, failover, epoch).")] = None
    peers: Annotated[dict[str, str], Field(
        description="How this node reaches other nodes of its cluster for replication, as node: 'address:port' "
                    "(e.g. through a delay proxy); default: their own address and port.")] = field(default_factory=dict)
    actions: Annotated[dict[str, str], Field(
        description="kind command: shell templates for promote, demote, repoint, fence, unfence, read-only, "
                    "read-write; {node}, {host}, {leader}, {leader_host}, {leader_address}, {leader_port} "
                    "are replaced by shell-quoted values.")] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeWrites(StrictModel):
    """ssh backend: numbered records written to each cluster's leader during a run, then read back from the
    leader that survived, so that writes lost and RPO are measured (docs/history.md). They write to your
    data stores, under one namespace (keys `regionctl-probe/...`, table `regionctl_probe`), removed afterwards."""

    rate: Annotated[float, Field(gt=0, le=20,
                                 description="Records a second written to each cluster (at most 20).")] = 5.0
    timeout: Annotated[Duration, Field(description="A write unanswered this long counts as unknown.")] = 2.0
    keep: Annotated[bool, Field(description="Leave the records in place after the run.")] = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SshSettings(StrictModel):
    """How to reach the hosts of a topology over SSH. Keys come from the agent, `identity` files or ~/.ssh/config;
    passwords are never read from YAML."""

    user: Annotated[str | None, Field(description="Login user (default: ~/.ssh/config, then the local user).")] = None
    port: Annotated[PositiveInt | None, Field(description="Default SSH port of every node (default 22).")] = None
    known_hosts: Annotated[str | None, Field(
        description="known_hosts file (relative to the topology file); "
                    "default ~/.ssh/known_hosts. Host keys are always verified.")] = None
    identity: Annotated[list[str], Field(
        description="Private key files (relative paths: to the "
                    "topology file).")] = field(default_factory=list)
    connect_timeout: Annotated[Duration, Field(description="Handshake timeout per host.")] = 5.0
    command_timeout: Annotated[Duration, Field(description="Default timeout of one remote command.")] = 10.0
    keepalive: Annotated[Duration, Field(
        description="Keepalive interval; a host missing 3 is marked unreachable.")] = 1.0
    nft: Annotated[str, Field(description="nft program on the hosts (partition faults).")] = "nft"
    latency: Annotated[str | None, Field(
        description="Shell template run on one host of each side of a latency fault: {region}, {peer}, "
                    "{seconds} (extra one-way delay; healing runs it with 0). Without it latency faults "
                    "are refused.")] = None
    probe_writes: Annotated[ProbeWrites | None, Field(
        description="Write probe records during runs and the dashboard, and count what survived; off unless "
                    "set (it writes to your data stores: the operator's call).")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Node(StrictModel):
    """A node of a cluster: where it runs and how it is reached."""

    name: Name
    region: Name
    zone: Annotated[Name | None, Field(description="Default: the region's first zone.")] = None
    role: Literal["leader", "follower", "replica"] = "follower"
    priority: Annotated[int, Field(ge=0, description=(
        "Promotion preference, higher wins: among equally caught-up replicas (Patroni, pollers); before the "
        "offset for Redis Sentinel, which never promotes 0."))] = 100
    capacity: Annotated[PositiveFloat | None, Field(
        description="Writes per second this node applies at full speed (default: the cluster's).")] = None
    host: Annotated[str | None, Field(description="ssh backend: the host name or address to log in to.")] = None
    ssh_port: Annotated[PositiveInt | None, Field(
        description="ssh backend: SSH port (default: ssh.port, then 22).")] = None
    adapter: Annotated[Adapter | None, Field(description="ssh backend: overrides of the cluster's adapter.")] = None


def _periods_are_not_zero(timings: dict[str, float]) -> dict[str, float]:
    for key, value in timings.items():
        if key in PERIODIC_TIMINGS and value < MIN_PERIOD:
            raise ValueError(f"{key}: expected a duration of at least {format_duration(MIN_PERIOD)}, found "
                             f"{format_duration(value)}: it is a period or deadline the engine (and the "
                             f"simulator) waits on, and 0 never lets time pass")
    return timings


# The checker's models (regionctl.consistency.MODELS; a test keeps the two lists equal).
ConsistencyModel = Literal["linearizable", "causal", "session", "read-your-writes", "monotonic-reads",
                           "monotonic-writes", "writes-follow-reads"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster(StrictModel):
    """A replicated data store: its engine, nodes, replication and failover."""

    name: Name
    engine: Annotated[EngineName, Field(description="A preset of published default timings (see `regionctl schema`).")]
    description: str = ""
    replication: Replication = field(default_factory=Replication)
    failover: Failover = field(default_factory=Failover)
    timings: Annotated[dict[str, Timing], Check(after=_periods_are_not_zero), Field(
        description="Overrides of the engine preset's timings.")] = field(default_factory=dict)
    write_size: Annotated[Size, Field(description="Average size of one write (for byte-based lag limits).")] = 1024
    capacity: Annotated[PositiveFloat | None, Field(
        description="Writes per second a replica applies at full speed; slower than the write rate, its lag "
                    "grows (default 100000: a PostgreSQL 15 standby replayed ~120,000 1 KiB inserts/s here, "
                    "docs/simulator.md).")] = None
    nodes: Annotated[list[Node], Field(min_length=1)]
    adapter: Annotated[Adapter | None, Field(
        description="ssh backend: how to probe and drive this cluster's engine.")] = None
    consistency: Annotated[ConsistencyModel | None, Field(
        description="The consistency model the cluster promises its clients. With it, drills, runs and labs "
                    "record probe sessions and check them (docs/history.md); a violation fails the run.")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Traffic(StrictModel):
    """Clients in one region using one cluster: their write and read rates."""

    from_region: Annotated[Name, Field(alias="from", description="Where the clients run.")]
    cluster: Name
    writes_per_s: Annotated[NonNegativeFloat, Field(
        le=MAX_RATE,
        description="At most 10 million a second (the "
                    "simulator counts every request).")] = 0.0
    reads_per_s: Annotated[NonNegativeFloat, Field(le=MAX_RATE, description="At most 10 million a second.")] = 0.0
    routing: Literal["dns", "health-check-dns", "proxy", "client"] = "dns"
    dns_ttl: Duration = 5.0
    reads_from: Annotated[Literal["leader", "local", "nearest", "balanced"], Field(
        description="Where reads go: the leader, a replica in the clients' region, the nearest node, or "
                    "spread over every reachable node as a load balancer does (leader-follower clusters).")] = "leader"
    timeout: Annotated[Duration, Field(description="How long a client waits before a request counts as failed.")] = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Service(StrictModel):
    """A service and the clusters and services it depends on."""

    name: Name
    depends_on: Annotated[list[Name], Field(
        description="Clusters and services this one needs.")] = field(default_factory=list)
    regions: Annotated[list[Name] | None, Field(description="Where it runs (default: every region).")] = None
    description: str = ""


def _single_cluster_shorthand(data: Any) -> Any:
    # `cluster: orders` is accepted as shorthand for `clusters: [orders]`.
    if isinstance(data, dict) and "cluster" in data:
        data = dict(data)
        single = data.pop("cluster")
        if "clusters" in data:
            raise ValueError("expected either `cluster` or `clusters`, found both")
        data["clusters"] = [single]
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant(StrictModel):
    """A tenant, its isolation model and the clusters it uses."""

    name: Name
    model: Literal["silo", "pool", "bridge"]
    clusters: list[Name] = field(default_factory=list)
    services: list[Name] = field(default_factory=list)
    traffic_share: Annotated[Percent | None, Field(description="Share of the traffic of its clusters.")] = None
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Probes(StrictModel):
    """Probe sessions: a few clients per traffic source that run one operation at a time on a small
    keyspace and record what they saw (docs/history.md). They run when a cluster promises a
    consistency model, or with `drill --history`."""

    sessions: Annotated[int, Field(ge=1, le=50, description="Sessions per traffic source (region and cluster).")] = 2
    keys: Annotated[int, Field(ge=1, le=1000, description="Keys per cluster: fewer keys, more operations on each.")] = 8
    interval: Annotated[Duration, Field(
        ge=0.01,
        description="Mean think time between a session's operations "
                    "(at least 10ms: each operation is an event).")] = 1.0
    pattern: Annotated[Literal["random", "relay", "own"], Field(
        description="random: each operation a write or a read of a random key. relay: a causal "
                    "chain across regions, by each cluster's traffic sources in order: the first writes k0; the second "
                    "reads k0, then writes k1; the third reads k1, then k0 (and so on, in threes): a store that is not "
                    "causal shows it. own: each session writes keys of its own (`keys` of them) and reads each write "
                    "back until a read answers, as a user saves a record and views it.")] = "random"


@dataclass(frozen=True, slots=True, kw_only=True)
class Assumptions(StrictModel):
    """What the estate is designed to survive: `regionctl explore` draws only fault schedules that keep to it
    (docs/explore.md). Its command-line options override these."""

    max_regions_down: Annotated[int, Field(
        ge=0, le=100, description="At most this many regions down at the same moment (1: at most one region "
                                  "down).")] = 1
    max_faults: Annotated[int, Field(ge=1, le=20, description="At most this many faults in one schedule.")] = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Slo(StrictModel):
    """The objectives drills and runs are judged against."""

    availability: Percent | None = None
    rpo: Duration | None = None
    rto: Duration | None = None
    write_latency_p99: Duration | None = None
    read_latency_p99: Duration | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Topology(StrictModel):
    """A multi-region topology: regions, clusters, traffic, services, tenants and runbooks."""

    name: Name
    kind: TopologyKind
    description: str = ""
    regions: Annotated[list[Region], Field(min_length=1)]
    network: Network = field(default_factory=Network)
    clusters: Annotated[list[Cluster], Field(min_length=1)]
    traffic: list[Traffic] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    tenants: list[Annotated[Tenant, Check(before=_single_cluster_shorthand)]] = field(default_factory=list)
    slo: Slo = field(default_factory=Slo)
    probes: Probes = field(default_factory=Probes)
    assumptions: Assumptions = field(default_factory=Assumptions)
    runbooks: Annotated[list[dict[str, Any]], Field(
        description="Runbooks shipped with the topology (see `regionctl schema runbook`).",
    )] = field(default_factory=list)
    ssh: Annotated[SshSettings | None, Field(description="ssh backend: how to reach the nodes' hosts.")] = None

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
