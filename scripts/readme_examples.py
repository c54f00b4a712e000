#!/usr/bin/env python3
"""Regenerate the README's examples from real runs.

Each fenced block that starts with `$ regionctl ...` (one command, nothing that needs root, real
hosts or a server) is run from the repository's root with the venv's `regionctl`, 100 columns
wide, stdout and stderr together as a terminal would show them, and its output replaces the
block's. A block that showed an excerpt (lines `...`) keeps the same number of lines in each
part, each part found again by the words its first line starts with; a `--json` document is shown
one top-level key a line. Usage: `.venv/bin/python scripts/readme_examples.py [--check]`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONCTL = Path(sys.executable).with_name("regionctl")
SKIP = ("sudo", "sandbox", "exporter", "--backend ssh", "/var/tmp", "curl")
BLOCK = re.compile(r"^```\n(\$ regionctl[^\n]*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def run(command: str, state: Path) -> list[str]:
    argv = shlex.split(command.removeprefix("$ "))
    # Unbuffered, into one pipe: stdout and stderr lines in the order they were written.
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "XDG_STATE_HOME": str(state), "PYTHONUNBUFFERED": "1"}
    env.pop("FORCE_COLOR", None)
    done = subprocess.run([str(REGIONCTL), *argv[1:]], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    text = done.stdout.replace(str(state), "~/.local/state")
    if "--json" in argv:
        text = _one_key_a_line(text)
    return [line.rstrip() for line in text.splitlines()]


def _one_key_a_line(text: str, width: int = 110) -> str:
    data = json.loads(text)
    lines = []
    for i, (key, value) in enumerate(data.items()):
        line = ("{" if i == 0 else " ") + json.dumps({key: value})[1:-1] + ("," if i < len(data) - 1 else "}")
        lines.append(line if len(line) <= width else line[:width - 3] + "...")
    return "\n".join(lines)


def _excerpt(old: list[str], new: list[str]) -> list[str]:
    """The new output cut as the old block was: the same number of lines per part between `...` lines."""
    parts: list[list[str]] = [[]]
    for line in old:
        if line == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    out = new[:len(parts[0])]
    at = len(parts[0])
    for part in parts[1:]:
        out.append("...")
        if not part:
            continue
        anchor = re.match(r"[^\d]*", part[0].strip())
        words = anchor.group(0) if anchor else ""
        found = next((i for i in range(at, len(new)) if len(words) >= 3 and new[i].strip().startswith(words)),
                     max(at, len(new) - len(part)))
        out += new[found:found + len(part)]
        at = found + len(part)
    return out


def regenerate(text: str) -> str:
    with tempfile.TemporaryDirectory() as state:
        def replace(match: re.Match[str]) -> str:
            command, body = match.group(1), match.group(2)
            if any(word in command for word in SKIP) or "\n$ " in "\n" + body:
                return match.group(0)
            old = body.rstrip("\n").splitlines()
            new = run(command, Path(state))
            if "..." in old:
                new = _excerpt(old, new)
            return "```\n" + command + "\n" + "\n".join(new) + "\n```"

        return BLOCK.sub(replace, text)


def main() -> int:
    readme = ROOT / "README.md"
    current = readme.read_text()
    fresh = regenerate(current)
    if "--check" in sys.argv[1:]:
        return 0 if fresh == current else 1
    readme.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
