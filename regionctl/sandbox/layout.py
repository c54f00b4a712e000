"""The sandbox's shape: three regions (network namespaces with their own address), their nodes, the
paths under the sandbox directory, and the topology file `up` writes. Pure: no I/O."""

from __future__ import annotations

import glob
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER = "rcsandbox"  # dedicated login user; owns every engine process
SSH_PORT = 2222
SUBNET = "10.77.0"
HOST_ADDRESS = f"{SUBNET}.254"  # the controller's side (root namespace)
CTL_NS = "rcsb-ctl"  # holds the bridge, so no host firewall sees the region-to-region traffic
BRIDGE = "rcsb-br"
PROBE_WRITE_RATE = 2  # probe records a second per cluster: a few SSH commands a second on a 2-core machine


@dataclass(frozen=True, slots=True)
class RegionLayout:
    name: str
    index: int

    @property
    def address(self) -> str:
        return f"{SUBNET}.{self.index + 1}"

    @property
    def netns(self) -> str:
        return f"rcsb-{self.name}"

    @property
    def veth(self) -> str:
        return f"rcsb-v{self.index}"


REGIONS = (RegionLayout("us-east", 0), RegionLayout("eu-west", 1), RegionLayout("ap-south", 2))
ENGINES = (("orders", "pg", "postgres"), ("cache", "cache", "redis"), ("config", "etcd", "etcd"))
PORTS = {"postgres": 5432, "redis": 6379, "etcd": 2379}
ETCD_PEER_PORT = 2380
# Every TCP connection from one region to another goes through the delay proxy of the region that
# opens it (nftables redirects it; no netem here): PostgreSQL, Redis, Sentinel and etcd peers alike.
PROXY_PORT = 25400
PROXY_MARK = 0x7763  # the proxy's own connections carry it, so the redirect lets them pass
PROXY_TABLE = "regionctl_delay"
# One Redis Sentinel per region watches the cache cluster (quorum 2): quick enough for tests and runbooks.
SENTINEL_PORT = 26379
SENTINEL_DOWN_AFTER_MS = 3000
# A split vote (every Sentinel calls the master down at once and votes for itself) is retried after twice this.
SENTINEL_FAILOVER_TIMEOUT_MS = 4000
# Patroni runs each PostgreSQL node, with the sandbox's etcd as its DCS (etcd3 API). Its leader key lives
# PATRONI_TTL seconds without a renewal (the HA loop renews it every PATRONI_LOOP_WAIT); a DCS call is
# retried for PATRONI_RETRY_TIMEOUT before the leader demotes itself. Patroni requires
# loop_wait + 2 x retry_timeout <= ttl: a lost primary is replaced within about ttl + loop_wait.
PATRONI_REST_PORT = 8008
PATRONI_TTL = 20
PATRONI_LOOP_WAIT = 2
PATRONI_RETRY_TIMEOUT = 5
RTT = {("us-east", "eu-west"): 0.030, ("us-east", "ap-south"): 0.060, ("eu-west", "ap-south"): 0.040}


def rtt(a: str, b: str) -> float:
    return RTT.get((a, b), RTT.get((b, a), 0.0))


@dataclass(frozen=True, slots=True)
class NodeLayout:
    name: str
    cluster: str
    kind: str  # postgres | redis | etcd
    region: RegionLayout
    leader: bool

    @property
    def port(self) -> int:
        return PORTS[self.kind]


def proxy_config(region: RegionLayout, paths: Paths) -> dict[str, Any]:
    """The delay proxy of `region`: each other region's address, its one-way delay and latency-fault files."""
    return {"listen": f"{region.address}:{PROXY_PORT}", "mark": PROXY_MARK, "connect_timeout": 3.0,
            "peers": {other.address: {"region": other.name, "delay": rtt(region.name, other.name) / 2,
                                      "out": str(paths.latency_file(region, other)),
                                      "in": str(paths.latency_file(other, region))}
                      for other in REGIONS if other != region}}


def redirect_rules(region: RegionLayout) -> str:
    """nft script for `region`'s namespace: TCP to the other regions goes to the local delay proxy."""
    others = ", ".join(r.address for r in REGIONS if r != region)
    return (f"table ip {PROXY_TABLE} {{\n"
            f"  chain out {{\n    type nat hook output priority -100; policy accept;\n"
            f"    meta mark {PROXY_MARK:#x} return\n"
            f"    ip daddr {{ {others} }} meta l4proto tcp dnat to {region.address}:{PROXY_PORT}\n  }}\n}}\n")


def nodes() -> list[NodeLayout]:
    return [NodeLayout(f"{prefix}-{r.index + 1}", cluster, kind, r, r.index == 0)
            for cluster, prefix, kind in ENGINES for r in REGIONS]


def patroni_config(node: NodeLayout, paths: Paths, bin_dir: str) -> dict[str, Any]:
    """Patroni's configuration file of a PostgreSQL node (YAML; JSON is YAML too)."""
    d = paths.node_dir(node)
    addr = node.region.address
    # Equal WAL positions: the higher failover_priority wins the leader race (us-east, then eu-west, then ap-south).
    priority = len(REGIONS) - node.region.index
    trust = {"username": "postgres"}
    return {
        "scope": node.cluster,
        "name": node.name,
        "log": {"level": "INFO", "dir": str(d), "file_num": 2, "file_size": 10_000_000},
        "restapi": {"listen": f"{addr}:{PATRONI_REST_PORT}", "connect_address": f"{addr}:{PATRONI_REST_PORT}"},
        "etcd3": {"hosts": [f"{n.region.address}:{n.port}" for n in nodes() if n.kind == "etcd"],
                  "protocol": "http"},
        "bootstrap": {
            "dcs": {"ttl": PATRONI_TTL, "loop_wait": PATRONI_LOOP_WAIT, "retry_timeout": PATRONI_RETRY_TIMEOUT,
                    "maximum_lag_on_failover": 1048576,
                    "postgresql": {"use_pg_rewind": True,
                                   # pg_rewind needs wal_log_hints (a returning old primary is rewound)
                                   "parameters": {"wal_log_hints": "on", "wal_keep_size": "256MB",
                                                  "max_wal_senders": 10, "max_replication_slots": 10,
                                                  "hot_standby": "on"}}},
            "initdb": [{"encoding": "UTF8"}, {"auth": "trust"}],
        },
        "postgresql": {
            "listen": f"{addr}:{node.port}",
            "connect_address": f"{addr}:{node.port}",
            "data_dir": str(d / "data"),
            "bin_dir": bin_dir,
            "pgpass": str(d / "pgpass"),
            "authentication": {"superuser": trust, "replication": trust, "rewind": trust},
            # fsync off: a sandbox
            "parameters": {"unix_socket_directories": str(d), "fsync": "off", "shared_buffers": "16MB"},
            "pg_hba": ["local all all trust", f"host all all {SUBNET}.0/24 trust",
                       f"host replication all {SUBNET}.0/24 trust", "host all all 127.0.0.1/32 trust"],
        },
        "tags": {"failover_priority": priority},
    }


def postgres_bin() -> str:
    """The newest installed PostgreSQL's program directory (pg_basebackup, pg_rewind live only there)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return str(Path(found[-1]).parent) if found else ""


@dataclass(frozen=True, slots=True)
class Paths:
    root: Path

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def topology(self) -> Path:
        return self.root / "sandbox.yaml"

    @property
    def ssh(self) -> Path:
        return self.root / "ssh"

    @property
    def client_key(self) -> Path:
        return self.ssh / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.ssh / "known_hosts"

    @property
    def nft(self) -> Path:
        return self.root / "bin" / "nft"

    def sshd_dir(self, region: RegionLayout) -> Path:
        return self.root / "regions" / region.name / "sshd"

    def node_dir(self, node: NodeLayout) -> Path:
        return self.root / "nodes" / node.name

    def sentinel_dir(self, region: RegionLayout) -> Path:
        return self.root / "regions" / region.name / "sentinel"

    def proxy_dir(self, region: RegionLayout) -> Path:
        return self.root / "regions" / region.name / "proxy"

    def latency_file(self, region: RegionLayout, peer: RegionLayout) -> Path:
        """Extra one-way seconds for data from `region` to `peer` (the topology's `ssh.latency` writes it)."""
        return self.proxy_dir(region) / "latency" / peer.name

    @property
    def delayproxy(self) -> Path:
        return self.root / "bin" / "delayproxy.py"


def _runbooks() -> list[dict[str, Any]]:
    books = _runbook_list()
    for book in books:
        # A few seconds after the last step, so that the simulator's clients (run --compare) are back
        # and RTO is measured on both sides.
        book.setdefault("observe", "3s")
    return books


def _runbook_list() -> list[dict[str, Any]]:
    others = [(n.name, n.region.address) for n in nodes() if n.kind == "redis" and not n.leader]  # cache-2, -3
    return [
        {"name": "orders-failover",
         "title": "PostgreSQL: lose the primary, Patroni promotes pg-2 by itself, pg-1 rejoins rewound",
         "precheck": ['leader(orders) == "pg-1"'],
         "steps": [
             {"id": "crash", "kind": "fault", "fault": "node:pg-1"},
             # Patroni: pg-1's leader key runs out (ttl), the healthiest replica takes it; at equal WAL
             # positions the higher failover_priority (pg-2) wins, and pg-3 follows the new leader by itself.
             {"id": "failed-over", "kind": "wait", "condition": 'leader(orders) != "pg-1" and writable(orders)',
              "timeout": f"{PATRONI_TTL + 25}s", "needs": ["crash"]},
             # Through Patroni's REST API: a no-op when pg-2 leads already, else a switchover to it.
             {"id": "promote", "kind": "action", "action": "promote", "target": "pg-2", "needs": ["failed-over"]},
             {"id": "serving", "kind": "wait", "condition": 'leader(orders) == "pg-2" and writable(orders)',
              "timeout": "30s", "needs": ["promote"]},
             {"id": "caught-up", "kind": "wait", "condition": 'health(pg-3) == "up" and lag(pg-3) < 5s',
              "timeout": "30s", "needs": ["serving"]},
             {"id": "record", "kind": "measure", "needs": ["caught-up"]},
             # pg-1's Patroni starts it as a replica of pg-2, after pg_rewind (use_pg_rewind).
             {"id": "restart", "kind": "heal", "fault": "node:pg-1", "needs": ["record"]},
             # A node that is down reads as a follower with no lag: health first.
             {"id": "rejoined", "kind": "wait",
              # Within a few seconds, not at zero bytes: clients write all along in the simulator (run --compare).
              "condition": 'health(pg-1) == "up" and role(pg-1) == "follower" and lag(pg-1) < 5s',
              "timeout": "45s", "needs": ["restart"]}]},
        {"name": "orders-switchback", "title": "PostgreSQL: planned Patroni switchover back to pg-1, nothing lost",
         "precheck": ['leader(orders) == "pg-2"', 'health(pg-1) == "up"', 'role(pg-1) == "follower"'],
         "steps": [
             # Patroni's dynamic configuration: every member reads default_transaction_read_only from the DCS.
             {"id": "freeze", "kind": "action", "action": "read-only", "target": "orders"},
             {"id": "drain", "kind": "wait", "condition": 'health(pg-1) == "up" and lag_ops(pg-1) == 0 and '
              'health(pg-3) == "up" and lag_ops(pg-3) == 0', "timeout": "30s", "needs": ["freeze"]},
             # A switchover through Patroni's REST API: it stops pg-2 cleanly (its last WAL reaches pg-1), promotes
             # pg-1, and pg-2 and pg-3 follow pg-1 by themselves.
             {"id": "promote", "kind": "action", "action": "promote", "target": "pg-1", "needs": ["drain"]},
             # Every member running again before writes reopen: one restarting meanwhile would keep read-only
             # in its postgresql.conf (Patroni writes a changed setting only into a running member's).
             {"id": "switched", "kind": "wait", "condition": 'leader(orders) == "pg-1" and health(pg-2) == "up" '
              'and role(pg-2) == "follower" and health(pg-3) == "up" and lag_ops(pg-3) == 0',
              "timeout": "30s", "needs": ["promote"]},
             {"id": "reopen", "kind": "action", "action": "read-write", "target": "orders", "needs": ["switched"]},
             {"id": "home", "kind": "wait", "condition": 'leader(orders) == "pg-1" and writable(orders)',
              "timeout": "30s", "needs": ["reopen"]},
             {"id": "record", "kind": "measure", "needs": ["home"]}],
         "rollback": [{"id": "reopen-writes", "kind": "action", "action": "read-write", "target": "orders"}]},
        {"name": "cache-failover", "title": "Redis: lose the master, Sentinel promotes a replica, cache-1 rejoins",
         "precheck": ['leader(cache) == "cache-1"'],
         "steps": [
             {"id": "crash", "kind": "fault", "fault": "node:cache-1"},
             # Sentinel: down-after 3 s, a quorum of 2, an elected Sentinel promotes the best replica.
             {"id": "promoted", "kind": "wait", "condition": 'leader(cache) != "cache-1" and writable(cache)',
              "timeout": "30s", "needs": ["crash"]},
             {"id": "record", "kind": "measure", "needs": ["promoted"]},
             # cache-1 restarts as an empty master; Sentinel turns it into a replica of the new master.
             {"id": "restart", "kind": "heal", "fault": "node:cache-1", "needs": ["record"]},
             {"id": "rejoined", "kind": "wait",
              "condition": 'health(cache-1) == "up" and role(cache-1) == "follower"', "timeout": "30s",
              "needs": ["restart"]},
             {"id": "check", "kind": "wait",
              "condition": 'leader(cache) != "cache-1" and health(cache-1) == "up" and lag_ops(cache-1) == 0',
              "timeout": "30s", "needs": ["rejoined"]}]},
        {"name": "cache-switchback", "title": "Redis: planned Sentinel failover back to cache-1",
         "precheck": ['health(cache-1) == "up"', 'role(cache-1) == "follower"'],
         "steps": [
             # Sentinel's hello messages move the master's offset every second or so: wait, do not precheck.
             {"id": "synced", "kind": "wait", "condition": 'health(cache-1) == "up" and lag_ops(cache-1) == 0',
              "timeout": "15s"},
             # Sentinel promotes the best replica: make cache-1 the only candidate, then ask for a failover.
             *[{"id": f"hold-{n}", "kind": "action", "action": "command", "target": n, "needs": ["synced"],
                "command": f"redis-cli -h {a} -p 6379 CONFIG SET replica-priority 0"}
               for n, a in others],
             {"id": "failover", "kind": "action", "action": "command", "target": "cache-1",
              "command": f"redis-cli -h {REGIONS[0].address} -p {SENTINEL_PORT} SENTINEL FAILOVER cache",
              "needs": [f"hold-{n}" for n, _ in others]},
             {"id": "home", "kind": "wait", "condition": 'leader(cache) == "cache-1" and writable(cache)',
              "timeout": "30s", "needs": ["failover"]},
             {"id": "record", "kind": "measure", "needs": ["home"]},
             *[{"id": f"release-{n}", "kind": "action", "action": "command", "target": n, "needs": ["record"],
                "command": f"redis-cli -h {a} -p 6379 CONFIG SET replica-priority 100"}
               for n, a in others]],
         "rollback": [{"id": f"restore-{n}", "kind": "action", "action": "command", "target": n,
                       "command": f"redis-cli -h {a} -p 6379 CONFIG SET replica-priority 100"}
                      for n, a in others]},
        {"name": "config-move-leader", "title": "etcd: hand Raft leadership to etcd-2 and back (move-leader)",
         "steps": [
             {"id": "move", "kind": "action", "action": "promote", "target": "etcd-2"},
             {"id": "moved", "kind": "wait", "condition": 'leader(config) == "etcd-2" and writable(config)',
              "timeout": "15s", "needs": ["move"]},
             {"id": "record", "kind": "measure", "needs": ["moved"]},
             {"id": "back", "kind": "action", "action": "promote", "target": "etcd-1", "needs": ["record"]},
             {"id": "home", "kind": "wait", "condition": 'leader(config) == "etcd-1" and writable(config)',
              "timeout": "15s", "needs": ["back"]}]},
        {"name": "config-leader-loss", "title": "etcd: crash the leader's member, Raft elects another",
         "precheck": ['leader(config) == "etcd-1"'],
         "steps": [
             {"id": "crash", "kind": "fault", "fault": "node:etcd-1"},
             {"id": "elected", "kind": "wait", "condition": 'leader(config) != "etcd-1" and writable(config)',
              "timeout": "30s", "needs": ["crash"]},
             {"id": "record", "kind": "measure", "needs": ["elected"]},
             {"id": "restart", "kind": "heal", "fault": "node:etcd-1", "needs": ["record"]},
             {"id": "caught-up", "kind": "wait", "condition": 'health(etcd-1) == "up" and lag_ops(etcd-1) == 0',
              "timeout": "30s",
              "needs": ["restart"]},
             # Leadership back where the precheck wants it: the runbook can run again.
             {"id": "back", "kind": "action", "action": "promote", "target": "etcd-1", "needs": ["caught-up"]},
             {"id": "home", "kind": "wait", "condition": 'leader(config) == "etcd-1" and writable(config)',
              "timeout": "15s", "needs": ["back"]}]},
    ]


def topology(paths: Paths, bin_dir: str) -> dict[str, Any]:
    """The topology file of a running sandbox (ssh backend), with runbooks that work on it."""
    clusters: list[dict[str, Any]] = []
    for cluster, _, kind in ENGINES:
        members = [n for n in nodes() if n.cluster == cluster]
        entry: dict[str, Any] = {
            "name": cluster,
            "engine": {"postgres": "postgres-patroni", "redis": "redis-sentinel", "etcd": "etcd"}[kind],
            # Raft, Patroni and Sentinel fail over by themselves.
            "failover": {"policy": "auto"},
            "adapter": {"kind": "patroni" if kind == "postgres" else kind, "port": PORTS[kind]},
            "nodes": [],
        }
        if kind == "postgres":
            entry["adapter"]["bin_dir"] = bin_dir
            entry["adapter"]["rest_port"] = PATRONI_REST_PORT
            # The simulator's Patroni (run --compare) runs with the sandbox's Patroni timings.
            entry["timings"] = {"ttl": f"{PATRONI_TTL}s", "loop_wait": f"{PATRONI_LOOP_WAIT}s",
                                "retry_timeout": f"{PATRONI_RETRY_TIMEOUT}s"}
        if kind == "redis":  # the dashboard shows what the Sentinels say (down flags, failover, epoch)
            entry["adapter"]["sentinel"] = {"master": cluster, "port": SENTINEL_PORT}
            # The simulator's Sentinel (run --compare) waits as long as the sandbox's before it calls a master down.
            entry["timings"] = {"down_after": f"{SENTINEL_DOWN_AFTER_MS}ms"}
        for n in members:
            node_dir = paths.node_dir(n)
            adapter: dict[str, Any] = {"address": n.region.address, "start": f"sh {node_dir}/start.sh",
                                       "stop": f"sh {node_dir}/stop.sh", "pause": f"sh {node_dir}/pause.sh",
                                       "resume": f"sh {node_dir}/resume.sh"}
            if kind == "postgres":
                adapter["data_dir"] = str(node_dir / "data")
            entry["nodes"].append({"name": n.name, "region": n.region.name, "role": "leader" if n.leader else
                                   "follower", "host": n.region.address, "adapter": adapter})
        clusters.append(entry)
    return {
        "name": "sandbox",
        "kind": "active-passive",
        "description": "regionctl sandbox: three regions as network namespaces on this machine, real "
                       "PostgreSQL under Patroni, Redis with Sentinel and etcd, reached over real SSH.",
        "regions": [{"name": r.name} for r in REGIONS],
        # Every region-to-region TCP connection gets this RTT from the delay proxies (the controller's probes
        # do not: it is not a region).
        "network": {"rtt": {f"{a.name}|{b.name}": f"{rtt(a.name, b.name) * 1000:g}ms"
                            for a in REGIONS for b in REGIONS if a.index < b.index}, "jitter": "0%"},
        "ssh": {"user": USER, "port": SSH_PORT, "known_hosts": str(paths.known_hosts),
                "identity": [str(paths.client_key)], "nft": str(paths.nft), "keepalive": "1s",
                "latency": "printf '%s\\n' {seconds} > " + shlex.quote(str(paths.root)).replace("{", "{{").replace(
                    "}", "}}") + "/regions/{region}/proxy/latency/{peer}",
                "connect_timeout": "3s",
                # Writing to the sandbox's own stores is safe: runs measure lost writes and RPO there.
                "probe_writes": {"rate": PROBE_WRITE_RATE}},
        "clusters": clusters,
        # Clients for the simulator's side of `run --compare` (the SSH backend sends no traffic).
        "traffic": [{"from": "us-east", "cluster": "orders", "writes_per_s": 50, "reads_per_s": 200,
                     "routing": "client"},
                    {"from": "us-east", "cluster": "cache", "writes_per_s": 100, "reads_per_s": 500,
                     "routing": "client"},
                    {"from": "us-east", "cluster": "config", "writes_per_s": 20, "reads_per_s": 100,
                     "routing": "client"}],
        "runbooks": _runbooks(),
    }
