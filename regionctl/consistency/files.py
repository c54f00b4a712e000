"""History files (docs/history.md): the only I/O of the consistency package."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from regionctl.consistency.history import History, HistoryError, format_lines, parse_lines


def read_history(path: str | Path) -> History:
    """A history file (`-` for standard input); problems raise HistoryError as FILE:LINE: message."""
    name = str(path)
    enabled = gc.isenabled()
    gc.disable()  # parsing allocates an object per field and no cycles: the collector would only rescan
    try:
        if name == "-":
            return parse_lines(sys.stdin, "<stdin>")
        with open(path, encoding="utf-8") as handle:
            return parse_lines(handle, name)
    except FileNotFoundError:
        raise HistoryError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise HistoryError(f"{name}: is a directory, expected a history file (JSONL)") from None
    except UnicodeDecodeError as exc:
        raise HistoryError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise HistoryError(f"{name}: cannot read: {exc.strerror}") from None
    finally:
        if enabled:
            gc.enable()


def write_history(path: str | Path, history: History) -> None:
    """Write `history` as JSONL (header first); `read_history` reads it back unchanged."""
    with open(path, "w", encoding="utf-8") as handle:
        for line in format_lines(history):
            handle.write(line + "\n")
