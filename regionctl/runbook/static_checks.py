"""What `validate` can say about a runbook without a topology, or without the values of its parameters:
the same refusals `run` would give, found before anyone runs it.

Every `${name}` must be a declared parameter; step ids unique; `needs` name steps of the same section
and make no cycle; each condition parses; each fault spec parses (unless it holds a parameter whose
value only the run knows); a wait cannot poll more than MAX_WAIT_POLLS times. With a topology and every
parameter's value, `build_plan` checks all this and the names besides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from regionctl.contract.faults import FaultSpecError, parse_fault
from regionctl.model.runbook import Runbook
from regionctl.model.topology import Topology
from regionctl.runbook import expr
from regionctl.runbook.plan import Loc, Problem, check_runbook, order_steps, wait_polls_problem

_VAR = re.compile(r"\$\{([A-Za-z0-9_-]+)\}")


def _unknown_vars(value: Any, declared: set[str], loc: Loc, out: list[Problem]) -> None:
    if isinstance(value, str):
        for match in _VAR.finditer(value):
            if match.group(1) not in declared:
                out.append(Problem(loc, f"unknown parameter ${{{match.group(1)}}} (parameters: "
                                        f"{', '.join(sorted(declared)) or 'none'})"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _unknown_vars(item, declared, (*loc, i), out)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "params":
                _unknown_vars(item, declared, (*loc, key), out)


def check_without_topology(raw: Mapping[str, Any]) -> list[Problem]:
    """The problems of a runbook that `run` would refuse whatever the topology and the parameters."""
    params = raw.get("params")
    declared = set(params) if isinstance(params, dict) else set()
    problems: list[Problem] = []
    _unknown_vars(dict(raw), declared, (), problems)
    try:
        runbook = Runbook.model_validate(dict(raw))
    except ValidationError:  # the schema check reports these
        return problems
    seen: set[str] = set()
    for section, steps in (("steps", runbook.steps), ("rollback", runbook.rollback)):
        for i, step in enumerate(steps):
            loc: Loc = (section, i)
            if step.id in seen:
                problems.append(Problem((*loc, "id"), f"expected unique step ids, found {step.id!r} again"))
            seen.add(step.id)
            polls = wait_polls_problem(step, loc)
            if polls is not None:
                problems.append(polls)
            if step.condition is not None and not _VAR.search(step.condition):
                _parse(step.condition, (*loc, "condition"), problems)
            if step.kind in ("fault", "heal") and step.fault and not _VAR.search(step.fault):
                try:
                    parse_fault(step.fault)
                except FaultSpecError as exc:
                    problems.append(Problem((*loc, "fault"), str(exc)))
        order_steps(section, list(steps), problems)
    for i, text in enumerate(runbook.precheck):
        if not _VAR.search(text):
            _parse(text, ("precheck", i), problems)
    for i, guard in enumerate(runbook.guards):
        if not _VAR.search(guard.condition):
            _parse(guard.condition, ("guards", i, "condition"), problems)
    return problems


def _parse(text: str, loc: Loc, problems: list[Problem]) -> None:
    try:
        expr.parse(text)
    except expr.ExprError as exc:
        problems.append(Problem(loc, exc.message, exc.column))


def check_runbook_fully(raw: Mapping[str, Any], topology: Topology) -> list[Problem]:
    """What `validate` says of a topology's runbook: everything (plan.check_runbook) when every parameter
    has a value, else every check that needs none."""
    return check_runbook(raw, topology) or check_without_topology(raw)
