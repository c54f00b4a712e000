"""Load topologies, runbooks and labs: safe YAML, schema, cross-checks, lint.

Every problem of a file comes back at once as a Diagnostic with FILE:LINE:COL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from regionctl.model import crosscheck
from regionctl.model.diagnostics import Diagnostic, InputError
from regionctl.model.errors import diagnostics_from_validation
from regionctl.model.lab import Lab
from regionctl.model.lint import lint
from regionctl.model.runbook import Runbook
from regionctl.model.topology import Topology
from regionctl.model.yaml_source import YamlDocument, read_yaml_file

FileKind = Literal["topology", "runbook", "lab"]
MODELS: dict[FileKind, type[BaseModel]] = {"topology": Topology, "runbook": Runbook, "lab": Lab}


@dataclass
class Loaded:
    kind: FileKind
    model: BaseModel
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


def _validate(doc: YamlDocument, kind: FileKind) -> Loaded:
    cls = MODELS[kind]
    try:
        model = cls.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(diagnostics_from_validation(doc, exc, cls)) from None
    warnings: list[Diagnostic] = []
    if isinstance(model, Topology):
        problems = crosscheck.check(model)
        problems += _check_runbooks(doc, model)
        if problems:
            raise InputError([doc.diagnostic(loc, msg) for loc, msg in problems])
        warnings = [doc.diagnostic(w.loc, w.message, severity="warning", code=w.code) for w in lint(model)]
    return Loaded(kind, model, doc, warnings)


def _check_runbooks(doc: YamlDocument, topology: Topology) -> list[tuple[tuple[str | int, ...], str]]:
    """Runbooks embedded in a topology are checked against the runbook schema too."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    names: set[str] = set()
    for i, raw in enumerate(topology.runbooks):
        try:
            runbook = Runbook.model_validate(raw)
        except ValidationError as exc:
            sub = YamlDocument(doc.path, raw)
            for d in diagnostics_from_validation(sub, exc, Runbook):
                out.append((("runbooks", i, *_split(d.field)), d.message))
            continue
        if runbook.name in names:
            out.append((("runbooks", i, "name"), f"expected unique runbook names, found {runbook.name!r} again"))
        names.add(runbook.name)
    return out


def _split(field_path: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for part in field_path.replace("[", ".[").split("."):
        if not part or part == "(top level)":
            continue
        if part.startswith("[") and part.endswith("]"):
            out.append(int(part[1:-1]))
        else:
            out.append(part)
    return tuple(out)


def load_file(path: str | Path, kind: FileKind | None = None) -> Loaded:
    """Read, validate and lint one file. Raises InputError with all its problems."""
    doc = read_yaml_file(path)
    return _validate(doc, kind or guess_kind(doc.data))


def load_topology(path: str | Path) -> Topology:
    loaded = load_file(path, "topology")
    assert isinstance(loaded.model, Topology)
    return loaded.model


def json_schema(kind: FileKind) -> dict[str, object]:
    schema = MODELS[kind].model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", kind)
    return schema
