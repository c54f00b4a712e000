"""PostgreSQL streaming replication: role from pg_is_in_recovery(), timeline, LSNs, lag from
pg_stat_replication; promote with pg_promote(), repoint with primary_conninfo, rejoin with pg_rewind."""

from __future__ import annotations

from collections.abc import Sequence

from regionctl.backends.ssh.adapters.base import (
    ClusterState,
    ParseError,
    Plan,
    Probe,
    ReplicaRow,
    Step,
    Target,
    fields,
    nonempty_lines,
    quote,
)
from regionctl.backends.ssh.adapters.engine import EngineAdapter

DB_USER = "postgres"

# One statement, one round trip: the node's own line, then (on a primary) one line per standby.
PROBE_SQL = """\
SELECT 'node', pg_is_in_recovery()::text,
  (CASE WHEN pg_is_in_recovery()
        THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver),
                      (SELECT timeline_id FROM pg_control_checkpoint()))
        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END)::text,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
  pg_last_wal_receive_lsn()::text,
  (SELECT status || ' ' || sender_host || ':' || sender_port FROM pg_stat_wal_receiver),
  current_setting('default_transaction_read_only')
UNION ALL
SELECT 'replica', application_name, state, sent_lsn::text, replay_lsn::text, extract(epoch FROM replay_lag)::text, null
  FROM pg_stat_replication
UNION ALL
SELECT 'manager', string_agg(DISTINCT application_name, ','), null, null, null, null, null
  FROM pg_stat_activity WHERE application_name LIKE 'Patroni%' HAVING count(*) > 0"""
# A failover manager's own sessions give it away: Patroni connects as 'Patroni heartbeat', 'Patroni restapi'.


PROBE_TABLE = "regionctl_probe"  # probe writes' one table (probe_writes.py), dropped once empty
PROBE_TABLE_SQL = (f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (key text PRIMARY KEY, value bigint NOT NULL, "
                   "written timestamptz NOT NULL DEFAULT now())")


def parse_lsn(text: str) -> int:
    """`16/B374D848` -> byte position (the high word shifted by 32 bits)."""
    try:
        high, low = text.strip().split("/")
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError as exc:
        raise ParseError(f"not an LSN: {text!r}") from exc


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PostgresAdapter(EngineAdapter):
    kind = "postgres"
    default_port = 5432

    def psql(self, t: Target, *statements: str) -> str:
        words: list[str] = [t.program("psql"), "-X", "-A", "-t", "-q", "-F", "|", "-v", "ON_ERROR_STOP=1",
                            "-h", t.address, "-p", str(t.port), "-U", DB_USER, "-d", "postgres"]
        for statement in statements:
            words += ["-c", statement]
        return "PGCONNECT_TIMEOUT=3 " + quote(*words)

    def probe_write(self, t: Target, key: str, value: int, timeout: float) -> str | None:
        # The server gives up too (statement_timeout), so a stuck commit does not hold a connection for ever.
        limit = "PGOPTIONS=" + quote(f"-c statement_timeout={max(1, int(timeout * 1000))}") + " "
        return limit + self.psql(t, "SET client_min_messages = warning", PROBE_TABLE_SQL,
                                 f"INSERT INTO {PROBE_TABLE} (key, value) VALUES ({sql_literal(key)}, {int(value)})",
                                 "SELECT 'acked'")

    def parse_probe_write(self, output: str) -> bool:
        return output.strip().endswith("acked")  # after the commit returned (synchronous_commit as configured)

    def probe_write_unanswered(self, output: str) -> bool:
        return any(s in output for s in ("server closed the connection unexpectedly", "could not receive data",
                                         "connection to server was lost", "terminating connection"))

    def probe_read(self, t: Target, prefix: str, keys: Sequence[str]) -> str:
        # Read-only too (after a runbook's read-only step), and with no table at all on a leader that never
        # took a record: the query runs as text, only where the table exists.
        query = f"SELECT key FROM {PROBE_TABLE} WHERE starts_with(key, {sql_literal(prefix)})"
        return self.psql(t, f"SELECT unnest(xpath('//key/text()', query_to_xml({sql_literal(query)}, false, false, "
                            f"'')))::text WHERE to_regclass({sql_literal(PROBE_TABLE)}) IS NOT NULL")

    def probe_clean(self, t: Target, prefix: str, keys: Sequence[str]) -> list[str]:
        # Only where the table exists; dropped once empty (no DDL on a leader that never had it).
        body = (f"IF to_regclass({sql_literal(PROBE_TABLE)}) IS NOT NULL THEN "
                f"DELETE FROM {PROBE_TABLE} WHERE starts_with(key, {sql_literal(prefix)}); "
                f"IF NOT EXISTS (SELECT 1 FROM {PROBE_TABLE}) THEN DROP TABLE {PROBE_TABLE}; END IF; END IF;")
        return [self.psql(t, f"DO $probe$ BEGIN {body} END $probe$")]

    def pg_ctl(self, t: Target, *args: str) -> str:
        return quote(t.program("pg_ctl"), "-D", t.data_dir, *args)

    def conninfo(self, follower: Target, leader: Target) -> str:
        host, port = follower.route(leader)
        return f"host={host} port={port} user={DB_USER} application_name={follower.node} connect_timeout=3"

    # -- probe ----------------------------------------------------------------------------------
    def probe_command(self, t: Target) -> str:
        return self.psql(t, PROBE_SQL)

    def parse_probe(self, t: Target, output: str) -> Probe:
        lines = nonempty_lines(output)
        node = [fields(line) for line in lines if line.startswith("node|")]
        if len(node) != 1 or len(node[0]) != 7:
            raise ParseError(f"postgres probe: expected one node line, found {output[:200]!r}")
        _, recovery, timeline, lsn, _receive, receiver, read_only = node[0]
        replicas = []
        for line in lines:
            if line.startswith("replica|"):
                parts = fields(line)
                if len(parts) != 7:
                    raise ParseError(f"postgres probe: bad replica line {line!r}")
                _, name, _state, _sent, replay, lag, _ = parts
                replicas.append(ReplicaRow(name, parse_lsn(replay) if replay else 0,
                                           float(lag) if lag else None))
        managers = [fields(line)[1] for line in lines if line.startswith("manager|")]
        in_recovery = recovery == "true"
        status, _, upstream = receiver.partition(" ")
        return Probe(
            role="follower" if in_recovery else "leader",
            position=parse_lsn(lsn) if lsn else 0,
            term=int(timeline) if timeline else 0,
            read_only=read_only == "on",
            upstream=upstream or None,
            link_up=(status == "streaming") if in_recovery else True,
            replicas=tuple(replicas),
            managed_by=managers[0] if managers else "",
        )

    # -- actions ----------------------------------------------------------------------------------
    def start(self, t: Target) -> Plan:
        if t.start:
            return super().start(t)
        return Plan((Step(t.node, self.pg_ctl(t, "-l", f"{t.data_dir}.log", "-w", "-t", "60", "start"), 70.0),))

    def stop(self, t: Target) -> Plan:
        if t.stop:
            return super().stop(t)
        return Plan((Step(t.node, self.pg_ctl(t, "-m", "immediate", "-w", "stop"), 30.0),))

    def managed(self, state: ClusterState, node: str, action: str) -> str:
        """Why a raw `action` on `node` is refused: a failover manager runs the cluster (empty: none seen)."""
        by = next((p.managed_by for p in state.probes if p is not None and p.managed_by), "")
        if not by:
            return ""
        return (f"{action} {node}: refused, Patroni manages this cluster (its sessions {by!r} are connected): a raw "
                "pg_promote, primary_conninfo or pg_rewind behind its back fights it (it demotes, rewinds or "
                "restarts the node, or two primaries serve); set adapter.kind: patroni to act through its REST API")

    def promote(self, state: ClusterState, node: str) -> Plan:
        if why := self.managed(state, node, "promote"):
            return Plan.refuse(why)
        sql = ("DO $$BEGIN IF NOT pg_promote(true, 30) THEN "
               "RAISE EXCEPTION 'promotion did not finish within 30 s'; END IF; END$$")
        probe = state.probe(node)
        if node == state.leader:
            return Plan.done(f"{node} is already the primary")
        if probe is not None and probe.role == "leader":
            return Plan.refuse(f"{node} is a stale primary: repoint it to the current primary (pg_rewind) first")
        return Plan((Step(node, self.psql(state.target(node), sql), 40.0),))

    def repoint(self, state: ClusterState, node: str, to: str) -> Plan:
        if why := self.managed(state, node, "repoint"):
            return Plan.refuse(why)
        probe = state.probe(node)
        if node == state.leader:
            return Plan.refuse(f"{node} is the current primary: promote another node first")
        if probe is None or probe.role == "leader":
            return self.rejoin(state, node, to)  # a stopped or stale primary follows only after pg_rewind
        conninfo = self.conninfo(state.target(node), state.target(to))
        return Plan((Step(node, self.psql(state.target(node),
                                          f"ALTER SYSTEM SET primary_conninfo = {sql_literal(conninfo)}",
                                          "SELECT pg_reload_conf()"), 15.0),))

    def demote(self, state: ClusterState, node: str) -> Plan:
        """Rejoin `node` as a standby of the current leader: stop, pg_rewind, standby.signal, start."""
        if why := self.managed(state, node, "demote"):
            return Plan.refuse(why)
        if state.leader is None or state.leader == node:
            return Plan.refuse(f"demote {node}: promote another node first; pg_rewind needs a new primary "
                               "to rewind against")
        return self.rejoin(state, node, state.leader)

    def rejoin(self, state: ClusterState, node: str, leader: str) -> Plan:
        t, lead = state.target(node), state.target(leader)
        if not t.data_dir:
            return Plan.refuse(f"demote {node}: adapter.data_dir is not set")
        source = f"host={lead.address} port={lead.port} user={DB_USER} dbname=postgres"
        line = f"primary_conninfo = {sql_literal(self.conninfo(t, lead))}"
        stop = Step(node, self.pg_ctl(t, "-m", "fast", "-w", "stop") + " || true", 30.0, check=False)
        rejoin = (quote(t.program("pg_rewind"), "-D", t.data_dir, f"--source-server={source}")
                  + " && " + quote("touch", f"{t.data_dir}/standby.signal")
                  + " && " + quote("printf", "%s\\n", line) + " >> " + quote(f"{t.data_dir}/postgresql.auto.conf"))
        return Plan((stop, Step(lead.node, self.psql(lead, "CHECKPOINT"), 60.0), Step(node, rejoin, 120.0),
                     *self.start(t).steps))

    def set_read_only(self, state: ClusterState, read_only: bool) -> Plan:
        if state.leader is None:
            return Plan.refuse("no primary to set read-only")
        value = "on" if read_only else "off"
        return Plan((Step(state.leader, self.psql(state.target(state.leader),
                                                  f"ALTER SYSTEM SET default_transaction_read_only = {value}",
                                                  "SELECT pg_reload_conf()"), 15.0),))
