"""Load a file with every check, including those that need the layers above the model.

`regionctl.model.loader` reads, validates, cross-checks and lints; this module also plans a topology's
runbooks (targets, faults, conditions, order) and compiles a lab (and its control run), which need
`regionctl.runbook` and `regionctl.labs`. Frontends load through here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from regionctl.model import check_cache
from regionctl.model.diagnostics import Diagnostic, Loc

if TYPE_CHECKING:
    from regionctl.model.loader import FileKind, Loaded
    from regionctl.model.topology import Topology
    from regionctl.model.types import StrictModel
    from regionctl.model.yaml_source import YamlDocument

# The runbook layer and the lab compiler are imported where they are used (a topology with runbooks, a
# runbook file, a lab): `validate` and `drill` of a topology without them never load them. The loader itself
# (YAML, pydantic) is imported on first use: `check_file` of a file the cache knows needs neither.


def deep_check(doc: YamlDocument, model: StrictModel) -> list[Diagnostic]:
    """A topology's runbooks that fit the schema are planned; a lab that does is compiled; a runbook file
    gets every check that needs no topology."""
    from regionctl.model.topology import Topology

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
    from regionctl.model import loader

    return loader.load_file(path, kind, deep_check)


def check_file(path: str | Path, kind: FileKind | None = None) -> check_cache.Verdict:
    """`validate` of one file: load_file's verdict (kind, warnings), from the validation cache when these
    bytes were found valid before by this very code (regionctl.model.check_cache). Raises InputError."""
    from_disk = _read_bytes(path)
    if from_disk is None:  # unreadable: load_file says why
        loaded = load_file(path, kind)
        return check_cache.Verdict(loaded.kind, loaded.warnings)
    entry = check_cache.key(str(path), from_disk, kind)
    hit = check_cache.get(entry)
    if hit is not None:
        return hit
    from regionctl.model import loader

    loaded = loader.load_bytes(str(path), from_disk, kind, deep_check)  # the very bytes the key hashed
    verdict = check_cache.Verdict(loaded.kind, loaded.warnings)
    check_cache.put(entry, verdict)
    return verdict


def _read_bytes(path: str | Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_CACHED_BYTES + 1)
    except OSError:
        return None


MAX_CACHED_BYTES = 1024 * 1024  # yaml_source.MAX_FILE_BYTES; a larger file is refused by the reader


def load_topology(path: str | Path) -> Topology:
    """A validated topology (every check of load_file); from the validation cache when these bytes were
    found valid before by this very code. Raises InputError."""
    from regionctl.model.topology import Topology

    from_disk = _read_bytes(path)
    entry = check_cache.key(str(path), from_disk, "topology") if from_disk is not None else ""
    if from_disk is not None and isinstance(hit := check_cache.get_model(entry, Topology), Topology):
        return hit
    from regionctl.model import loader

    if from_disk is None:  # unreadable: the loader says why
        return loader.load_topology(path, deep_check)
    loaded = loader.load_bytes(str(path), from_disk, "topology", deep_check)
    assert isinstance(loaded.model, Topology)
    check_cache.put_model(entry, loaded.model)
    return loaded.model


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
