"""Fault specs (the README, `regionctl drill --help`): parsing and checking against a topology. Pure, no I/O.

    node:NAME            crash a node               region:NAME         a whole region down
    zone:REGION/ZONE     one zone down              partition:A|B       A and B cannot talk
    partition:A>B        A's packets to B dropped   latency:A|B=300ms   extra one-way delay
    slow:NODE=10x        a node 10x slower          clock:NODE=+2s      a node's clock skewed

In a drill, `SPEC@T+D` starts at T (default 0) and lasts D (default: until the end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from regionctl.units import UnitError, format_duration, parse_duration, parse_factor

if TYPE_CHECKING:
    from regionctl.model.topology import Topology

FaultKind = Literal["node", "region", "zone", "partition", "latency", "slow", "clock"]
FAULT_KINDS: tuple[str, ...] = ("node", "region", "zone", "partition", "latency", "slow", "clock")

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


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    target: str  # node, region, "region/zone", or "a|b" / "a>b"
    a: str = ""
    b: str = ""
    one_way: bool = False
    value: float = 0.0  # latency seconds, slowness factor, skew seconds

    @property
    def spec(self) -> str:
        if self.kind in ("node", "region", "zone"):
            return f"{self.kind}:{self.target}"
        if self.kind == "partition":
            return f"partition:{self.target}"
        if self.kind == "latency":
            return f"latency:{self.target}={format_duration(self.value)}"
        if self.kind == "slow":
            return f"slow:{self.target}={self.value:g}x"
        sign = "+" if self.value >= 0 else "-"
        return f"clock:{self.target}={sign}{format_duration(abs(self.value))}"


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
        if kind in ("node", "region"):
            return Fault(kind, rest)
        if kind == "zone":
            region, slash, zone = rest.partition("/")
            if not slash or not region or not zone:
                raise FaultSpecError(f"expected zone:REGION/ZONE such as zone:us-east/a, found {text!r}")
            return Fault(kind, rest, a=region, b=zone)
        if kind == "partition":
            match = _PAIR.match(rest)
            if not match:
                raise FaultSpecError(f"expected partition:A|B or partition:A>B, found {text!r}")
            return Fault(kind, rest, a=match.group(1), b=match.group(3), one_way=match.group(2) == ">")
        target, eq, value = rest.partition("=")
        if not eq:
            example = {"latency": "latency:us-east|eu-west=300ms", "slow": "slow:pg-2=10x",
                       "clock": "clock:pg-2=+2s"}[kind]
            raise FaultSpecError(f"expected a value after '=' such as {example}, found {text!r}")
        if kind == "latency":
            match = _PAIR.match(target)
            if not match or match.group(2) != "|":
                raise FaultSpecError(f"expected latency:A|B=DELAY, found {text!r}")
            return Fault(kind, target, a=match.group(1), b=match.group(3), value=parse_duration(value))
        if kind == "slow":
            return Fault(kind, target, value=parse_factor(value))
        sign = -1.0 if value.startswith("-") else 1.0
        return Fault(kind, target, value=sign * parse_duration(value.lstrip("+-")))
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
