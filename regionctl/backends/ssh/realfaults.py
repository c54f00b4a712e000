"""Faults on real hosts, each a plan to inject and a plan to roll back (pure: builds commands only).

    node:N        stop N's engine (adapter stop)        heal: start it
    region:R      stop every node of R                  heal: start them
    zone:R/Z      stop every node of the zone           heal: start them
    partition:A|B nftables table on A's and B's hosts dropping the other side's addresses
                  (A>B: only A's packets to B)          heal: delete the table
                  The table is named after the spec, so any later process (`regionctl recover`) can heal it.
    latency:A|B=X the topology's `ssh.latency` command on one host of each side (e.g. a delay proxy's
                  setting)                              heal: the same command with 0 seconds
    loss:A|B=P    nftables table on A's and B's hosts dropping each packet to the other side with probability
                  P (`numgen random`, at egress only, so each packet is judged once)   heal: delete the table
    pause:N       the node's `adapter.pause` command (the sandbox's SIGSTOPs every process of the node: Patroni
                  and its PostgreSQL, Redis, etcd)              heal: `adapter.resume` (SIGCONT); a plan that
                  fails or is aborted runs the heal too, so no process is left stopped
slow and clock faults, and latency without `ssh.latency`, are refused with a reason.
"""

from __future__ import annotations

import hashlib
import ipaddress
import shlex
import string
from dataclasses import dataclass

from regionctl.backends.ssh.adapters.base import Plan, Step, quote
from regionctl.backends.ssh.targets import ClusterPlan
from regionctl.contract.faults import Fault


@dataclass(frozen=True, slots=True)
class FaultPlan:
    inject: Plan
    heal: Plan


@dataclass(frozen=True, slots=True)
class Placement:
    """Where each node lives: its region, zone and addresses (login host and engine address)."""

    region: dict[str, str]
    zone: dict[str, str]
    addresses: dict[str, tuple[str, ...]]


def _stop_start(plans: list[ClusterPlan], nodes: set[str], what: str) -> FaultPlan:
    inject: list[Step] = []
    heal: list[Step] = []
    for cp in plans:
        for t in cp.targets:
            if t.node not in nodes:
                continue
            stop, start = cp.adapter.stop(t), cp.adapter.start(t)
            if stop.refusal or start.refusal:
                return FaultPlan(Plan.refuse(f"{what}: {stop.refusal or start.refusal}"), Plan())
            inject += [Step(s.node, s.command, s.timeout, check=False) for s in stop.steps]  # already down is fine
            heal += start.steps
    if not inject:
        return FaultPlan(Plan.refuse(f"{what}: no node with a host there"), Plan())
    return FaultPlan(Plan(tuple(inject)), Plan(tuple(heal)))


def _side(name: str, placement: Placement) -> set[str]:
    """Nodes of a partition side: a region's nodes, or one node."""
    if name in placement.region:
        return {name}
    return {n for n, r in placement.region.items() if r == name}


def _pause(plans: list[ClusterPlan], fault: Fault) -> FaultPlan:
    for cp in plans:
        for t in cp.targets:
            if t.node != fault.a:
                continue
            pause, resume = cp.adapter.pause(t), cp.adapter.resume(t)
            if pause.refusal or resume.refusal:
                return FaultPlan(Plan.refuse(f"{fault.spec}: {pause.refusal or resume.refusal}"), Plan())
            # A pause that half worked (one process stopped, then an error) is resumed by the heal all the same.
            return FaultPlan(pause, resume)
    return FaultPlan(Plan.refuse(f"{fault.spec}: no node with a host there"), Plan())


def table_name(fault: Fault) -> str:
    """One name per fault: a heal from another process (recover after a crash) finds the same table, however
    the two sides of a two-way partition were ordered."""
    kind = str(fault.kind)
    ends = "|".join(sorted((fault.a, fault.b)))
    key = fault.spec if fault.one_way else f"partition:{ends}" if kind == "partition" else f"{kind}:{ends}"
    return f"regionctl_fault_{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def partition_commands(nft: str, table: str, drop_out: list[str], drop_in: list[str]) -> str:
    """One nft invocation (atomic): a table whose output/input chains drop the given peer addresses."""
    script = [f"add table inet {table}",
              f"add chain inet {table} out {{ type filter hook output priority 0 ; }}",
              f"add chain inet {table} in {{ type filter hook input priority 0 ; }}"]
    for family, addrs_out, addrs_in in (("ip", drop_out, drop_in), ("ip6", drop_out, drop_in)):
        outs = [a for a in addrs_out if (":" in a) == (family == "ip6")]
        ins = [a for a in addrs_in if (":" in a) == (family == "ip6")]
        if outs:
            script.append(f"add rule inet {table} out {family} daddr {{ {', '.join(outs)} }} drop")
        if ins:
            script.append(f"add rule inet {table} in {family} saddr {{ {', '.join(ins)} }} drop")
    return quote(nft, "; ".join(script))


def plan_fault(fault: Fault, plans: list[ClusterPlan], placement: Placement, nft: str,
               latency: str | None = None) -> FaultPlan:
    if fault.kind == "node":
        return _stop_start(plans, {fault.target}, fault.spec)
    if fault.kind == "region":
        return _stop_start(plans, {n for n, r in placement.region.items() if r == fault.target}, fault.spec)
    if fault.kind == "zone":
        region, _, zone = fault.target.partition("/")
        nodes = {n for n, r in placement.region.items() if r == region and placement.zone.get(n) == zone}
        return _stop_start(plans, nodes, fault.spec)
    if fault.kind == "partition":
        return _partition(fault, placement, nft)
    if fault.kind == "loss":
        return _loss(fault, placement, nft)
    if fault.kind == "pause":
        return _pause(plans, fault)
    if fault.kind == "latency" and latency:
        return _latency(fault, placement, latency)
    return FaultPlan(Plan.refuse(
        f"{fault.spec}: {fault.kind} faults are not available on real hosts (no netem qdisc or delay proxy "
        "on this path); use the simulator for them"), Plan())


LOSS_SCALE = 10000  # numgen's range: the probability in hundredths of a percent


def loss_commands(nft: str, table: str, peers: list[str], probability: float) -> str:
    """One nft invocation (atomic): a table whose output chain drops each packet to the peer addresses with
    `probability` (0%: the table and its chain only, so that the heal is the same)."""
    script = [f"add table inet {table}",
              f"add chain inet {table} out {{ type filter hook output priority 0 ; }}"]
    threshold = round(probability * LOSS_SCALE)
    for family in ("ip", "ip6"):
        addrs = [a for a in peers if (":" in a) == (family == "ip6")]
        if addrs and threshold > 0:
            # Two counters, for whoever looks (`nft list table inet regionctl_fault_...`): every packet to the
            # other side, and those dropped.
            peers_set = f"{family} daddr {{ {', '.join(addrs)} }}"
            script.append(f"add rule inet {table} out {peers_set} counter")
            script.append(f"add rule inet {table} out {peers_set} numgen random mod {LOSS_SCALE} < {threshold} "
                          "counter drop")
    return quote(nft, "; ".join(script))


def _sides(fault: Fault, placement: Placement) -> tuple[set[str], set[str], list[str], list[str]] | str:
    """Each side's nodes and addresses, or why the fault cannot be made with nftables."""
    side_a, side_b = _side(fault.a, placement), _side(fault.b, placement)
    if not side_a or not side_b:
        return f"{fault.spec}: no node with a host on one side"
    addrs_a = sorted({a for n in side_a for a in placement.addresses[n] if _is_ip(a)})
    addrs_b = sorted({a for n in side_b for a in placement.addresses[n] if _is_ip(a)})
    if not addrs_a or not addrs_b or any(ipaddress.ip_address(a).is_loopback and a.startswith("127.0.0.")
                                         for a in addrs_a + addrs_b):
        return (f"{fault.spec}: {fault.kind} faults need each side's hosts and engines on their own IP addresses "
                "(not 127.0.0.1 or host names)")
    return side_a, side_b, addrs_a, addrs_b


def _loss(fault: Fault, placement: Placement, nft: str) -> FaultPlan:
    sides = _sides(fault, placement)
    if isinstance(sides, str):
        return FaultPlan(Plan.refuse(sides), Plan())
    side_a, side_b, addrs_a, addrs_b = sides
    table = table_name(fault)
    inject: list[Step] = []
    heal: list[Step] = []
    seen: set[str] = set()
    for nodes, peers in ((side_a, addrs_b), (side_b, addrs_a)):
        for node in sorted(nodes):
            host = placement.addresses[node][0]
            if host in seen:
                continue
            seen.add(host)
            inject.append(Step(node, loss_commands(nft, table, peers, fault.value), 10.0))
            heal.append(Step(node, quote(nft, f"add table inet {table}; delete table inet {table}"), 10.0))
    return FaultPlan(Plan(tuple(inject)), Plan(tuple(heal)))


def _partition(fault: Fault, placement: Placement, nft: str) -> FaultPlan:
    side_a, side_b = _side(fault.a, placement), _side(fault.b, placement)
    if not side_a or not side_b:
        return FaultPlan(Plan.refuse(f"{fault.spec}: no node with a host on one side"), Plan())
    addrs_a = sorted({a for n in side_a for a in placement.addresses[n] if _is_ip(a)})
    addrs_b = sorted({a for n in side_b for a in placement.addresses[n] if _is_ip(a)})
    if not addrs_a or not addrs_b or any(ipaddress.ip_address(a).is_loopback and a.startswith("127.0.0.")
                                         for a in addrs_a + addrs_b):
        return FaultPlan(Plan.refuse(f"{fault.spec}: partitions need each side's hosts and engines on their own "
                                     "IP addresses (not 127.0.0.1 or host names)"), Plan())
    table = table_name(fault)
    inject: list[Step] = []
    heal: list[Step] = []
    seen: set[str] = set()
    for nodes, drop_out, drop_in in ((side_a, addrs_b, [] if fault.one_way else addrs_b),
                                     (side_b, [] if fault.one_way else addrs_a, addrs_a)):
        for node in sorted(nodes):
            host = placement.addresses[node][0]
            if host in seen:  # one table per host, even with several nodes on it
                continue
            seen.add(host)
            inject.append(Step(node, partition_commands(nft, table, drop_out, drop_in), 10.0))
            # add-then-delete: healing a partition that is already gone (or was never made here) succeeds
            heal.append(Step(node, quote(nft, f"add table inet {table}; delete table inet {table}"), 10.0))
    return FaultPlan(Plan(tuple(inject)), Plan(tuple(heal)))


def _latency(fault: Fault, placement: Placement, template: str) -> FaultPlan:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if not names <= {"region", "peer", "seconds"}:
        return FaultPlan(Plan.refuse(f"ssh.latency: unknown placeholder in {template!r}; "
                                     "known: {region}, {peer}, {seconds}"), Plan())
    region_a = placement.region.get(fault.a, fault.a)  # a side may be a node: its region's links
    region_b = placement.region.get(fault.b, fault.b)
    sides = [(region_a, region_b)] + ([] if fault.one_way else [(region_b, region_a)])
    inject: list[Step] = []
    heal: list[Step] = []
    for region, peer in sides:
        host_node = next((n for n, r in sorted(placement.region.items()) if r == region), None)
        if host_node is None:
            return FaultPlan(Plan.refuse(f"{fault.spec}: no node with a host in {region}"), Plan())
        for seconds, steps in ((fault.value, inject), (0.0, heal)):
            values = {"region": region, "peer": peer, "seconds": f"{seconds:g}"}
            steps.append(Step(host_node, template.format(**{k: shlex.quote(v) for k, v in values.items()}), 10.0))
    return FaultPlan(Plan(tuple(inject)), Plan(tuple(heal)))
