"""Diagnostics: one error or warning about a place in a file, printed as
`FILE:LINE:COL: field.path: message` so that editors and terminals can jump to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
Loc = tuple[str | int, ...]


class KeyLoc(tuple[str | int, ...]):
    """A location whose diagnostic points at the key (an RTT pair, a timing name) rather
    than at its value."""

    __slots__ = ()


def _plain_key(part: str) -> bool:
    return bool(part) and part.isprintable() and part.strip() == part and not any(c in part for c in ".[]'\"")


def format_field_path(loc: Loc) -> str:
    """('clusters', 0, 'nodes', 1, 'zone') -> 'clusters[0].nodes[1].zone'; () -> '(top level)'.

    A key that would make the path ambiguous or span lines (a dot, a bracket, a newline,
    nothing at all) is shown quoted and escaped: `extra['a.b']`, so that every
    diagnostic stays on one line."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _plain_key(part):
            out += ("." if out else "") + part
        else:
            out += f"[{part!r}]"
    return out or "(top level)"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in an input file, at FILE:LINE:COL, with the field path."""

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
