"""Before anything runs: what a condition may call and name, its fields, and comparisons that
could never hold (a number against a string), each reported at its column."""

from __future__ import annotations

from dataclasses import dataclass

from regionctl.runbook.expr import Attr, BoolOp, Call, Compare, ExprError, Literal, Node, Ref, render

# -- the functions a condition may call ------------------------------------------------------
# name -> (argument kind, what it returns, help line)
FUNCTIONS: dict[str, tuple[str, str]] = {
    "leader": ("cluster", "the cluster's leader (a node: .name .region .zone .role .health .term), or null"),
    "node": ("node", "a node: .name .region .zone .role .health .term .lag .lag_ops"),
    "lag": ("node", "replication lag of a node, in seconds (infinite while it is down)"),
    "lag_ops": ("node", "replication lag of a node, in operations (infinite while it is down)"),
    "role": ("node", "leader | follower | replica | candidate | old-leader"),
    "health": ("node", "up | down | isolated"),
    "term": ("cluster", "the cluster's term / epoch / timeline"),
    "writable": ("cluster", "true when the cluster accepts writes right now"),
    "availability": ("cluster", "share of requests served so far (0..1; compare with 99.9%)"),
    "election": ("cluster", "what the failover machinery is doing (empty when nothing)"),
    "metrics": ("cluster", "the cluster's figures: .writes_lost .rpo_seconds .rto_seconds .stale_reads ..."),
    "consistency": ("cluster", "what the probe sessions saw so far (a cluster with a `consistency` promise): "
                               ".verdict (ok | violated | unknown) .anomalies .operations, and anomalies per "
                               "model: .linearizable .read_your_writes .monotonic_reads .causal ..."),
    "region": ("region", "a region: .name .status (up | down | degraded | isolated)"),
    "tenant": ("tenant", "a tenant: .name .status (ok | degraded | down)"),
    "service": ("service", "a service: .name .status (ok | degraded | down)"),
}
# Bare names that are not run figures.
SPECIAL_NAMES = {"time": "simulated or wall time of the state, seconds",
                 "elapsed": "seconds since the run started",
                 "faults": "how many faults are injected right now"}


@dataclass(frozen=True)
class Names:
    """What a condition may name: checked before anything runs."""
    node: frozenset[str]
    cluster: frozenset[str]
    region: frozenset[str]
    tenant: frozenset[str] = frozenset()
    service: frozenset[str] = frozenset()
    figures: frozenset[str] = frozenset()  # bare names: the run's metrics


NODE_FIELDS = {"name": "string", "region": "string", "zone": "string", "role": "string", "health": "string",
               "cluster": "string", "term": "number", "lag": "number", "lag_ops": "number"}
RECORD_FIELDS: dict[str, dict[str, str]] = {
    "leader": NODE_FIELDS, "node": NODE_FIELDS,
    "region": {"name": "string", "status": "string"},
    "tenant": {"name": "string", "status": "string", "model": "string"},
    "service": {"name": "string", "status": "string"},
    # The probe checks' figures (sim/probe_checks.py): every model the checker knows, by field name.
    "consistency": {"name": "string", "model": "string", "verdict": "string", "anomalies": "number",
                    "operations": "number", "linearizable": "number", "causal": "number",
                    "read_your_writes": "number", "monotonic_reads": "number", "monotonic_writes": "number",
                    "writes_follow_reads": "number"},
}
RETURNS = {"lag": "number", "lag_ops": "number", "term": "number", "availability": "number", "writable": "bool",
           "role": "string", "health": "string", "election": "string"}


def static_type(node: Node) -> str:
    """What a value is known to be before anything runs: number, string, bool, record or any."""
    if isinstance(node, Literal):
        value = node.value
        if value is None:
            return "any"
        if isinstance(value, bool):
            return "bool"
        return "number" if isinstance(value, (int, float)) else "string"
    if isinstance(node, Ref):
        return "number"  # every figure of the run is a number (or not known yet)
    if isinstance(node, Call):
        return RETURNS.get(node.func, "record")
    if isinstance(node, Attr):
        if isinstance(node.target, Call):
            fields = RECORD_FIELDS.get(node.target.func)
            if fields is not None:
                return fields.get(node.name, "any")
        return "any"
    return "bool"


def check(node: Node, names: Names) -> None:
    """Raise ExprError at the right column for unknown functions, arguments, names and fields, and
    for comparisons that could never hold (a number against a string)."""
    if isinstance(node, Literal):
        return
    if isinstance(node, Ref):
        if node.name not in names.figures and node.name not in SPECIAL_NAMES:
            known = ", ".join(sorted(names.figures | SPECIAL_NAMES.keys()))
            raise ExprError(f"unknown name {node.name!r}; a bare name is a figure of the run, one of: {known}",
                            node.column)
        return
    if isinstance(node, Call):
        spec = FUNCTIONS.get(node.func)
        if spec is None:
            raise ExprError(f"unknown function {node.func}(); known: {', '.join(sorted(FUNCTIONS))}", node.column)
        kind = spec[0]
        if len(node.args) != 1:
            raise ExprError(f"{node.func}() takes one {kind} name, got {len(node.args)} argument(s)", node.column)
        pool: frozenset[str] = getattr(names, kind)
        if node.args[0] not in pool:
            choices = ", ".join(sorted(pool)) or "none in this topology"
            raise ExprError(f"{node.func}(): no {kind} named {node.args[0]!r} (known: {choices})", node.column)
        return
    if isinstance(node, Attr):
        check(node.target, names)
        if isinstance(node.target, Call):
            fields = RECORD_FIELDS.get(node.target.func)
            if fields is not None and node.name not in fields:
                raise ExprError(f"{node.target.func}() has no field {node.name!r} (fields: "
                                f"{', '.join(sorted(fields))})", node.column)
            if fields is None and node.target.func != "metrics":
                raise ExprError(f"{node.target.func}() is a {RETURNS.get(node.target.func, 'value')}, it has no "
                                f"fields", node.column)
        return
    if isinstance(node, Compare):
        check(node.left, names)
        check(node.right, names)
        left, right = static_type(node.left), static_type(node.right)
        comparable = {left, right} <= {"number", "any"} or {left, right} <= {"string", "any", "record"} \
            or {left, right} <= {"bool", "any"} or "any" in (left, right)
        if not comparable or (node.op not in ("==", "!=") and "bool" in (left, right)):
            raise ExprError(f"cannot compare {render(node.left)} ({left}) with {render(node.right)} ({right})"
                            + ("; durations and percentages take no quotes" if "string" in (left, right) else ""),
                            node.column)
        return
    for operand in node.operands:
        check(operand, names)


def names_in(node: Node) -> set[tuple[str, str]]:
    """(function, argument) pairs the condition reads, e.g. {("lag", "pg-3")}."""
    if isinstance(node, Call):
        return {(node.func, a) for a in node.args}
    if isinstance(node, Attr):
        return names_in(node.target)
    if isinstance(node, Compare):
        return names_in(node.left) | names_in(node.right)
    if isinstance(node, BoolOp):
        out: set[tuple[str, str]] = set()
        for operand in node.operands:
            out |= names_in(operand)
        return out
    return set()
