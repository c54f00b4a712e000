"""Diagnostics: one error or warning about a place in a file, printed as
`FILE:LINE:COL: field.path: message` so that editors and terminals can jump to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
Loc = tuple[str | int, ...]


def format_field_path(loc: Loc) -> str:
    """('clusters', 0, 'nodes', 1, 'zone') -> 'clusters[0].nodes[1].zone'; () -> '(top level)'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int
    col: int
    field: str
    message: str
    severity: Severity = "error"
    code: str = ""

    def format(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        suffix = f" [{self.code}]" if self.code else ""
        return f"{self.file}:{self.line}:{self.col}: {prefix}{self.field}: {self.message}{suffix}"

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "field": self.field,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


class InputError(Exception):
    """Raised with every diagnostic of a file that could not be accepted."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        ordered = sorted(diagnostics, key=lambda d: (d.file, d.line, d.col))
        super().__init__("\n".join(d.format() for d in ordered))
        self.diagnostics = ordered
