"""The typed Fault: its kinds, its spec strings (parsed once, at the edge) and the check against a topology.

Pure, no I/O. A new fault kind is a FaultKind member and its row in KINDS here (parsing, the spec, the target
check, the help and the dashboard's picker follow from the row), its handling in the simulator (sim/network.py)
and, where real hosts can do it, in backends/ssh/realfaults.py: see docs/extending.md.

    node:NAME            crash a node               region:NAME         a whole region down
    zone:REGION/ZONE     one zone down              partition:A|B       A and B cannot talk
    partition:A>B        A's packets to B dropped   latency:A|B=300ms   extra one-way delay
    slow:NODE=10x        a node 10x slower          clock:NODE=+2s      a node's clock skewed
    loss:A|B=5%          5% of packets dropped      pause:NODE          a node frozen (SIGSTOP)

In a drill, `SPEC@T+D` starts at T (default 0) and lasts D (default: until the end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from regionctl.units import UnitError, format_duration, parse_duration, parse_factor, parse_percent

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
    LOSS = "loss"
    PAUSE = "pause"


Targets = Literal["node", "region", "zone", "pair"]  # what a kind names: a node, a region, REGION/ZONE, A|B
Value = Literal["", "duration", "factor", "skew", "percent"]  # what follows `=`: nothing, 300ms, 10x, +2s, 5%
# What it does to what it names. lossy: some packets dropped (a cut at 100%); frozen: the node answers nothing
# but keeps its state and beliefs, and acts on them when it resumes.
Effect = Literal["down", "cut", "slower", "skew", "lossy", "frozen"]


@dataclass(frozen=True, slots=True)
class KindInfo:
    """Everything the rest of the code needs to know about a fault kind, in one row."""

    targets: Targets
    value: Value
    effect: Effect
    form: str  # the spec's form, for the help
    help: str
    example: str = ""  # a full spec, quoted when the value is missing
    one_way: bool = False  # pairs: A>B (one direction) is allowed


KINDS: dict[FaultKind, KindInfo] = {
    FaultKind.NODE: KindInfo("node", "", "down", "node:NAME", "crash a node (heal: restart it)"),
    FaultKind.REGION: KindInfo("region", "", "down", "region:NAME", "take a whole region down"),
    FaultKind.ZONE: KindInfo("zone", "", "down", "zone:REGION/ZONE", "take one availability zone down"),
    FaultKind.PARTITION: KindInfo("pair", "", "cut", "partition:A|B",
                                  "cut A from B both ways (A, B: regions or nodes); A>B drops A->B only",
                                  one_way=True),
    FaultKind.LATENCY: KindInfo("pair", "duration", "slower", "latency:A|B=300ms",
                                "add one-way delay between A and B", "latency:us-east|eu-west=300ms"),
    FaultKind.SLOW: KindInfo("node", "factor", "slower", "slow:NODE=10x",
                             "make a node 10x slower at applying and serving", "slow:pg-2=10x"),
    FaultKind.CLOCK: KindInfo("node", "skew", "skew", "clock:NODE=+2s",
                              "skew a node's clock (matters for last-writer-wins)", "clock:pg-2=+2s"),
    FaultKind.LOSS: KindInfo("pair", "percent", "lossy", "loss:A|B=5%",
                             "drop each packet between A and B with this probability, both ways",
                             "loss:us-east|eu-west=5%"),
    FaultKind.PAUSE: KindInfo("node", "", "frozen", "pause:NODE",
                              "freeze a node (SIGSTOP: a GC pause, a frozen VM); heal resumes it on stale beliefs"),
}

FAULT_KINDS: tuple[str, ...] = tuple(kind.value for kind in FaultKind)
SYMMETRIC = frozenset(k for k, info in KINDS.items() if info.targets == "pair")  # A|B is B|A (not one-way)
OUTAGES = frozenset(k for k, info in KINDS.items() if info.effect == "down")  # what they reach is down
# The outage of a region, of a zone, of a node: what `explore` narrows a finding through (region -> zone -> node).
OUTAGE_OF: dict[Targets, FaultKind] = {info.targets: k for k, info in KINDS.items() if info.effect == "down"}
FAULT_HELP = "\n".join(f"{info.form:<19} {info.help}" for info in KINDS.values())


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
    value: float = 0.0  # latency seconds, slowness factor, skew seconds, loss probability (0..1)

    @property
    def info(self) -> KindInfo:
        return KINDS[self.kind]

    @property
    def target(self) -> str:
        """What it names: a node, a region, "region/zone", or "a|b" / "a>b"."""
        targets = self.info.targets
        if targets == "zone":
            return f"{self.a}/{self.b}"
        if targets == "pair":
            return f"{self.a}{'>' if self.one_way else '|'}{self.b}"
        return self.a

    @property
    def spec(self) -> str:
        value = self.info.value
        if not value:
            return f"{self.kind}:{self.target}"
        if value == "duration":
            shown = format_duration(self.value)
        elif value == "factor":
            shown = f"{self.value:g}x"
        elif value == "percent":
            shown = f"{round(self.value * 100, 9):g}%"
        else:
            shown = ("+" if self.value >= 0 else "-") + format_duration(abs(self.value))
        return f"{self.kind}:{self.target}={shown}"

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
    """A fault with when it starts and, optionally, how long it lasts."""

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
    fault_kind = FaultKind(kind)
    info = KINDS[fault_kind]
    target, value_text = rest, ""
    if info.value:
        target, eq, value_text = rest.partition("=")
        if not eq:
            raise FaultSpecError(f"expected a value after '=' such as {info.example}, found {text!r}")
    a, b, one_way = target, "", False
    if info.targets == "zone":
        a, slash, b = target.partition("/")
        if not slash or not a or not b:
            raise FaultSpecError(f"expected zone:REGION/ZONE such as zone:us-east/a, found {text!r}")
    elif info.targets == "pair":
        match = _PAIR.match(target)
        if not match or (match.group(2) == ">" and not info.one_way):
            placeholder = "PERCENT" if info.value == "percent" else "DELAY"
            forms = f"{kind}:A|B or {kind}:A>B" if info.one_way else f"{info.form.split('=')[0]}={placeholder}"
            raise FaultSpecError(f"expected {forms}, found {text!r}")
        a, b, one_way = match.group(1), match.group(3), match.group(2) == ">"
    try:
        value = 0.0
        if info.value == "duration":
            value = parse_duration(value_text)
        elif info.value == "factor":
            value = parse_factor(value_text)
        elif info.value == "percent":
            value = parse_percent(value_text)
        elif info.value == "skew":
            sign = -1.0 if value_text.startswith("-") else 1.0
            value = sign * parse_duration(value_text.lstrip("+-"))
    except UnitError as exc:
        raise FaultSpecError(f"{text!r}: {exc}") from None
    return Fault(fault_kind, a, b, one_way=one_way, value=value)


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

    targets = fault.info.targets
    if targets == "region":
        need(fault.a, regions, "region")
    elif targets == "node":
        need(fault.a, nodes, "node")
    elif targets == "zone":
        need(fault.a, regions, "region")
        need(fault.b, topology.region(fault.a).zones, f"zone in {fault.a}")
    else:
        for end in (fault.a, fault.b):
            need(end, regions + nodes, "region or node")
        if fault.a == fault.b:
            raise FaultSpecError(f"{fault.spec}: expected two different ends, found {fault.a!r} twice")
