"""PostgreSQL managed by Patroni: leader, timeline, WAL positions and member states from Patroni's REST API
(`GET /patroni` of each node, `GET /cluster`), switchover and failover through it (`POST /switchover`,
`POST /failover`). Replication is Patroni's business: repoint is what it does by itself, a raw pg_promote
never runs here. Read-only is Patroni's dynamic configuration (`PATCH /config`: every member, the next leader
too), read back from `GET /config`.
"""

from __future__ import annotations

import json
from typing import Any

from regionctl.backends.ssh.adapters.base import (
    ClusterState,
    ManagerView,
    ParseError,
    Plan,
    Probe,
    Step,
    Target,
    quote,
)
from regionctl.backends.ssh.adapters.postgres import PostgresAdapter

CLUSTER_SECTION = "==cluster=="  # separates GET /patroni from GET /cluster in one probe
CONFIG_SECTION = "==config=="  # then GET /config (the dynamic configuration in the DCS)
READ_ONLY = "default_transaction_read_only"
LEADER_ROLES = ("primary", "master", "standby_leader")  # /patroni; "master" before Patroni 3.0
SWITCHOVER_TIMEOUT = 60.0  # Patroni answers a switchover once the candidate is promoted (or it gave up)


class PatroniAdapter(PostgresAdapter):
    kind = "patroni"

    def url(self, t: Target, path: str) -> str:
        return f"http://{t.address}:{t.rest_port}{path}"

    def get(self, t: Target, path: str) -> str:
        return quote("curl", "-s", "-S", "--fail-with-body", "-m", "2", self.url(t, path))

    def post(self, t: Target, path: str, body: dict[str, Any], method: str = "POST") -> str:
        return quote("curl", "-s", "-S", "--fail-with-body", "-m", f"{SWITCHOVER_TIMEOUT:g}", "-X", method,
                     "-H", "Content-Type: application/json", "-d", json.dumps(body, sort_keys=True),
                     self.url(t, path))

    def wait_leading(self, t: Target) -> Step:
        """Until `t`'s Patroni holds the leader key with PostgreSQL running (GET /primary answers 200)."""
        ask = quote("curl", "-s", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}", self.url(t, "/primary"))
        loops = int(SWITCHOVER_TIMEOUT * 2)
        return Step(t.node, f"i=0; while [ \"$({ask})\" != 200 ]; do i=$((i + 1)); if [ $i -gt {loops} ]; then "
                            f"echo '{t.node} does not lead after {SWITCHOVER_TIMEOUT:g} s' >&2; exit 1; fi; "
                            "sleep 0.5; done", SWITCHOVER_TIMEOUT + 10)

    # -- probe ----------------------------------------------------------------------------------
    def probe_command(self, t: Target) -> str:
        # A Patroni that does not answer is a node down; its cluster view only adds to what it says of itself.
        return (f"{self.get(t, '/patroni')} && {{ echo; echo {CLUSTER_SECTION}; {self.get(t, '/cluster')} || true; "
                f"echo; echo {CONFIG_SECTION}; {self.get(t, '/config')} || true; }}")

    def parse_probe(self, t: Target, output: str) -> Probe:
        output, _, config = output.partition(CONFIG_SECTION)
        own, marked, cluster = output.partition(CLUSTER_SECTION)
        me = _json(own, "/patroni")
        state = str(me.get("state", ""))
        if state != "running":  # starting, stopped, crashed, restarting: Patroni is there, PostgreSQL is not
            raise ParseError(f"patroni: PostgreSQL is {state or 'in an unknown state'} on {t.node}")
        role = str(me.get("role", ""))
        raw_xlog = me.get("xlog")
        xlog: dict[str, Any] = raw_xlog if isinstance(raw_xlog, dict) else {}
        leading = role in LEADER_ROLES
        position = xlog.get("location") if leading else xlog.get("replayed_location", xlog.get("received_location"))
        view = parse_cluster(cluster) if marked and cluster.strip() else None
        return Probe(
            role="leader" if leading else "follower",
            position=int(position) if isinstance(position, int) else 0,
            term=int(me.get("timeline", 0) or 0),
            link_up=leading or me.get("replication_state", "streaming") == "streaming",
            read_only=_read_only(config),
            manager=view,
            managed_by="Patroni",
        )

    # -- reading a cluster ------------------------------------------------------------------------
    def leader(self, targets: tuple[Target, ...], probes: tuple[Probe | None, ...]) -> str | None:
        """The holder of the leader key, as most answering members name it, when it is up and leads;
        else what the nodes say of themselves (the raw rule)."""
        names = [p.manager.leader for p in probes if p is not None and p.manager is not None and p.manager.leader]
        if names:
            named = max(set(names), key=names.count)
            for t, p in zip(targets, probes, strict=True):
                if t.node == named and p is not None and p.role == "leader":
                    return t.node
        return super().leader(targets, probes)

    def election(self, state: ClusterState) -> str:
        views = [p.manager for p in state.probes if p is not None and p.manager is not None]
        if not views:
            return ""
        view = views[0]
        if any(v.paused for v in views):
            return "patroni paused"
        if all(v.leader is None for v in views):
            return "no leader key"
        busy = [f"{name} {member_state}" for name, _, member_state in view.members
                if member_state not in ("running", "streaming")]
        return busy[0] if busy else ""

    # -- actions ----------------------------------------------------------------------------------
    def start(self, t: Target) -> Plan:
        if not t.start:
            return Plan.refuse(f"{t.node}: Patroni starts PostgreSQL itself; declare adapter.start (start Patroni)")
        return super().start(t)

    def stop(self, t: Target) -> Plan:
        if not t.stop:
            return Plan.refuse(f"{t.node}: Patroni restarts a stopped PostgreSQL; declare adapter.stop "
                               "(stop Patroni and its PostgreSQL)")
        return super().stop(t)

    def promote(self, state: ClusterState, node: str) -> Plan:
        """A switchover when the cluster has a leader (Patroni demotes it cleanly first), else a failover."""
        if node == state.leader:
            return Plan.done(f"{node} is already the leader")
        t = state.target(node)
        if state.probe(node) is None:
            return Plan.refuse(f"promote {node}: its Patroni does not answer")
        if state.leader is not None:
            body = {"leader": state.leader, "candidate": node}
            return Plan((Step(node, self.post(t, "/switchover", body), SWITCHOVER_TIMEOUT + 5),))
        # No leader: while a lost leader's key lives on (up to ttl), Patroni holds the failover request and answers
        # "status unknown" after 20 s or so; the candidate takes the key once it runs out. Wait for that.
        return Plan((Step(node, self.post(t, "/failover", {"candidate": node}), SWITCHOVER_TIMEOUT + 5, check=False),
                     self.wait_leading(t)))

    def demote(self, state: ClusterState, node: str) -> Plan:
        if node != state.leader:
            return Plan.done(f"{node} is a replica already (Patroni keeps it following the leader)")
        body = {"leader": node}
        return Plan((Step(node, self.post(state.target(node), "/switchover", body), SWITCHOVER_TIMEOUT + 5),))

    def set_read_only(self, state: ClusterState, read_only: bool) -> Plan:
        """Through the DCS: every member applies it (a reload), so a later leader is read-only too; read-write
        removes the setting."""
        answering = [t for t, p in zip(state.targets, state.probes, strict=True) if p is not None]
        if not answering:
            return Plan.refuse("no Patroni answers: nowhere to change the configuration")
        t = next((t for t in answering if t.node == state.leader), answering[0])
        body = {"postgresql": {"parameters": {READ_ONLY: "on" if read_only else None}}}
        # Then each running member's PostgreSQL, until it shows the setting (Patroni reloads it within loop_wait;
        # a member that was restarting meanwhile keeps the old value in its postgresql.conf: that fails here).
        return Plan((Step(t.node, self.post(t, "/config", body, method="PATCH"), 15.0),
                     *(self.wait_setting(m, READ_ONLY, "on" if read_only else "off") for m in answering)))

    def wait_setting(self, t: Target, name: str, value: str, seconds: float = 15.0) -> Step:
        show = self.psql(t, f"SHOW {name}")
        loops = int(seconds * 2)
        return Step(t.node, f"i=0; until [ \"$({show})\" = {value} ]; do i=$((i + 1)); if [ $i -gt {loops} ]; then "
                            f"echo '{t.node}: {name} is not {value} after {seconds:g} s' >&2; exit 1; fi; sleep 0.5; "
                            "done", seconds + 10)

    def repoint(self, state: ClusterState, node: str, to: str) -> Plan:
        if to == state.leader:
            return Plan.done(f"Patroni keeps {node} following the leader {to} (and rewinds it when it must)")
        return Plan.refuse(f"repoint {node} to {to}: Patroni makes replicas follow the leader ({state.leader}); "
                           f"promote {to} to switch over to it")


def _json(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"patroni {what}: not JSON: {text.strip()[:200]!r}") from exc
    if not isinstance(data, dict):
        raise ParseError(f"patroni {what}: not an object: {text.strip()[:200]!r}")
    return data


def _read_only(text: str) -> bool:
    """`GET /config`: default_transaction_read_only on in the dynamic configuration."""
    try:
        data = _json(text, "/config") if text.strip() else {}
    except ParseError:
        return False
    postgresql = data.get("postgresql")
    parameters = postgresql.get("parameters") if isinstance(postgresql, dict) else None
    value = parameters.get(READ_ONLY) if isinstance(parameters, dict) else None
    return str(value).lower() in ("on", "true", "1", "yes")


def parse_cluster(text: str) -> ManagerView | None:
    """`GET /cluster`: the members and who holds the leader key; None when it says nothing usable."""
    try:
        data = _json(text, "/cluster")
    except ParseError:
        return None
    members = data.get("members")
    if not isinstance(members, list):
        return None
    rows = tuple((str(m.get("name", "")), str(m.get("role", "")), str(m.get("state", "")))
                 for m in members if isinstance(m, dict))
    leader = next((name for name, role, _ in rows if role in ("leader", "standby_leader")), None)
    return ManagerView(leader, rows, bool(data.get("pause", False)))
