"""The typed Fault: its kinds, its spec strings (parsed once, at the edge) and the check against a topology.

Pure, no I/O. A new fault kind is added here (FaultKind, parse_fault, Fault.spec, check_targets), in the
simulator (sim/network.py) and, where real hosts can do it, in backends/ssh/realfaults.py: see docs/extending.md.

    node:NAME            crash a node               region:NAME         a whole region down
    zone:REGION/ZONE     one zone down              partition:A|B       A and B cannot talk
    partition:A>B        A's packets to B dropped   latency:A|B=300ms   extra one-way delay
    slow:NODE=10x        a node 10x slower          clock:NODE=+2s      a node's clock skewed

In a drill, `SPEC@T+D` starts at T (default 0) and lasts D (default: until the end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from regionctl.units import UnitError, format_duration, parse_duration, parse_factor

if TYPE_CHECKING:
    from regionctl.model.topology import Topology


class FaultKind(StrEnum):
    NODE = "node"
    REGION = "region"
    ZONE = "zone"
    PARTITION = "partition"
    LATENCY = "latency"
    SLOW = "slow"
    CLOCK = "clock"


FAULT_KINDS: tuple[str, ...] = tuple(kind.value for kind in FaultKind)
SYMMETRIC = frozenset({FaultKind.PARTITION, FaultKind.LATENCY})  # A|B is B|A (unless one-way)
OUTAGES = frozenset({FaultKind.NODE, FaultKind.REGION, FaultKind.ZONE})  # what they reach is down

FAULT_HELP = """\
node:NAME           crash a node (heal: restart it)
region:NAME         take a whole region down
zone:REGION/ZONE    take one availability zone down
partition:A|B       cut A from B both ways (A, B: regions or nodes); A>B drops A->B only
latency:A|B=300ms   add one-way delay between A and B
slow:NODE=10x       make a node 10x slower at applying and serving
clock:NODE=+2s      skew a node's clock (matters for last-writer-wins)"""


class FaultSpecError(ValueError):
    """A fault spec that cannot be parsed or names something that does not exist."""


@dataclass(frozen=True, slots=True, eq=False)
class Fault:
    """One fault, parsed once at the edge (CLI, YAML, TUI picker) and carried as is by Commands, Snapshots,
    the journal and the reports. `a` is the node or region (zone: the region, `b` the zone; pairs: the two
    ends in the order given). Identity is canonical: partition:A|B == partition:B|A, and so for latency;
    `spec` keeps the order given, for display, the journal and JSON."""

    kind: FaultKind
    a: str
    b: str = ""
    one_way: bool = False
    value: float = 0.0  # latency seconds, slowness factor, skew seconds

    @property
    def target(self) -> str:
        """What it names: a node, a region, "region/zone", or "a|b" / "a>b"."""
        if self.kind == FaultKind.ZONE:
            return f"{self.a}/{self.b}"
        if self.kind in SYMMETRIC:
            return f"{self.a}{'>' if self.one_way else '|'}{self.b}"
        return self.a

    @property
    def spec(self) -> str:
        kind = self.kind
        if kind in (FaultKind.NODE, FaultKind.REGION, FaultKind.ZONE, FaultKind.PARTITION):
            return f"{kind}:{self.target}"
        if kind == FaultKind.LATENCY:
            return f"latency:{self.target}={format_duration(self.value)}"
        if kind == FaultKind.SLOW:
            return f"slow:{self.target}={self.value:g}x"
        sign = "+" if self.value >= 0 else "-"
        return f"clock:{self.target}={sign}{format_duration(abs(self.value))}"

    def _identity(self) -> tuple[object, ...]:
        ends: object = (self.a, self.b)
        if self.kind in SYMMETRIC and not self.one_way:
            ends = frozenset((self.a, self.b))
        return (self.kind, ends, self.one_way, self.value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fault):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __str__(self) -> str:
        return self.spec


@dataclass(frozen=True, slots=True)
class ScheduledFault:
    fault: Fault
    at: float = 0.0
    duration: float | None = None  # None: until the end

    @property
    def heal_at(self) -> float | None:
        return None if self.duration is None else self.at + self.duration


_PAIR = re.compile(r"^([^|>=]+)([|>])([^|>=]+)$")


def parse_fault(text: str) -> Fault:
    """Parse one fault spec (without @T+D)."""
    raw = text.strip()
    kind, sep, rest = raw.partition(":")
    if not sep or not rest:
        # One line: it becomes a FILE:LINE:COL diagnostic or a `regionctl: ...` error (the help lists the forms).
        raise FaultSpecError(f"expected KIND:TARGET such as region:us-east, found {text!r} "
                             f"(kinds: {', '.join(FAULT_KINDS)})")
    if kind not in FAULT_KINDS:
        from regionctl.model.suggest import did_you_mean

        hint = did_you_mean(kind, FAULT_KINDS)
        raise FaultSpecError(f"unknown fault kind {kind!r}{hint}; expected one of {', '.join(FAULT_KINDS)}")
    try:
        kind_ = FaultKind(kind)
        if kind in ("node", "region"):
            return Fault(kind_, rest)
        if kind == "zone":
            region, slash, zone = rest.partition("/")
            if not slash or not region or not zone:
                raise FaultSpecError(f"expected zone:REGION/ZONE such as zone:us-east/a, found {text!r}")
            return Fault(kind_, region, zone)
        if kind == "partition":
            match = _PAIR.match(rest)
            if not match:
                raise FaultSpecError(f"expected partition:A|B or partition:A>B, found {text!r}")
            return Fault(kind_, match.group(1), match.group(3), one_way=match.group(2) == ">")
        target, eq, value = rest.partition("=")
        if not eq:
            example = {"latency": "latency:us-east|eu-west=300ms", "slow": "slow:pg-2=10x",
                       "clock": "clock:pg-2=+2s"}[kind]
            raise FaultSpecError(f"expected a value after '=' such as {example}, found {text!r}")
        if kind == "latency":
            match = _PAIR.match(target)
            if not match or match.group(2) != "|":
                raise FaultSpecError(f"expected latency:A|B=DELAY, found {text!r}")
            return Fault(kind_, match.group(1), match.group(3), value=parse_duration(value))
        if kind == "slow":
            return Fault(kind_, target, value=parse_factor(value))
        sign = -1.0 if value.startswith("-") else 1.0
        return Fault(kind_, target, value=sign * parse_duration(value.lstrip("+-")))
    except UnitError as exc:
        raise FaultSpecError(f"{text!r}: {exc}") from None


def parse_scheduled(text: str) -> ScheduledFault:
    """`SPEC[@T][+D]`; a `+` right after `=` belongs to a clock skew, not to the duration."""
    spec, at_text, duration_text = text.strip(), None, None
    if "@" in spec:
        spec, _, tail = spec.rpartition("@")
        at_text, plus, duration_text = tail.partition("+")
        if not plus:
            duration_text = None
    else:
        match = re.match(r"^(.*[^=])\+([0-9.]+[a-zµ]+)$", spec)
        if match:
            spec, duration_text = match.group(1), match.group(2)
    fault = parse_fault(spec)
    try:
        at = parse_duration(at_text) if at_text else 0.0
        duration = parse_duration(duration_text) if duration_text else None
    except UnitError as exc:
        raise FaultSpecError(f"{text!r}: {exc} (the form is SPEC@START+DURATION, e.g. region:us-east@60s+5m)") from None
    return ScheduledFault(fault, at, duration)


def check_targets(fault: Fault, topology: Topology) -> None:
    """Raise FaultSpecError if the fault names something the topology does not have."""
    from regionctl.model.suggest import did_you_mean

    regions = [r.name for r in topology.regions]
    nodes = [n.name for c in topology.clusters for n in c.nodes]

    def need(name: str, choices: list[str], what: str) -> None:
        if name not in choices:
            hint = did_you_mean(name, choices)
            raise FaultSpecError(f"{fault.spec}: no {what} named {name!r}{hint} (have: {', '.join(choices)})")

    if fault.kind == "region":
        need(fault.target, regions, "region")
    elif fault.kind in ("node", "slow", "clock"):
        need(fault.target, nodes, "node")
    elif fault.kind == "zone":
        need(fault.a, regions, "region")
        need(fault.b, topology.region(fault.a).zones, f"zone in {fault.a}")
    else:
        for end in (fault.a, fault.b):
            need(end, regions + nodes, "region or node")
        if fault.a == fault.b:
            raise FaultSpecError(f"{fault.spec}: expected two different ends, found {fault.a!r} twice")
