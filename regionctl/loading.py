"""Load a file with every check, including those that need the layers above the model.

`regionctl.model.loader` reads, validates, cross-checks and lints; this module also plans a topology's
runbooks (targets, faults, conditions, order) and compiles a lab (and its control run), which need
`regionctl.runbook` and `regionctl.labs`. Frontends load through here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from regionctl.model import loader
from regionctl.model.diagnostics import Diagnostic, Loc
from regionctl.model.loader import FileKind, Loaded
from regionctl.model.topology import Topology

if TYPE_CHECKING:
    from pydantic import BaseModel

    from regionctl.model.yaml_source import YamlDocument

# The runbook layer and the lab compiler are imported where they are used (a topology with runbooks, a
# runbook file, a lab): `validate` and `drill` of a topology without them never load them.


def deep_check(doc: YamlDocument, model: BaseModel) -> list[Diagnostic]:
    """A topology's runbooks that fit the schema are planned; a lab that does is compiled; a runbook file
    gets every check that needs no topology."""
    out: list[Diagnostic] = []
    if isinstance(model, Topology):
        if not model.runbooks:
            return out
        from regionctl.runbook.diagnostics import plan_diagnostics
        from regionctl.runbook.static_checks import check_runbook_fully

        for i, raw in enumerate(model.runbooks):
            out += plan_diagnostics(doc, ("runbooks", i), check_runbook_fully(raw, model))
        return out
    from regionctl.model.lab import Lab
    from regionctl.model.runbook import Runbook
    from regionctl.runbook.diagnostics import plan_diagnostics

    if isinstance(model, Runbook):  # a runbook file: what `run` would refuse whatever the topology
        from regionctl.runbook.static_checks import check_without_topology

        assert isinstance(doc.data, dict)
        out += plan_diagnostics(doc, (), check_without_topology(doc.data))
    elif isinstance(model, Lab):
        from regionctl.labs.compile import LabError, compile_lab

        for control in (False, True) if model.control is not None else (False,):
            try:
                compile_lab(model, Path(doc.path), control=control)
            except LabError as exc:
                prefix: Loc = ("control", "patch") if control and not exc.problems[0].loc else ()
                return plan_diagnostics(doc, prefix, exc.problems)
    return out


def load_file(path: str | Path, kind: FileKind | None = None) -> Loaded:
    """Read, validate, cross-check, lint, plan and compile one file. Raises InputError with its problems."""
    return loader.load_file(path, kind, deep_check)


def load_topology(path: str | Path) -> Topology:
    return loader.load_topology(path, deep_check)


def check_against(loaded: Loaded, topology_path: Path) -> list[Diagnostic]:
    """`validate RUNBOOK_OR_LAB --topology T`: a runbook's or a lab's names, fault targets and conditions
    checked against that topology, as `run` would check them, with FILE:LINE:COL in the runbook or lab."""
    from regionctl.runbook.diagnostics import plan_diagnostics

    if loaded.kind == "runbook":
        from regionctl.runbook.plan import check_runbook

        topology = load_topology(topology_path)
        return plan_diagnostics(loaded.doc, (), check_runbook(loaded.doc.data, topology))
    if loaded.kind == "lab":
        from regionctl.model.lab import Lab

        assert isinstance(loaded.model, Lab)
        return deep_check(loaded.doc, loaded.model.model_copy(update={"topology": str(topology_path.resolve())}))
    return []
