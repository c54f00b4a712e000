"""The session file: JSON Lines, version 1 (docs/replay.md).

Line 1 is the header: the format and its version, the seed and the topology's YAML text (the file
stands alone). Each further line is one operation of regionctl.replay.ops, in the order it was
performed, at the simulated time `t` it took effect; the last is `{"t": ..., "do": "end"}`, when the
session stopped. A recording writes each line as it happens and flushes it, so a dashboard that was
killed leaves its session up to its last command (the file then has no `end` line: a warning).

Loading checks everything and reports each problem as FILE:LINE:COL: field: message (exit 2).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from regionctl.model.diagnostics import Diagnostic, InputError
from regionctl.replay.ops import OPS, RESULT_FIELDS, Entry

FORMAT = "regionctl-session"
VERSION = 1
MAX_BYTES = 16 * 1024 * 1024
HEADER_FIELDS = {"format": str, "version": int, "seed": int, "topology": str, "topology_file": str,
                 "recorded_by": str}
REQUIRED_HEADER = ("format", "version", "seed", "topology")


@dataclass(frozen=True)
class SessionFile:
    path: str
    seed: int
    topology_yaml: str
    topology_file: str
    entries: tuple[Entry, ...]  # without the end line
    end: float  # when the session stopped (its last operation's time when it has no end line)
    closed: bool  # it has its end line
    warnings: tuple[Diagnostic, ...] = ()


def header(seed: int, topology_yaml: str, topology_file: str) -> dict[str, Any]:
    from regionctl import __version__

    return {"format": FORMAT, "version": VERSION, "seed": seed, "topology_file": topology_file,
            "recorded_by": f"regionctl {__version__}", "topology": topology_yaml}


def dumps(line: dict[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False) + "\n"


class Recorder:
    """`regionctl tui --record FILE`: the header at once, then each operation as the session performs it."""

    def __init__(self, path: Path, seed: int, topology_yaml: str, topology_file: str) -> None:
        self.path = path
        self._handle: IO[str] | None = open(path, "w", encoding="utf-8")  # noqa: SIM115 (open for the session)
        self._write(header(seed, topology_yaml, topology_file))

    def _write(self, line: dict[str, Any]) -> None:
        if self._handle is not None:
            self._handle.write(dumps(line))
            self._handle.flush()

    def __call__(self, entry: Entry) -> None:
        self._write(entry.to_json())

    def close(self, end: float) -> None:
        if self._handle is not None:
            self._write(Entry(end, "end").to_json())
            self._handle.close()
            self._handle = None


def save(path: Path, seed: int, topology_yaml: str, topology_file: str, entries: list[Entry] | tuple[Entry, ...],
         end: float) -> None:
    """The whole session at once (the scrubber's save), written aside and renamed: never half a file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(dumps(header(seed, topology_yaml, topology_file)))
        for entry in entries:
            handle.write(dumps(entry.to_json()))
        handle.write(dumps(Entry(end, "end").to_json()))
    os.replace(tmp, path)


def load(path: str | Path) -> SessionFile:
    """Read and check a session file; raises InputError with every problem found (FILE:LINE:COL)."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError([Diagnostic(name, 1, 1, "(file)", f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_BYTES:
        raise InputError([Diagnostic(name, 1, 1, "(file)", f"expected a session file of at most {MAX_BYTES:,} "
                                                           "bytes, found a larger one")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Diagnostic(name, line, 1, "(file)", "expected UTF-8 text (JSON Lines), found binary "
                                                              f"or other bytes at offset {exc.start}")]) from None
    return _Reader(name, text).read()


class _Reader:
    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, line: int, col: int, where: str, message: str) -> None:
        self.errors.append(Diagnostic(self.name, line, col, where, message))

    def read(self) -> SessionFile:
        lines = self.text.split("\n")
        cut = not self.text.endswith("\n")  # a file that ends mid-line was cut short
        parsed: list[tuple[int, str, dict[str, Any]]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                last = number == len(lines) and cut
                hint = " (the line is cut short: a truncated file?)" if last else ""
                self.error(number, exc.colno, "(line)", f"expected one JSON object per line, found invalid "
                                                        f"JSON: {exc.msg}{hint}")
                continue
            if not isinstance(value, dict):
                self.error(number, 1, "(line)", f"expected a JSON object, found {type(value).__name__} {line[:40]!r}")
                continue
            parsed.append((number, line, value))
        if not parsed:
            if not self.errors:
                self.error(1, 1, "(file)", f"expected a session file (a {FORMAT} header line, then one line per "
                                           "operation), found an empty file")
            raise InputError(self.errors)
        seed, topology_yaml, topology_file = self._header(*parsed[0])
        entries, end, closed = self._entries(parsed[1:])
        if self.errors:
            raise InputError(self.errors)
        if not closed:
            self.warnings.append(Diagnostic(self.name, parsed[-1][0], 1, "(file)", "no end line: the session did "
                                            "not close (killed?); it is replayed up to its last operation", "warning"))
        return SessionFile(self.name, seed, topology_yaml, topology_file, tuple(entries), end, closed,
                           tuple(self.warnings))

    def _col(self, line: str, key: str) -> int:
        found = line.find(json.dumps(key))
        return found + 1 if found >= 0 else 1

    def _header(self, number: int, line: str, value: dict[str, Any]) -> tuple[int, str, str]:
        found = value.get("format")
        if found != FORMAT:
            what = "a line without one" if found is None else repr(found)
            self.error(number, self._col(line, "format"), "format",
                       f"expected {FORMAT!r} on the first line (a regionctl session file), found {what}")
            return 0, "", ""
        version = value.get("version")
        if version != VERSION:
            self.error(number, self._col(line, "version"), "version",
                       f"expected version {VERSION} (the one this regionctl reads), found {version!r}"
                       + ("; written by a newer regionctl?" if isinstance(version, int) and version > VERSION else ""))
            return 0, "", ""
        for key, kind in HEADER_FIELDS.items():
            if key not in value:
                if key in REQUIRED_HEADER:
                    self.error(number, 1, key, f"expected the header field {key!r}, found none")
            elif not isinstance(value[key], kind) or isinstance(value[key], bool):
                self.error(number, self._col(line, key), key,
                           f"expected {'an integer' if kind is int else 'a string'}, found {value[key]!r}")
        for key in value:
            if key not in HEADER_FIELDS:
                self.error(number, self._col(line, key), key, _unknown(key, list(HEADER_FIELDS)))
        return int(value.get("seed") or 0), str(value.get("topology") or ""), str(value.get("topology_file") or "")

    def _entries(self, parsed: list[tuple[int, str, dict[str, Any]]]) -> tuple[list[Entry], float, bool]:
        entries: list[Entry] = []
        previous = 0.0
        end: float | None = None
        for number, line, value in parsed:
            if end is not None:
                self.error(number, 1, "(line)", f"expected nothing after the end line (t={end:g}), found more")
                break
            entry = self._entry(number, line, value)
            if entry is None:
                continue
            if entry.t < previous:
                self.error(number, self._col(line, "t"), "t", f"expected a time at or after the previous line's "
                                                              f"t={previous:g}, found {entry.t:g}")
            previous = max(previous, entry.t)
            if entry.do == "end":
                end = entry.t
            else:
                entries.append(entry)
        closed = end is not None
        return entries, end if end is not None else previous, closed

    def _entry(self, number: int, line: str, value: dict[str, Any]) -> Entry | None:
        do = value.get("do")
        if not isinstance(do, str) or do not in OPS:
            what = "none" if do is None else repr(do)
            self.error(number, self._col(line, "do"), "do", f"expected an operation ({', '.join(OPS)}), found {what}"
                       + _near(do, list(OPS)))
            return None
        t = value.get("t")
        if not isinstance(t, int | float) or isinstance(t, bool) or t < 0 or t != t or t == float("inf"):
            self.error(number, self._col(line, "t"), "t", f"expected a simulated time in seconds (a number, not "
                                                          f"negative), found {t!r}")
            return None
        needed, optional = OPS[do]
        allowed = {"t", "do", *needed, *optional, *(RESULT_FIELDS if do != "end" else ())}
        ok = True
        for key in value:
            if key not in allowed:
                self.error(number, self._col(line, key), key, _unknown(key, sorted(allowed), f"a {do!r} line"))
                ok = False
        for key in needed:
            if key not in value:
                self.error(number, 1, key, f"expected the field {key!r} (a {do!r} line needs it), found none")
                ok = False
        for key in (*needed, *optional):
            if key in value and value[key] is not None:
                kind = (int, float) if key == "took" else (str,)
                if not isinstance(value[key], kind) or isinstance(value[key], bool):
                    self.error(number, self._col(line, key), key,
                               f"expected {'a number' if key == 'took' else 'a string'}, found {value[key]!r}")
                    ok = False
        if "ok" in value and not isinstance(value["ok"], bool):
            self.error(number, self._col(line, "ok"), "ok", f"expected true or false, found {value['ok']!r}")
            ok = False
        if "result" in value and not isinstance(value["result"], str):
            self.error(number, self._col(line, "result"), "result", f"expected a string, found {value['result']!r}")
            ok = False
        if do in ("inject", "heal") and ok:
            ok = self._fault(number, line, value["fault"])
        if not ok:
            return None
        return Entry(float(t), do, fault=value.get("fault"), node=value.get("node"), to=value.get("to"),
                     from_=value.get("from"), cluster=value.get("cluster"),
                     took=float(value["took"]) if value.get("took") is not None else None,
                     ok=bool(value.get("ok", True)), result=str(value.get("result", "")))

    def _fault(self, number: int, line: str, spec: str) -> bool:
        from regionctl.contract.faults import FaultSpecError, parse_fault

        try:
            parse_fault(spec)
        except FaultSpecError as exc:
            self.error(number, self._col(line, "fault"), "fault", f"expected a fault spec, found {spec!r}: {exc}")
            return False
        return True


def _near(found: object, known: list[str]) -> str:
    if not isinstance(found, str):
        return ""
    from regionctl.model.suggest import closest

    near = closest(found, known)
    return f"; did you mean {near!r}?" if near else ""


def _unknown(key: str, known: list[str], where: str = "the header") -> str:
    fields = ", ".join(known)
    return f"expected a known field of {where} ({fields}), found the unknown field {key!r}" + _near(key, known)

