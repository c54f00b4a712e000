"""From a runbook as written to a plan the executor can follow, checked before anything runs.

`${param}` substitution, schema validation, step order (`needs`, then file order),
fault specs and action targets resolved against the topology, conditions parsed and
their names checked. Every problem carries its place in the file (a field path and,
for conditions, the column inside the expression) so that the CLI prints FILE:LINE:COL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from regionctl.contract.commands import (
    Command,
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
    Unfence,
)
from regionctl.contract.faults import FaultSpecError, check_targets, parse_fault
from regionctl.model import check_cache
from regionctl.model.runbook import MAX_BACKOFF_TOTAL, MAX_WAIT_POLLS, Guard, Runbook, Step
from regionctl.model.topology import Topology
from regionctl.runbook import checks, expr
from regionctl.units import UnitError, parse_duration

Loc = tuple[str | int, ...]
MUTATING_KINDS = {"fault", "heal", "action"}
DEFAULT_WAIT_TIMEOUT = 300.0
# Figures a bare name in a condition may refer to (Snapshot.metrics of the backends).
FIGURES = frozenset({
    "availability", "writes_attempted", "writes_acked", "writes_failed", "writes_lost", "rpo_seconds",
    "rto_seconds", "max_lag_seconds", "reads_attempted", "stale_reads", "split_brain_seconds",
    "write_latency_p50", "write_latency_p99", "read_latency_p50", "read_latency_p99", "conflicts",
    "lost_updates",
})
_VAR = re.compile(r"\$\{([A-Za-z0-9_-]+)\}")


@dataclass(frozen=True)
class Problem:
    """A problem found while planning a runbook, at a place inside it."""

    loc: Loc  # inside the runbook (the caller prefixes where the runbook sits in its file)
    message: str
    column: int | None = None  # inside a condition's text


class PlanError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class PlannedStep:
    """A step checked against the topology, with its command or condition parsed."""

    step: Step
    section: str  # steps | rollback
    index: int  # position in its section of the file
    command: Command | None = None
    condition: expr.Node | None = None

    @property
    def id(self) -> str:
        return self.step.id

    @property
    def mutating(self) -> bool:
        return self.step.kind in MUTATING_KINDS

    @property
    def loc(self) -> Loc:
        return (self.section, self.index)

    def describe(self) -> str:
        s = self.step
        if s.kind == "fault":
            return f"inject {s.fault}"
        if s.kind == "heal":
            return f"heal {s.fault}" if s.fault else "heal every fault"
        if s.kind == "action":
            if s.action == "command":
                return f"run on {s.target}: {s.command}"
            extra = "".join(f" {k}={v}" for k, v in sorted(s.args.items()))
            return f"{s.action} {s.target}{extra}"
        if s.kind in ("wait", "check"):
            return f"{s.kind} {s.condition}"
        if s.kind == "approve":
            return f"approval gate: {s.text or s.id}"
        if s.kind == "note":
            return f"note: {s.text or ''}"
        return "record RTO, RPO and lag"

    def wait_timeout(self) -> float:
        return self.step.timeout if self.step.timeout is not None else DEFAULT_WAIT_TIMEOUT


@dataclass(frozen=True)
class Plan:
    """A runbook checked against a topology and ready to run."""

    runbook: Runbook
    params: dict[str, str]
    secrets: frozenset[str]  # values never to be written anywhere
    steps: tuple[PlannedStep, ...]
    rollback: tuple[PlannedStep, ...]
    prechecks: tuple[tuple[str, expr.Node], ...]
    guards: tuple[tuple[Guard, expr.Node], ...]
    slo: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.runbook.name


def names_of(topology: Topology) -> checks.Names:
    return checks.Names(
        node=frozenset(n.name for c in topology.clusters for n in c.nodes),
        cluster=frozenset(c.name for c in topology.clusters),
        region=frozenset(r.name for r in topology.regions),
        tenant=frozenset(t.name for t in topology.tenants),
        service=frozenset(s.name for s in topology.services),
        figures=FIGURES,
    )


def _param_values(raw: Mapping[str, Any], given: Mapping[str, str],
                  env: Mapping[str, str]) -> tuple[dict[str, str], set[str], list[Problem]]:
    values: dict[str, str] = {}
    secrets: set[str] = set()
    problems: list[Problem] = []
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        return values, secrets, problems  # the schema complains
    for name in given:
        if name not in params:
            known = ", ".join(sorted(params)) or "none"
            problems.append(Problem(("params",), f"--var {name}: the runbook has no parameter {name!r} "
                                                  f"(parameters: {known})"))
    for name, spec in params.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in given:
            value: Any = given[name]
        elif spec.get("env"):
            var = str(spec["env"])
            if var not in env:
                problems.append(Problem(("params", name, "env"),
                                        f"expected the environment variable {var} to be set"))
                continue
            value = env[var]
            secrets.add(str(value))
        elif spec.get("default") is not None:
            value = spec["default"]
        else:
            problems.append(Problem(("params", name), f"parameter {name!r} has no default; "
                                                      f"give it with --var {name}=VALUE"))
            continue
        if spec.get("secret"):
            secrets.add(str(value))
        values[name] = str(value)
    return values, secrets, problems


def _check_param_types(raw: Mapping[str, Any], values: Mapping[str, str], given: Mapping[str, str],
                       names: checks.Names) -> list[Problem]:
    """A parameter's value must be what its `type` says, before it is put anywhere."""
    params = raw.get("params") or {}
    out: list[Problem] = []
    if not isinstance(params, dict):
        return out
    for name, value in values.items():
        spec = params.get(name) if isinstance(params.get(name), dict) else {}
        kind = str(spec.get("type", "string")) if spec else "string"
        where = f"--var {name}" if name in given else f"parameter {name}"
        loc: Loc = ("params", name) if name not in given else ("params",)
        wrong = ""
        if kind == "number":
            try:
                float(value)
            except ValueError:
                wrong = "a number"
        elif kind == "duration":
            try:
                parse_duration(value)
            except UnitError:
                wrong = "a duration such as 30s"
        elif kind in ("node", "region", "cluster"):
            pool: frozenset[str] = getattr(names, kind)
            if value not in pool:
                wrong = f"a {kind} of the topology ({', '.join(sorted(pool))})"
        if wrong:
            out.append(Problem(loc, f"{where}: expected {wrong}, found {value!r}"))
    return out


def _substitute(value: Any, params: Mapping[str, str], loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, str):
        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in params:
                problems.append(Problem(loc, f"unknown parameter ${{{name}}}"))
                return match.group()
            return params[name]
        return _VAR.sub(repl, value)
    if isinstance(value, list):
        return [_substitute(v, params, (*loc, i), problems) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: (v if k == "params" else _substitute(v, params, (*loc, k), problems)) for k, v in value.items()}
    return value


def _condition(text: str, loc: Loc, names: checks.Names, problems: list[Problem]) -> expr.Node | None:
    try:
        node = expr.parse(text)
        checks.check(node, names)
        return node
    except expr.ExprError as exc:
        problems.append(Problem(loc, exc.message, exc.column))
        return None


def _command(step: Step, topology: Topology, names: checks.Names, loc: Loc, problems: list[Problem]) -> Command | None:
    if step.kind in ("fault", "heal"):
        if step.fault is None:
            if step.kind == "fault":
                problems.append(Problem((*loc, "fault"), "a fault step needs `fault:` (a spec such as region:us-east)"))
                return None
            return HealAll()
        try:
            fault = parse_fault(step.fault)
            check_targets(fault, topology)
        except FaultSpecError as exc:
            problems.append(Problem((*loc, "fault"), str(exc)))
            return None
        return InjectFault(fault) if step.kind == "fault" else HealFault(fault)
    if step.action is None:
        problems.append(Problem((*loc, "action"), "an action step needs `action:` (promote, demote, repoint, "
                                                  "fence, unfence, read-only, read-write, shift-traffic, command)"))
        return None
    target = step.target
    pool_kind = {"read-only": "cluster", "read-write": "cluster", "shift-traffic": "region"}.get(step.action, "node")
    pool: frozenset[str] = getattr(names, pool_kind)
    if target is None or target not in pool:
        found = "nothing" if target is None else repr(target)
        problems.append(Problem((*loc, "target"), f"action {step.action} needs a {pool_kind} as `target` "
                                                  f"(one of: {', '.join(sorted(pool))}), found {found}"))
        return None
    allowed = {"repoint": {"to"}, "shift-traffic": {"from", "cluster"}}.get(step.action, set())
    for key, value in step.args.items():
        if key not in allowed:
            hint = f"allowed: {', '.join(sorted(allowed))}" if allowed else "it takes none"
            problems.append(Problem((*loc, "args", key), f"action {step.action} has no argument {key!r} ({hint})"))
        elif not isinstance(value, str):
            problems.append(Problem((*loc, "args", key), f"expected a name, found {value!r}"))
    if any(not isinstance(value, str) for value in step.args.values()):
        return None  # reported above; a list or mapping cannot be looked up as a name
    to = step.args.get("to")
    if step.action == "repoint" and to is not None and to not in names.node:
        problems.append(Problem((*loc, "args", "to"), f"no node named {to!r}"))
    if step.action == "shift-traffic":
        source, cluster = step.args.get("from"), step.args.get("cluster")
        if source is not None and source not in names.region:
            problems.append(Problem((*loc, "args", "from"), f"no region named {source!r}"))
        if cluster is not None and cluster not in names.cluster:
            problems.append(Problem((*loc, "args", "cluster"), f"no cluster named {cluster!r}"))
        return ShiftTraffic(target, source, cluster)
    builders: dict[str, Command] = {
        "promote": Promote(target), "demote": Demote(target), "repoint": Repoint(target, to),
        "fence": Fence(target), "unfence": Unfence(target), "read-only": SetReadOnly(target, True),
        "read-write": SetReadOnly(target, False),
    }
    if step.action == "command":
        if not step.command:
            problems.append(Problem((*loc, "command"), "action command needs `command:` (the shell command)"))
            return None
        return RunCommand(target, step.command, step.timeout or 30.0)
    return builders[step.action]


def wait_polls_problem(step: Step, loc: Loc) -> Problem | None:
    """A wait that could evaluate its condition more than MAX_WAIT_POLLS times is refused, and so are
    retries whose pauses add up to more than MAX_BACKOFF_TOTAL."""
    pauses = step.backoff * (2 ** step.retries - 1)
    if pauses > MAX_BACKOFF_TOTAL:
        return Problem((*loc, "retries"), f"expected retries whose pauses add up to at most a day, found backoff "
                                          f"{step.backoff:g}s x (2^{step.retries} - 1) = {pauses:g}s")
    timeout = step.timeout if step.timeout is not None else DEFAULT_WAIT_TIMEOUT
    if step.kind != "wait" or timeout / step.every <= MAX_WAIT_POLLS:
        return None
    return Problem((*loc, "every"), f"expected at most {MAX_WAIT_POLLS} evaluations of the condition, found "
                                    f"timeout {timeout:g}s / every {step.every:g}s = {timeout / step.every:.0f}: "
                                    f"each costs time on the simulator's clock; raise `every` or lower `timeout`")


def order_steps(section: str, steps: list[Step], problems: list[Problem]) -> list[int]:
    """Indices in execution order: a step runs once all it needs have run; ties in file order."""
    index = {s.id: i for i, s in enumerate(steps)}
    for i, s in enumerate(steps):
        for j, need in enumerate(s.needs):
            if need not in index:
                problems.append(Problem((section, i, "needs", j), f"no step {need!r} in {section} "
                                                                  f"(steps: {', '.join(index)})"))
    done: list[int] = []
    remaining = list(range(len(steps)))
    while remaining:
        ready = [i for i in remaining if all(index.get(n, -1) in done or n not in index for n in steps[i].needs)]
        if not ready:
            cycle = ", ".join(steps[i].id for i in remaining)
            problems.append(Problem((section, remaining[0], "needs"), f"the steps {cycle} need each other (a cycle)"))
            return done
        done.append(ready[0])
        remaining.remove(ready[0])
    return done


def _validated(data: dict[str, Any], cacheable: bool) -> Runbook | list[Problem]:
    """The runbook model, or the schema's problems; from the validation cache when this very data was valid
    before (a hit imports no pydantic, and building its schema costs more than a whole simulated run). A
    secret never reaches the disk."""
    entry = check_cache.data_key("runbook-model", data) if cacheable else None
    if entry is not None and isinstance(hit := check_cache.get_model(entry, Runbook), Runbook):
        return hit
    from regionctl.model.validation import ValidationError

    try:
        runbook = Runbook.model_validate(data)
    except ValidationError as exc:
        from regionctl.model.errors import validation_problems  # (it reads YAML positions: only on a problem)

        return [Problem(loc, msg) for loc, msg, _ in validation_problems(data, exc, Runbook)]
    if entry is not None:
        check_cache.put_model(entry, runbook)
    return runbook


def build_plan(raw: Mapping[str, Any], topology: Topology, given: Mapping[str, str] | None = None,
               env: Mapping[str, str] | None = None) -> Plan:
    """Raise PlanError with every problem at once; `raw` is the runbook as read from YAML."""
    problems: list[Problem] = []
    values, secrets, param_problems = _param_values(raw, given or {}, os.environ if env is None else env)
    problems += param_problems
    problems += _check_param_types(raw, values, given or {}, names_of(topology))
    data = _substitute(dict(raw), values, (), problems)
    runbook = _validated(data, cacheable=not secrets)
    if isinstance(runbook, list):
        raise PlanError(_redacted(problems + runbook, secrets)) from None
    names = names_of(topology)
    seen: dict[str, Loc] = {}
    sections: dict[str, list[PlannedStep]] = {}
    for section, steps in (("steps", runbook.steps), ("rollback", runbook.rollback)):
        planned = []
        for i, step in enumerate(steps):
            loc: Loc = (section, i)
            if step.id in seen:
                problems.append(Problem((*loc, "id"), f"expected unique step ids, found {step.id!r} again"))
            seen[step.id] = loc
            polls = wait_polls_problem(step, loc)
            if polls is not None:
                problems.append(polls)
            command = _command(step, topology, names, loc, problems) if step.kind in MUTATING_KINDS else None
            condition = None
            if step.kind in ("wait", "check"):
                if step.condition is None:
                    problems.append(Problem((*loc, "condition"), f"a {step.kind} step needs `condition:`"))
                else:
                    condition = _condition(step.condition, (*loc, "condition"), names, problems)
            planned.append(PlannedStep(step, section, i, command, condition))
        order = order_steps(section, steps, problems)
        sections[section] = [planned[i] for i in order]
    prechecks = []
    for i, text in enumerate(runbook.precheck):
        node = _condition(text, ("precheck", i), names, problems)
        if node is not None:
            prechecks.append((text, node))
    guards = []
    for i, guard in enumerate(runbook.guards):
        node = _condition(guard.condition, ("guards", i, "condition"), names, problems)
        if node is not None:
            guards.append((guard, node))
    if problems:
        raise PlanError(_redacted(problems, secrets))
    return Plan(runbook, values, frozenset(s for s in secrets if s), tuple(sections["steps"]),
                tuple(sections["rollback"]), tuple(prechecks), tuple(guards), _slo(runbook, topology))


def _redacted(problems: list[Problem], secrets: set[str]) -> list[Problem]:
    """A secret value never appears in a message (a fault spec, a wrong type, a schema error)."""
    from dataclasses import replace

    from regionctl.runbook.journal import redact

    return [replace(p, message=str(redact(p.message, secrets))) for p in problems]


def check_runbook(raw: Mapping[str, Any], topology: Topology) -> list[Problem]:
    """What `validate` reports beyond the schema: targets, fault specs, conditions, step order.
    A runbook whose parameters need values from the command line or the environment is checked
    when it runs (and by static_checks.check_runbook_fully, as far as it can be without them)."""
    params = raw.get("params") or {}
    if isinstance(params, dict):
        for spec in params.values():
            if not isinstance(spec, dict) or spec.get("env") or spec.get("default") is None:
                return []  # static_checks.check_without_topology says what needs no value
    try:
        build_plan(raw, topology, {}, env={})
    except PlanError as exc:
        return exc.problems
    return []


def secret_params_of(plan: Plan) -> dict[str, tuple[str, str | None]]:
    """Each secret parameter: its value and the environment variable it is read from (if any)."""
    return {name: (value, plan.runbook.params[name].env if name in plan.runbook.params else None)
            for name, value in plan.params.items() if value in plan.secrets}


def _slo(runbook: Runbook, topology: Topology) -> dict[str, float]:
    """Targets of the run: the runbook's own, else the topology's RTO and RPO."""
    out: dict[str, float] = {}
    if runbook.slo is not None:
        for key in ("rto", "rpo", "availability", "writes_lost"):
            value = getattr(runbook.slo, key)
            if value is not None:
                out[key] = float(value)
        return out
    if topology.slo.rto is not None:
        out["rto"] = topology.slo.rto
    if topology.slo.rpo is not None:
        out["rpo"] = topology.slo.rpo
    return out


def find_runbook(topology: Topology, name: str) -> Mapping[str, Any] | None:
    for raw in topology.runbooks:
        if raw.get("name") == name:
            return raw
    return None


def duration_param(text: str) -> float:
    try:
        return parse_duration(text)
    except UnitError as exc:
        raise ValueError(str(exc)) from None
