"""The one way reports reach a terminal, a pipe or a file (Rich)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.console import Console

PIPE_WIDTH = 120  # Rich's default for a pipe is 80 columns: tables wrap and paths break mid-word in logs


def report_console(file: TextIO | None = None, **options: object) -> Console:
    """A Console on `file` (stdout by default): a terminal's own width, else COLUMNS, else PIPE_WIDTH.

    No emoji codes: a name or a message from a file (`alerts:fire:`) is printed as written, and Rich's
    table of emoji codes is not loaded."""
    out = file or sys.stdout
    tty = hasattr(out, "isatty") and out.isatty()
    width = None if tty or os.environ.get("COLUMNS") else PIPE_WIDTH
    options.setdefault("emoji", False)
    return Console(file=out, width=width, **options)  # type: ignore[arg-type]
