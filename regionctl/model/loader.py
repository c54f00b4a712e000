"""Load topologies, runbooks and labs: safe YAML, schema, cross-checks, lint.

Every problem of a file comes back at once as a Diagnostic with FILE:LINE:COL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from regionctl.model import crosscheck
from regionctl.model.crosscheck import Problem
from regionctl.model.diagnostics import Diagnostic, InputError, KeyLoc, Loc, format_field_path
from regionctl.model.lint import lint
from regionctl.model.topology import Topology
from regionctl.model.types import StrictModel
from regionctl.model.yaml_source import YamlDocument, read_yaml_bytes, read_yaml_file

FileKind = Literal["topology", "runbook", "lab"]


def model_class(kind: FileKind) -> type[StrictModel]:
    """The schema of a kind of file; the runbook and lab models are imported when a file of theirs is read."""
    if kind == "topology":
        return Topology
    if kind == "runbook":
        from regionctl.model.runbook import Runbook

        return Runbook
    from regionctl.model.lab import Lab

    return Lab


@dataclass
class Loaded:
    kind: FileKind
    model: StrictModel
    doc: YamlDocument
    warnings: list[Diagnostic] = field(default_factory=list)


def guess_kind(data: dict[str, object]) -> FileKind:
    if "regions" in data or "clusters" in data:
        return "topology"
    if "objectives" in data or "level" in data or ("topology" in data and "steps" in data):
        return "lab"
    if "steps" in data:
        return "runbook"
    return "topology"


# Checks that need the layers above the model (runbook plans, lab compilation): regionctl.loading passes them in.
DeepCheck = Callable[[YamlDocument, StrictModel], list[Diagnostic]]


def _validate(doc: YamlDocument, kind: FileKind, deep: DeepCheck | None) -> Loaded:
    cls = model_class(kind)
    try:
        model = cls.model_validate(doc.data)
    except ValidationError as exc:
        from regionctl.model.errors import diagnostics_from_validation
        from regionctl.model.rawrefs import raw_references

        found = diagnostics_from_validation(doc, exc, cls)
        if kind == "topology":  # misspelt names too, in the same pass, where the schema said nothing
            said = {d.field for d in found}
            found += [d for d in (doc.diagnostic(loc, msg, prefer_key=isinstance(loc, KeyLoc))
                                  for loc, msg in raw_references(doc.data)) if d.field not in said]
        raise InputError(doc.problems + _unrefused(doc, found)) from None
    warnings: list[Diagnostic] = []
    problems: list[Problem] = []
    if isinstance(model, Topology):
        problems = crosscheck.check(model) + _check_runbooks(doc, model)
    planned_ok = isinstance(model, Topology) and not problems
    problems_in_plans = deep(doc, model) if deep is not None and isinstance(model, Topology) and planned_ok else []
    if problems or doc.problems or problems_in_plans:
        found = [doc.diagnostic(loc, msg, prefer_key=isinstance(loc, KeyLoc)) for loc, msg in problems]
        raise InputError(doc.problems + _unrefused(doc, found) + problems_in_plans)
    if isinstance(model, Topology):
        warnings = [doc.diagnostic(w.loc, w.message, severity="warning", code=w.code) for w in lint(model)]
    if kind != "topology" and deep is not None:
        found = deep(doc, model)
        if found:
            raise InputError(found)
    return Loaded(kind, model, doc, warnings)


def _unrefused(doc: YamlDocument, found: list[Diagnostic]) -> list[Diagnostic]:
    """Drop complaints about values the reader already refused (they read as null)."""
    if not doc.refused:
        return found
    refused = {format_field_path(loc) for loc in doc.refused}
    return [d for d in found
            if not any(d.field == r or d.field.startswith((r + ".", r + "[")) for r in refused)]


def _check_runbooks(doc: YamlDocument, topology: Topology) -> list[Problem]:
    """Runbooks embedded in a topology are checked against the runbook schema too."""
    out: list[Problem] = []
    if not topology.runbooks:
        return out
    from regionctl.model.errors import validation_problems
    from regionctl.model.runbook import Runbook

    names: set[str] = set()
    for i, raw in enumerate(topology.runbooks):
        try:
            runbook = Runbook.model_validate(raw)
        except ValidationError as exc:
            for loc, message, at_key in validation_problems(raw, exc, Runbook):
                full: Loc = ("runbooks", i, *loc)
                out.append((KeyLoc(full) if at_key else full, message))
            continue
        if runbook.name in names:
            out.append((("runbooks", i, "name"),
                        f"expected unique runbook names, found {runbook.name!r} again"))
        names.add(runbook.name)
    return out


def load_file(path: str | Path, kind: FileKind | None = None, deep: DeepCheck | None = None) -> Loaded:
    """Read, validate and lint one file. Raises InputError with all its problems. Without `deep`, runbooks
    and labs are checked against their schema only; `regionctl.loading` also plans and compiles them."""
    doc = read_yaml_file(path, keep_going=True)
    return _validate(doc, kind or guess_kind(doc.data), deep)


def load_bytes(path: str, raw: bytes, kind: FileKind | None = None, deep: DeepCheck | None = None) -> Loaded:
    """load_file of bytes already read from `path` (as shown in diagnostics)."""
    doc = read_yaml_bytes(path, raw, keep_going=True)
    return _validate(doc, kind or guess_kind(doc.data), deep)


def load_topology(path: str | Path, deep: DeepCheck | None = None) -> Topology:
    loaded = load_file(path, "topology", deep)
    assert isinstance(loaded.model, Topology)
    return loaded.model


def json_schema(kind: FileKind) -> dict[str, object]:
    from regionctl.model.validation import adapter

    schema = adapter(model_class(kind)).json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", kind)
    return schema
