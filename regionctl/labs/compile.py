"""A lab, compiled into what the one runbook executor runs.

Each lab step becomes the runbook steps of what the learner does (`do`) followed by a
`wait` for its expectation, so `lab --check`, the dashboard's lab panel and `run` share
one executor and one condition language. `control` patches the lab (its topology or its
steps) to remove the lesson's cause.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from regionctl.data import DATA_DIR, resolve_bundled, resolve_topology_path
from regionctl.model.lab import Lab
from regionctl.model.topology import Topology
from regionctl.runbook.plan import Plan, PlanError, Problem, build_plan

LABS_DIR = DATA_DIR / "labs"
NODE_ACTIONS = ("promote", "demote", "fence", "unfence", "repoint")
CLUSTER_ACTIONS = ("read-only", "read-write")


class LabError(Exception):
    """A lab that cannot be compiled; the message says why, `loc` where in the lab file."""

    def __init__(self, message: str, loc: tuple[str | int, ...] = (), column: int | None = None) -> None:
        super().__init__(message)
        self.problems = [Problem(loc, message, column)]


class LabPlanError(LabError):
    """Several problems, each placed at the lab step (`do` or `expect`) it comes from."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass
class CompiledLab:
    lab: Lab
    topology: Topology
    runbook: dict[str, Any]
    plan: Plan
    lab_step_of: dict[str, str] = field(default_factory=dict)  # executor step id -> lab step id
    do_items: dict[str, list[str]] = field(default_factory=dict)  # lab step id -> its `do`, as written (set up)
    topology_yaml: str = ""  # the topology as the lab runs it (its patches applied): what a recording saves


def bundled_labs() -> list[Path]:
    return sorted(LABS_DIR.glob("*.yaml"))


def resolve_lab_path(value: str) -> Path:
    """A path as given, or the name of a bundled lab (`async-rpo`)."""
    return resolve_bundled(value, LABS_DIR)


def _topology_data(lab: Lab, lab_path: Path) -> dict[str, Any]:
    from regionctl.model.yaml_source import read_yaml_file

    if isinstance(lab.topology, dict):
        return copy.deepcopy(lab.topology)
    try:
        candidate = lab_path.parent / lab.topology
        path = candidate if candidate.is_file() else resolve_topology_path(lab.topology)
        found = path.is_file()
    except (OSError, ValueError):  # a name too long for a path, a NUL byte
        found = False
    if not found:
        raise LabError(f"expected a bundled topology name or a topology file, found {lab.topology!r}", ("topology",))
    data = read_yaml_file(path).data  # InputError (FILE:LINE:COL of the topology file) goes to the caller
    if not isinstance(data, dict):
        raise LabError(f"{path}: expected a topology mapping", ("topology",))
    return data


def _find(container: Any, key: str, path: str) -> Any:
    if isinstance(container, dict):
        if key not in container:
            raise LabError(f"control patch {path}: no {key!r} here")
        return container[key]
    if isinstance(container, list):
        if key.isdigit() and int(key) < len(container):
            return container[int(key)]
        for item in container:
            if isinstance(item, dict) and (item.get("name") == key or item.get("id") == key):
                return item
    raise LabError(f"control patch {path}: no item named {key!r}")


def apply_patch(root: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target: Any = root
    for part in parts[:-1]:
        target = _find(target, part, path)
    if not isinstance(target, dict):
        raise LabError(f"control patch {path}: cannot set a field on a {type(target).__name__}")
    target[parts[-1]] = value


def _do_steps(step_id: str, item: str, topology: Topology, index: int, within: float) -> list[dict[str, Any]]:
    words = item.split()
    sid = f"{step_id}-do{index}"
    if not words or words == ["auto"]:
        return []
    head = words[0]
    if head == "heal":
        rest = " ".join(words[1:])
        return [{"id": sid, "kind": "heal"} if rest in ("", "all") else {"id": sid, "kind": "heal", "fault": rest}]
    if head == "wait":
        return [{"id": sid, "kind": "wait", "condition": " ".join(words[1:]), "timeout": f"{within}s",
                 "every": "100ms"}]
    if head == "runbook":
        name = " ".join(words[1:])
        raw = next((r for r in topology.runbooks if r.get("name") == name), None)
        if raw is None:
            raise LabError(f"step {step_id}: the topology has no runbook {name!r} "
                           f"(its runbooks: {', '.join(topology.runbook_names()) or 'none'})")
        inlined = []
        for s in raw.get("steps", []):
            s = dict(s)
            s["id"] = f"{sid}-{s['id']}"
            s["needs"] = [f"{sid}-{n}" for n in s.get("needs", [])]
            inlined.append(s)
        return inlined
    if head in NODE_ACTIONS or head in CLUSTER_ACTIONS:
        if len(words) < 2:
            raise LabError(f"step {step_id}: {head!r} needs a target, e.g. '{head} pg-3'")
        step: dict[str, Any] = {"id": sid, "kind": "action", "action": head, "target": words[1]}
        if head == "repoint" and len(words) == 4 and words[2] == "to":
            step["args"] = {"to": words[3]}
        return [step]
    if head == "shift-traffic":
        step = {"id": sid, "kind": "action", "action": "shift-traffic", "target": words[1] if len(words) > 1 else ""}
        if len(words) == 4 and words[2] == "from":
            step["args"] = {"from": words[3]}
        return [step]
    return [{"id": sid, "kind": "fault", "fault": item}]


def compile_lab(lab: Lab, lab_path: Path, control: bool = False) -> CompiledLab:
    topology_data = _topology_data(lab, lab_path)
    steps_data = [s.model_dump() for s in lab.steps]
    for patch in lab.setup:
        apply_patch({"topology": topology_data, "steps": steps_data}, patch.path, patch.value)
    if control:
        if lab.control is None:
            raise LabError(f"{lab.name}: the lab has no control run")
        root = {"topology": topology_data, "steps": steps_data}
        for patch in lab.control.patch:
            apply_patch(root, patch.path, patch.value)
    try:
        topology = Topology.model_validate(topology_data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LabError(f"the lab's topology is invalid at {where}: {first['msg']}", ("topology",)) from None
    from regionctl.model import crosscheck
    from regionctl.model.diagnostics import format_field_path

    broken = crosscheck.check(topology)  # what validate checks in a topology file, after the lab's patches
    if broken:
        loc, message = broken[0]
        raise LabError(f"the lab's topology (with its patches) is invalid at {format_field_path(tuple(loc))}: "
                       f"{message}", ("topology",))
    steps: list[dict[str, Any]] = []
    lab_step_of: dict[str, str] = {}
    do_items: dict[str, list[str]] = {}
    for data in steps_data:
        items = data["do"] if isinstance(data["do"], list) else [data["do"]]
        do_items[data["id"]] = [str(item) for item in items]
        for n, item in enumerate(items, 1):
            for s in _do_steps(data["id"], str(item), topology, n, float(data["within"])):
                lab_step_of[s["id"]] = data["id"]
                steps.append(s)
        if data.get("expect"):
            steps.append({"id": data["id"], "kind": "wait", "condition": data["expect"],
                          "timeout": f"{data['within']}s", "every": "500ms", "description": "expectation"})
        else:
            steps.append({"id": data["id"], "kind": "note", "text": data["text"]})
        lab_step_of[data["id"]] = data["id"]
    runbook = {"name": f"lab-{lab.name}", "title": lab.title, "steps": steps, "slo": {}}
    try:
        plan = build_plan(runbook, topology, {}, env={})
    except PlanError as exc:
        raise LabPlanError([_lab_problem(p, steps, lab, lab_step_of) for p in exc.problems]) from None
    return CompiledLab(lab, topology, runbook, plan, lab_step_of, do_items,
                       yaml.safe_dump(topology_data, sort_keys=False, allow_unicode=True))


def _lab_problem(problem: Problem, steps: list[dict[str, Any]], lab: Lab, lab_step_of: dict[str, str]) -> Problem:
    """A problem of the compiled runbook, placed back at the lab step's `expect` or `do`."""
    if len(problem.loc) >= 2 and problem.loc[0] == "steps" and isinstance(problem.loc[1], int) \
            and problem.loc[1] < len(steps):
        sid = str(steps[problem.loc[1]]["id"])
        lab_id = lab_step_of.get(sid, sid)
        index = next((i for i, s in enumerate(lab.steps) if s.id == lab_id), None)
        if index is not None:
            if sid == lab_id:
                return Problem(("steps", index, "expect"), problem.message, problem.column)
            step = lab.steps[index]
            items = step.do if isinstance(step.do, list) else [step.do]
            number = int(sid.split("-do", 1)[1].split("-", 1)[0]) if "-do" in sid else 1
            field: tuple[str | int, ...] = ("do", number - 1) if isinstance(step.do, list) else ("do",)
            item = items[number - 1] if 0 < number <= len(items) else ""
            column = None
            if problem.column is not None and item.startswith("wait "):
                column = problem.column + len("wait ")  # the condition starts after the word
            return Problem(("steps", index, *field), problem.message, column)
    return Problem((), problem.message)
