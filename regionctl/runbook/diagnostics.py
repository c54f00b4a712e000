"""Plan problems as FILE:LINE:COL diagnostics, with the column inside a condition's text."""

from __future__ import annotations

import dataclasses

from regionctl.model.diagnostics import Diagnostic
from regionctl.model.yaml_source import YamlDocument
from regionctl.runbook.plan import Loc, Problem


def _lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except OSError:
        return []


def plan_diagnostics(doc: YamlDocument, prefix: Loc, problems: list[Problem]) -> list[Diagnostic]:
    out = []
    lines: list[str] | None = None
    for problem in problems:
        diag = doc.diagnostic((*prefix, *problem.loc), problem.message)
        if problem.column is not None:
            lines = _lines(doc.path) if lines is None else lines
            # The mark is where the scalar starts; a quoted scalar's text starts one later.
            text = lines[diag.line - 1] if 0 < diag.line <= len(lines) else ""
            quoted = diag.col - 1 < len(text) and text[diag.col - 1] in "\"'"
            diag = dataclasses.replace(diag, col=diag.col + problem.column + (1 if quoted else 0))
        out.append(diag)
    return out
