"""The SSH backend: probes real engines over SSH into the simulator's Snapshot shape, and carries out
operator actions and real-host faults. `snapshot()` returns the latest probe round; `refresh()`
runs one (every node at once, each bounded by its own timeouts, so a dead host never delays others).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from regionctl.backends.ssh.adapters.base import ClusterState, ParseError, Plan, Probe
from regionctl.backends.ssh.connections import HostPool, RunResult
from regionctl.backends.ssh.observed import Observer
from regionctl.backends.ssh.probe_writes import ProbeWriter
from regionctl.backends.ssh.realfaults import FaultPlan, Placement, plan_fault
from regionctl.backends.ssh.targets import ClusterPlan, cluster_plans, connect_settings, host_keys
from regionctl.contract.commands import (
    Command,
    CommandResult,
    Demote,
    Fence,
    HealAll,
    HealFault,
    InjectFault,
    Promote,
    Repoint,
    RunCommand,
    SetReadOnly,
    ShiftTraffic,
)
from regionctl.contract.faults import Fault, FaultKind
from regionctl.contract.health import cluster_state, service_states, tenant_state
from regionctl.contract.snapshot import (
    ClusterView,
    FaultView,
    NodeView,
    RegionView,
    ServiceView,
    Snapshot,
    TenantView,
)
from regionctl.model.resolved import node_zone, replication_mode
from regionctl.model.topology import SshSettings, Topology

PROBE_RETRIES = 1  # read-only probes only; actions are never retried
WATCH_INTERVAL = 0.25  # seconds between probe rounds while an action or fault runs


@dataclass
class _ActiveFault:
    fault: Fault
    at: float
    plan: FaultPlan


@dataclass(frozen=True, slots=True)
class NodeProbe:
    probe: Probe | None
    reachable: bool
    error: str = ""


class SshBackend:
    name = "ssh"

    def __init__(self, topology: Topology, base_dir: Path | None = None) -> None:
        self.topology = topology
        self.plans: list[ClusterPlan] = cluster_plans(topology)
        self.hosts = host_keys(topology)
        self.pool = HostPool(connect_settings(topology, base_dir))
        self.ssh = topology.ssh or SshSettings()
        self._t0 = time.monotonic()
        self._probes: dict[str, NodeProbe] = {}
        self._states: dict[str, ClusterState] = {}
        self._caught_up: dict[str, float] = {}  # node -> last time it had no lag
        self._faults: list[_ActiveFault] = []
        self._healed: list[FaultView] = []
        self._last_round = 0.0
        self._observer = Observer()
        self._round: asyncio.Future[Snapshot] | None = None
        self._round_at = 0.0  # when the round under way sent its probes
        self.probe_writer: ProbeWriter | None = None
        settings = self.ssh.probe_writes
        if settings is not None:
            run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"
            self.probe_writer = ProbeWriter(self.plans, self._run_on, self._leader_of, self.now, run_id,
                                            settings.rate, settings.timeout)
        self._settled = False
        self._snapshot = self._build()

    # -- reading ---------------------------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic() - self._t0

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def _leader_of(self, cluster: str) -> str | None:
        state = self._states.get(cluster)
        return state.leader if state is not None else None

    async def _run_on(self, node: str, command: str, timeout: float) -> RunResult:
        return await self.pool.run(self.hosts[node], command, timeout=timeout)

    def start_probe_writes(self) -> None:
        """Begin writing probe records (when the topology allows them); the first probe round names the leaders."""
        if self.probe_writer is not None and not self.probe_writer.running:
            self.probe_writer.start()

    async def settle(self) -> None:
        """Stop the probe writes, read them back from the leaders now, and remove them (unless kept): the next
        snapshot carries writes lost and RPO. Once per backend; a later call does nothing."""
        writer = self.probe_writer
        if writer is None or self._settled:
            return
        await writer.stop()
        await self.refresh()  # the leaders as they are now, after the run put things back
        await writer.read_back()
        settings = self.ssh.probe_writes
        if settings is not None and not settings.keep:
            writer.ledger.notes += await writer.clean()
        self._settled = True  # only now: an interrupted settle leaves the clean-up to close()
        self._snapshot = self._build_with_figures(self._build())

    def _build_with_figures(self, snap: Snapshot) -> Snapshot:
        figures = self.probe_writer.ledger.figures() if self.probe_writer is not None else {}
        return dataclasses.replace(snap, metrics={**snap.metrics, **self._observer.metrics(snap.time), **figures})

    async def _probe(self, cp: ClusterPlan, index: int) -> NodeProbe:
        t = cp.targets[index]
        try:
            command = cp.adapter.probe_command(t)
        except ParseError as exc:
            return NodeProbe(None, True, str(exc))
        result = await self.pool.run(self.hosts[t.node], command, timeout=min(self.ssh.command_timeout, 5.0),
                                     retries=PROBE_RETRIES)
        if not result.ok:
            return NodeProbe(None, result.reachable, result.reason())
        try:
            return NodeProbe(cp.adapter.parse_probe(t, result.stdout), True)
        except ParseError as exc:
            return NodeProbe(None, True, str(exc))

    async def refresh(self, after: float | None = None) -> Snapshot:
        """Probe every node at once and publish a new snapshot. Callers that overlap (the dashboard's poll, a
        runbook's wait, the watch during an action) share the round under way rather than start another,
        unless they need probes sent at or after `after` (monotonic time; e.g. once an action is done)."""
        if self._round is not None and not self._round.done() and after is not None and self._round_at < after:
            await asyncio.shield(self._round)  # too old for this caller: let it finish, then start another
        if self._round is None or self._round.done():
            self._round_at = time.monotonic()
            self._round = asyncio.ensure_future(self._refresh())
        return await asyncio.shield(self._round)

    async def _refresh(self) -> Snapshot:
        started = time.monotonic()
        jobs = [(cp, i) for cp in self.plans for i in range(len(cp.targets))]
        results = await asyncio.gather(*(self._probe(cp, i) for cp, i in jobs))
        for (cp, i), found in zip(jobs, results, strict=True):
            self._probes[cp.targets[i].node] = found
        for cp in self.plans:
            probes = tuple(self._probes[t.node].probe for t in cp.targets)
            self._states[cp.cluster.name] = ClusterState(cp.targets, probes, cp.adapter.leader(cp.targets, probes))
        self._last_round = time.monotonic() - started
        snap = self._build()
        self._observer.round(snap.time, {c.name: c.writable for c in snap.clusters},
                             [n.lag_seconds for c in snap.clusters for n in c.nodes
                              if n.health == "up" and n.role != "leader"])
        self._snapshot = self._build_with_figures(snap)
        return self._snapshot

    def errors(self) -> dict[str, str]:
        """node -> why its last probe failed."""
        return {n: p.error for n, p in self._probes.items() if p.probe is None and p.error}

    def _partitioned(self) -> set[str]:
        """Regions and nodes on a side of an active partition fault."""
        sides: set[str] = set()
        for active in self._faults:
            fault = active.fault
            if fault.kind == FaultKind.PARTITION:
                sides |= {fault.a, fault.b}
        return sides

    def _build(self) -> Snapshot:
        now = self.now()
        cut = self._partitioned()
        clusters = []
        health: dict[str, list[str]] = {r.name: [] for r in self.topology.regions}
        for cp in self.plans:
            state = self._states.get(cp.cluster.name)
            statuses = cp.adapter.statuses(state.targets, state.probes, state.leader) if state else {}
            nodes = []
            for node in cp.cluster.nodes:
                status = statuses.get(node.name)
                zone = node_zone(self.topology, node)
                if status is None:
                    nodes.append(NodeView(node.name, cp.cluster.name, node.region, zone,
                                          "replica" if node.role == "replica" else "follower", "down"))
                    health[node.region].append("down")
                    continue
                seconds = status.lag_seconds
                if status.lag_ops == 0:
                    self._caught_up[node.name] = now
                if seconds is None:  # the engine does not say: time since it was last caught up
                    seconds = now - self._caught_up.setdefault(node.name, now)
                role = status.role if status.role == "leader" or node.role != "replica" else "replica"
                isolated = node.name in cut or node.region in cut
                nodes.append(NodeView(node.name, cp.cluster.name, node.region, zone, role,
                                      "isolated" if isolated else "up",
                                      lag_seconds=seconds, lag_ops=status.lag_ops, term=status.term,
                                      position=status.position, accepting_writes=status.accepting_writes))
                health[node.region].append("up")
            leader = state.leader if state else None
            lead = next((n for n in nodes if n.name == leader), None)
            writable = lead is not None and lead.accepting_writes
            clusters.append(ClusterView(
                cp.cluster.name, cp.cluster.engine, replication_mode(cp.cluster), leader,
                max((n.term for n in nodes), default=0), tuple(nodes), writable=writable,
                election=(cp.adapter.election(state) if state else "") or ("" if leader else "no leader"),
                availability=1.0 if writable else 0.0))
        regions = tuple(RegionView(name, "isolated" if name in cut and _region_status(states) == "up"
                                   else _region_status(states)) for name, states in health.items())
        # The one rule (contract.health) the simulator's snapshots use too.
        states = {c.name: cluster_state(c.writable, (n.health for n in c.nodes)) for c in clusters}
        region_status = {r.name: r.status for r in regions}
        services = service_states(self.topology, states, lambda name: region_status.get(name, "up"))
        tenants = tuple(TenantView(t.name, t.model, tenant_state(self.topology, t.name, states, services))
                        for t in self.topology.tenants)
        service_views = tuple(ServiceView(s.name, services[s.name][0], tuple(s.depends_on), services[s.name][1])
                              for s in self.topology.services)
        faults = tuple(FaultView(f.fault, f.at) for f in self._faults) + tuple(self._healed)
        return Snapshot(self.topology.name, str(self.topology.kind), self.name, now, regions, tuple(clusters),
                        tenants, tuple(self.topology.runbook_names()), faults,
                        {"probe_round_seconds": round(self._last_round, 4), "handshakes": self.pool.handshakes},
                        services=service_views)

    # -- acting ----------------------------------------------------------------------------------
    async def advance(self, seconds: float) -> None:
        """Real time passes; then the snapshot is refreshed."""
        if seconds > 0:
            await asyncio.sleep(seconds)
        await self.refresh()

    async def play(self, on_snapshot: Callable[[Snapshot], None], hz: float = 4.0,
                   until: float | None = None) -> None:
        """The tick source on real hosts (dashboard, exporter): probe, publish, at most `hz` times a second,
        until `until` seconds of wall time since the backend opened (None: until cancelled)."""
        while until is None or self.now() < until:
            await self.advance(1.0 / hz)
            on_snapshot(self.snapshot())

    async def run_plan(self, plan: Plan, label: str = "") -> CommandResult:
        if plan.refusal:
            return CommandResult(False, plan.refusal)
        if not plan.steps and plan.note:
            return CommandResult(True, plan.note)
        out: list[str] = []
        for step in plan.steps:
            result: RunResult = await self.pool.run(self.hosts[step.node], step.command, timeout=step.timeout)
            if not result.ok and step.check:
                return CommandResult(False, f"{step.node}: {result.reason()}")
            out.append(step.node)
        hosts = ", ".join(dict.fromkeys(out))
        return CommandResult(True, f"{label + ': ' if label else ''}{len(plan.steps)} command(s) on {hosts}")

    def _cluster_of(self, node: str) -> ClusterPlan | None:
        return next((cp for cp in self.plans if any(t.node == node for t in cp.targets)), None)

    async def apply(self, command: Command) -> CommandResult:
        self._observer.action(self.now())
        finished = asyncio.Event()
        watcher = asyncio.create_task(self._watch(finished))
        try:
            result = await self._apply(command)
        finally:
            finished.set()
            await watcher
        await self.refresh(after=time.monotonic())  # what the hosts say now that the action is done
        return result

    async def _watch(self, finished: asyncio.Event) -> None:
        """Keep probing while an action runs (stopping an engine, a rewind): an outage that starts and ends
        meanwhile, such as a Raft election, is seen and counted in RTO."""
        while True:
            try:
                await asyncio.wait_for(finished.wait(), WATCH_INTERVAL)
                return
            except TimeoutError:
                await self.refresh()

    async def _apply(self, command: Command) -> CommandResult:
        if isinstance(command, InjectFault | HealFault | HealAll):
            return await self._fault(command)
        if isinstance(command, ShiftTraffic):
            return CommandResult(False, "shift-traffic: this topology declares no DNS or proxy entry point "
                                        "the ssh backend could change")
        if isinstance(command, SetReadOnly):
            cp = next((c for c in self.plans if c.cluster.name == command.cluster), None)
            if cp is None:
                return CommandResult(False, f"no cluster {command.cluster!r}")
            return await self.run_plan(cp.adapter.set_read_only(self._states[cp.cluster.name], command.read_only),
                                       f"{'read-only' if command.read_only else 'read-write'} {command.cluster}")
        node = command.host if isinstance(command, RunCommand) else command.node
        cp = self._cluster_of(node)
        if cp is None:
            return CommandResult(False, f"no node {node!r} with a host in this topology")
        state = self._states[cp.cluster.name]
        if isinstance(command, RunCommand):
            result = await self.pool.run(self.hosts[node], command.command, timeout=command.timeout)
            return CommandResult(result.ok, result.stdout.strip() if result.ok else result.reason())
        label = f"{type(command).__name__.lower()} {node}"
        if isinstance(command, Promote):
            plan = cp.adapter.promote(state, node)
        elif isinstance(command, Demote):
            plan = cp.adapter.demote(state, node)
        elif isinstance(command, Repoint):
            to = command.to or state.leader
            if to is None or to == node:
                return CommandResult(False, f"repoint {node}: no other leader to follow")
            plan = cp.adapter.repoint(state, node, to)
            label += f" to {to}"
        elif isinstance(command, Fence):
            plan = cp.adapter.fence(state, node)
        else:
            plan = cp.adapter.unfence(state, node)
        return await self.run_plan(plan, label)

    def _placement(self) -> Placement:
        region, zone, addresses = {}, {}, {}
        for cp in self.plans:
            for node, t in zip(cp.cluster.nodes, cp.targets, strict=True):
                region[node.name] = node.region
                zone[node.name] = node_zone(self.topology, node)
                addresses[node.name] = tuple(dict.fromkeys(a for a in (t.host, t.address) if a))
        return Placement(region, zone, addresses)

    async def _fault(self, command: InjectFault | HealFault | HealAll) -> CommandResult:
        if isinstance(command, HealAll):
            results = [await self._heal(f) for f in reversed(list(self._faults))]
            failed = [r.message for r in results if not r.ok]
            return CommandResult(not failed, "; ".join(failed) or f"healed {len(results)} fault(s)")
        fault = command.fault  # parsed and checked against the topology at the edge
        plan = plan_fault(fault, self.plans, self._placement(), self.ssh.nft, self.ssh.latency)
        if isinstance(command, HealFault):
            active = next((f for f in self._faults if f.fault == fault), None)  # A|B heals B|A
            if active is None:
                if plan.inject.refusal:
                    return CommandResult(False, plan.inject.refusal)
                # Injected by another process (a crashed run, the dashboard, --keep-faults): its rollback is
                # rebuilt from the spec, the same commands that process would have run.
                active = _ActiveFault(fault, self.now(), plan)
                self._faults.append(active)
            return await self._heal(active)
        if plan.inject.refusal:
            return CommandResult(False, plan.inject.refusal)
        active = _ActiveFault(fault, self.now(), plan)
        if any(f.fault == fault for f in self._faults):
            # Overlapping copies of one fault: the first did it; this one only keeps it in place longer.
            self._faults.append(active)
            return CommandResult(True, f"injected {fault.spec} (already in place: it stays until every copy heals)")
        self._faults.append(active)
        result = await self.run_plan(plan.inject)
        if not result.ok:  # roll back what part of it did
            await self.run_plan(Plan(tuple(s for s in plan.heal.steps), ""))
            self._faults.remove(active)
            return CommandResult(False, f"injecting {fault.spec} failed and was rolled back: {result.message}")
        return CommandResult(True, f"injected {fault.spec}")

    async def _heal(self, active: _ActiveFault) -> CommandResult:
        if any(f is not active and f.fault == active.fault for f in self._faults):
            # Another copy of the same fault is still injected: the hosts stay as they are until it heals too.
            if active in self._faults:
                self._faults.remove(active)
                self._healed.append(FaultView(active.fault, active.at, self.now()))
            return CommandResult(True, f"healed {active.fault.spec} (another copy keeps it in place)")
        result = await self.run_plan(active.plan.heal)
        if result.ok:
            if active not in self._faults:  # healed meanwhile by another caller (the dashboard and a runbook)
                return CommandResult(True, f"healed {active.fault.spec}")
            self._faults.remove(active)
            self._healed.append(FaultView(active.fault, active.at, self.now()))
            return CommandResult(True, f"healed {active.fault.spec}")
        return CommandResult(False, f"healing {active.fault.spec} failed: {result.message}")

    async def close(self) -> None:
        if self.probe_writer is not None:
            await self.probe_writer.stop()
            settings = self.ssh.probe_writes
            if not self._settled and settings is not None and not settings.keep:
                await self.probe_writer.clean()  # a run that never settled (the dashboard) still tidies up
        if self._round is not None and not self._round.done():
            self._round.cancel()  # a poll left running by a caller that went away
            with contextlib.suppress(asyncio.CancelledError):
                await self._round
        await self.pool.close()


def _region_status(states: list[str]) -> str:
    if not states or all(s == "up" for s in states):
        return "up"
    return "down" if all(s == "down" for s in states) else "degraded"


async def open_ssh_backend(topology: Topology, base_dir: Path | None = None,
                           probe_writes: bool = False) -> SshBackend:
    """Connect to every host of `topology` and take the first snapshot; `probe_writes`: then start them (where
    the topology allows; `status`, the exporter and the sandbox's own checks never write)."""
    backend = SshBackend(topology, base_dir)
    await backend.refresh()
    if probe_writes:
        backend.start_probe_writes()
    return backend
