"""Probe writes on real hosts: lost writes measured, not guessed.

While a run goes on, each cluster's current leader takes unique, numbered records at a bounded rate
(`ssh.probe_writes` in the topology: the operator's call, never a default outside the sandbox). Each is
acknowledged (the engine said so), failed (a clear refusal, or no connection: it was never written) or
unknown (sent, no answer in time: it may or may not be there). After the run the leader that survived is
read back: an acknowledged record it lacks is a lost write, and RPO is the span between the newest lost
acknowledged write and the last acknowledged write that survived before it (as the simulator counts it).

Everything lives under one namespace per run (`regionctl-probe/RUN/`: a Redis or etcd key prefix, rows of
one PostgreSQL table) and is removed afterwards unless kept. The ledger is pure; `ProbeWriter` does the I/O
through the backend's `run` (commands built by the engine adapters).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from regionctl.backends.ssh.adapters.base import Target
from regionctl.backends.ssh.connections import RunResult
from regionctl.backends.ssh.targets import ClusterPlan

NAMESPACE = "regionctl-probe"
MAX_WRITES = 20_000  # per cluster: a dashboard left open for hours stops writing here (and says so)
Outcome = Literal["ok", "fail", "unknown"]


@dataclass
class ProbeWrite:
    """One probe write: its key, where it went, when, and what came back."""

    cluster: str
    seq: int
    key: str
    node: str | None  # the leader it was sent to (None: there was none, so it was not sent)
    start: float
    end: float | None = None  # None: no answer (unknown)
    outcome: Outcome = "unknown"
    region: str | None = None


@dataclass
class ProbeLedger:
    """What was written and what survived (pure)."""

    writes: dict[str, list[ProbeWrite]] = field(default_factory=dict)
    present: dict[str, set[str] | None] = field(default_factory=dict)  # cluster -> keys read back (None: no reader)
    read_back_at: float | None = None
    read_back: dict[str, tuple[float, float]] = field(default_factory=dict)  # cluster -> when its read ran
    notes: list[str] = field(default_factory=list)

    def record(self, write: ProbeWrite) -> None:
        self.writes.setdefault(write.cluster, []).append(write)

    def lost(self, cluster: str) -> list[ProbeWrite]:
        present = self.present.get(cluster)
        if present is None:
            return []
        return [w for w in self.writes.get(cluster, []) if w.outcome == "ok" and w.key not in present]

    def cluster_figures(self, cluster: str) -> dict[str, Any]:
        writes = self.writes.get(cluster, [])
        acked = [w for w in writes if w.outcome == "ok"]
        out: dict[str, Any] = {
            "writes_attempted": len(writes),
            "writes_acked": len(acked),
            "writes_failed": sum(1 for w in writes if w.outcome == "fail"),
            "writes_unknown": sum(1 for w in writes if w.outcome == "unknown"),
            "availability": round(len(acked) / len(writes), 6) if writes else None,
        }
        if self.read_back_at is None or self.present.get(cluster) is None:
            return out  # not read back (yet, or no leader to read): lost and RPO stay unknown
        lost = self.lost(cluster)
        out["writes_lost"] = len(lost)
        out["rpo_seconds"] = round(_rpo(acked, lost), 3)
        return out

    def figures(self) -> dict[str, Any]:
        """The report's figures: totals over clusters, and each cluster's own under `probe_writes`."""
        per = {name: self.cluster_figures(name) for name in self.writes}
        if not per:
            return {}
        total: dict[str, Any] = {key: sum(p[key] for p in per.values())
                                 for key in ("writes_attempted", "writes_acked", "writes_failed", "writes_unknown")}
        if all("writes_lost" in p for p in per.values()):
            total["writes_lost"] = sum(p["writes_lost"] for p in per.values())
            total["rpo_seconds"] = max(p["rpo_seconds"] for p in per.values())
        total["probe_writes"] = per
        return total

    def history(self) -> list[dict[str, Any]]:
        """The writes, then the read-back of each key, as history operations (docs/history.md)."""
        ops: list[dict[str, Any]] = []
        for cluster, writes in self.writes.items():
            for w in writes:
                if w.node is None:
                    continue  # never sent
                ops.append({"op": "write", "cluster": cluster, "key": w.key, "value": w.seq,
                            "session": f"probe-{cluster}", "start": round(w.start, 6),
                            "end": None if w.end is None else round(w.end, 6), "outcome": w.outcome,
                            "node": w.node, "region": None})  # the client is the controller, in no region
            present = self.present.get(cluster)
            if present is None or self.read_back_at is None:
                continue
            start, end = self.read_back.get(cluster, (self.read_back_at, self.read_back_at))
            for w in writes:
                if w.node is None:
                    continue
                # One scan read every key: a read each, concurrent (a session of its own each).
                ops.append({"op": "read", "cluster": cluster, "key": w.key,
                            "value": w.seq if w.key in present else None, "session": f"readback/{cluster}/{w.seq}",
                            "start": round(start, 6), "end": round(end, 6), "outcome": "ok", "node": None,
                            "region": None})
        return ops


def _rpo(acked: list[ProbeWrite], lost: list[ProbeWrite]) -> float:
    """From the last acknowledged write that survived before the oldest lost one (where the histories part),
    else the oldest lost write's start, to the newest lost acknowledgement."""
    if not lost:
        return 0.0
    newest = max(w.end or w.start for w in lost)
    oldest = min(lost, key=lambda w: w.start)
    lost_keys = {w.key for w in lost}
    kept = [w.end or w.start for w in acked if w.key not in lost_keys and (w.end or w.start) <= oldest.start]
    return newest - (max(kept) if kept else oldest.start)


def write_outcome(result: RunResult, acknowledged: Callable[[str], bool],
                  unanswered: Callable[[str], bool]) -> Outcome:
    """ok: the engine acknowledged it. unknown: sent and not answered (a timeout, a connection lost mid-way,
    the engine's client gave up waiting): it may or may not have been written. fail: refused, or never sent."""
    if result.exit_status is None:
        return "unknown" if result.sent else "fail"
    if result.exit_status == 0 and acknowledged(result.stdout):
        return "ok"
    return "unknown" if unanswered(result.stdout + "\n" + result.stderr) else "fail"


Runner = Callable[[str, str, float], Awaitable[RunResult]]  # node, command, timeout


class ProbeWriter:
    """Writes to each cluster's leader until stopped; reads back and cleans up afterwards."""

    def __init__(self, plans: list[ClusterPlan], run: Runner, leader_of: Callable[[str], str | None],
                 clock: Callable[[], float], run_id: str, rate: float, timeout: float) -> None:
        self.plans = [cp for cp in plans if cp.adapter.probe_write(cp.targets[0], "k", 0, timeout) is not None]
        self.unsupported = sorted({cp.adapter.kind for cp in plans} - {cp.adapter.kind for cp in self.plans})
        self.run, self.leader_of, self.clock = run, leader_of, clock
        self.prefix = f"{NAMESPACE}/{run_id}/"
        self.interval = 1.0 / rate
        self.timeout = timeout
        self.ledger = ProbeLedger()
        if self.unsupported:
            self.ledger.notes.append("no probe writes for " + ", ".join(self.unsupported) + " (not supported yet)")
        self._tasks: list[asyncio.Task[None]] = []

    def _target(self, cp: ClusterPlan, node: str) -> Target:
        return next(t for t in cp.targets if t.node == node)

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def start(self) -> None:
        self._tasks = [asyncio.ensure_future(self._loop(cp)) for cp in self.plans]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self, cp: ClusterPlan) -> None:
        seq = 0
        region = {n.name: n.region for n in cp.cluster.nodes}
        while seq < MAX_WRITES:
            seq += 1
            started = self.clock()
            try:
                await self._write_one(cp, seq, region)
            except Exception as exc:  # an adapter or a parse problem: say so, never take the run down
                self.ledger.notes.append(f"{cp.cluster.name}: probe writes stopped: {type(exc).__name__}: {exc}")
                return
            await asyncio.sleep(max(0.0, self.interval - (self.clock() - started)))
        self.ledger.notes.append(f"{cp.cluster.name}: probe writes stopped after {MAX_WRITES:,} records")

    async def _write_one(self, cp: ClusterPlan, seq: int, region: dict[str, str]) -> None:
        name = cp.cluster.name
        key = f"{self.prefix}{name}/{seq:08d}"
        leader = self.leader_of(name)
        write = ProbeWrite(name, seq, key, leader, self.clock(), region=region.get(leader or ""))
        self.ledger.record(write)
        if leader is None:
            write.end, write.outcome = write.start, "fail"  # no leader known: nothing was sent
            return
        command = cp.adapter.probe_write(self._target(cp, leader), key, seq, self.timeout)
        assert command is not None
        result = await self.run(leader, command, self.timeout)
        outcome = write_outcome(result, cp.adapter.parse_probe_write, cp.adapter.probe_write_unanswered)
        write.outcome = outcome
        write.end = None if outcome == "unknown" else self.clock()  # unknown: it may land any time after start

    async def read_back(self) -> None:
        """Read every probe key from each cluster's leader now; a cluster without one stays unknown."""
        self.ledger.read_back_at = self.clock()
        for cp in self.plans:
            name = cp.cluster.name
            leader = self.leader_of(name)
            if leader is None:
                self.ledger.present[name] = None
                self.ledger.notes.append(f"{name}: no leader to read the probe writes back from")
                continue
            prefix = f"{self.prefix}{name}/"
            keys = [w.key for w in self.ledger.writes.get(name, []) if w.node is not None]
            started = self.clock()
            result = await self.run(leader, cp.adapter.probe_read(self._target(cp, leader), prefix, keys), 30.0)
            self.ledger.read_back[name] = (started, self.clock())
            try:
                if not result.ok:
                    raise ValueError(result.reason())
                self.ledger.present[name] = cp.adapter.parse_probe_read(result.stdout, prefix, keys)
            except ValueError as exc:  # (ParseError is one)
                self.ledger.present[name] = None
                self.ledger.notes.append(f"{name}: reading the probe writes back from {leader} failed: {exc}")

    async def clean(self) -> list[str]:
        """Remove this run's records through each cluster's leader (its replicas follow); returns what could
        not be removed, to be said in the report."""
        left: list[str] = []
        for cp in self.plans:
            name = cp.cluster.name
            if not self.ledger.writes.get(name):
                continue
            leader = self.leader_of(name)
            if leader is None:
                left.append(f"{name}: no leader to remove the probe records {self.prefix}{name}/ through")
                continue
            keys = [w.key for w in self.ledger.writes[name] if w.node is not None]
            for command in cp.adapter.probe_clean(self._target(cp, leader), f"{self.prefix}{name}/", keys):
                result = await self.run(leader, command, 30.0)
                if not result.ok:
                    left.append(f"{name} on {leader}: removing the probe records {self.prefix}{name}/ failed: "
                                f"{result.reason()}")
                    break
        return left
