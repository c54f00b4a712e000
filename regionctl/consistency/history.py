"""The typed history: what each probe client did and saw, one operation at a time.

A history is a header (format, version, the faults of the run) and operations, in the JSONL
format of docs/history.md. Records are parsed here, at the edge, into frozen `Operation`s; a
record that does not fit raises `HistoryError` with its place ("FILE:LINE: ..."). Pure: the file
reading is in `files.py`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FORMAT = "regionctl-history"
VERSION = 1

Kind = Literal["write", "read"]
Outcome = Literal["ok", "fail", "unknown"]
KINDS: tuple[str, ...] = ("write", "read")
OUTCOMES: tuple[str, ...] = ("ok", "fail", "unknown")


class HistoryError(ValueError):
    """A history record that cannot be read; the message starts with where it is (FILE:LINE)."""


@dataclass(frozen=True)
class Operation:
    """One probe operation: a write of a unique value, or a read, with its invocation and completion.

    `end` is None when the completion is unknown (a timeout): the operation may or may not have
    taken effect, at any time after `start`. `index` is the operation's place in its history.
    """

    index: int
    op: Kind
    key: str
    value: int | None
    session: str
    start: float
    end: float | None
    outcome: Outcome
    node: str | None = None
    cluster: str = ""
    region: str | None = None

    @property
    def is_write(self) -> bool:
        return self.op == "write"

    @property
    def object(self) -> tuple[str, str]:
        """The register it is on: written values are unique per (cluster, key)."""
        return (self.cluster, self.key)

    @property
    def finish(self) -> float:
        """The completion time, +inf when unknown."""
        return math.inf if self.end is None else self.end

    def label(self) -> str:
        """`w(k3)=5`, `r(k3)=5`, `r(k3)=∅` (the initial state), with `?` for an unknown outcome."""
        shown = "∅" if self.value is None else str(self.value)
        mark = "" if self.outcome == "ok" else "?" if self.outcome == "unknown" else "✗"
        return f"{self.op[0]}({self.key})={shown}{mark}"

    def to_record(self) -> dict[str, Any]:
        return {"op": self.op, "key": self.key, "value": self.value, "session": self.session,
                "start": self.start, "end": self.end, "outcome": self.outcome, "node": self.node,
                "cluster": self.cluster, "region": self.region}


@dataclass(frozen=True)
class Fault:
    """A fault of the run the history comes from: its spec, when it struck and when it healed."""

    spec: str
    at: float
    healed: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "at": self.at, "healed": self.healed}


@dataclass(frozen=True)
class History:
    operations: tuple[Operation, ...]
    faults: tuple[Fault, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)  # the header's other fields (topology, seed...)

    def header(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **self.meta, "faults": [f.to_json() for f in self.faults]}


# -- parsing -------------------------------------------------------------------------------------

def _number(record: Mapping[str, Any], name: str, where: str, optional: bool = False) -> float | None:
    value = record.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HistoryError(f"{where}: {name!r} must be a finite number of seconds, got {value!r}")
    return float(value)


def _text(record: Mapping[str, Any], name: str, where: str, optional: bool = False) -> str | None:
    value = record.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise HistoryError(f"{where}: {name!r} must be a non-empty string, got {value!r}")
    return value


def parse_operation(record: Any, index: int, where: str) -> Operation:
    """One operation record (a dict as the simulator's ProbeRecorder emits it) into an Operation."""
    if not isinstance(record, Mapping):
        raise HistoryError(f"{where}: expected a JSON object, got {type(record).__name__}")
    kind = record.get("op")
    if kind not in KINDS:
        raise HistoryError(f"{where}: 'op' must be \"write\" or \"read\", got {kind!r}")
    outcome = record.get("outcome")
    if outcome not in OUTCOMES:
        raise HistoryError(f"{where}: 'outcome' must be \"ok\", \"fail\" or \"unknown\", got {outcome!r}")
    value = record.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise HistoryError(f"{where}: 'value' must be an integer or null, got {value!r}")
    if kind == "write" and value is None:
        raise HistoryError(f"{where}: a write needs the integer 'value' it wrote")
    start = _number(record, "start", where)
    end = _number(record, "end", where, optional=True)
    assert start is not None
    if end is None and outcome != "unknown":
        raise HistoryError(f"{where}: 'end' is null but the outcome is {outcome!r} (only \"unknown\" has no end)")
    if end is not None and end < start:
        raise HistoryError(f"{where}: 'end' {end} is before 'start' {start}")
    key = _text(record, "key", where)
    session = _text(record, "session", where)
    assert key is not None and session is not None
    cluster = record.get("cluster") or ""
    if not isinstance(cluster, str):
        raise HistoryError(f"{where}: 'cluster' must be a string, got {cluster!r}")
    return Operation(index=index, op=kind, key=key, value=value, session=session, start=start,
                     end=None if outcome == "unknown" else end, outcome=outcome,
                     node=_text(record, "node", where, optional=True), cluster=cluster,
                     region=_text(record, "region", where, optional=True))


def parse_faults(value: Any, where: str) -> tuple[Fault, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise HistoryError(f"{where}: 'faults' must be a list, got {type(value).__name__}")
    faults = []
    for i, item in enumerate(value):
        here = f"{where}: faults[{i}]"
        if not isinstance(item, Mapping):
            raise HistoryError(f"{here}: expected an object with 'spec', 'at' and 'healed'")
        spec = _text(item, "spec", here)
        at = _number(item, "at", here)
        assert spec is not None and at is not None
        faults.append(Fault(spec, at, _number(item, "healed", here, optional=True)))
    return tuple(faults)


def is_header(record: Any) -> bool:
    return isinstance(record, Mapping) and "format" in record


def parse_header(record: Mapping[str, Any], where: str) -> tuple[tuple[Fault, ...], dict[str, Any]]:
    if record.get("format") != FORMAT:
        raise HistoryError(f"{where}: 'format' must be {FORMAT!r}, got {record.get('format')!r}")
    if record.get("version") != VERSION:
        raise HistoryError(f"{where}: this regionctl reads version {VERSION} histories, "
                           f"got version {record.get('version')!r}")
    faults = parse_faults(record.get("faults"), where)
    meta = {k: v for k, v in record.items() if k not in ("format", "version", "faults")}
    return faults, meta


def parse_lines(lines: Iterable[str], source: str = "<history>") -> History:
    """JSONL text (an optional header line, then one operation per line) into a History.

    Blank lines are skipped; every error names `source:LINE`."""
    ops: list[Operation] = []
    faults: tuple[Fault, ...] = ()
    meta: dict[str, Any] = {}
    written: dict[tuple[str, str, int], str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
        if is_header(record):
            if ops:
                raise HistoryError(f"{where}: the header must be the first line")
            faults, meta = parse_header(record, where)
            continue
        ops.append(_unique(parse_operation(record, len(ops), where), written, where))
    return History(tuple(ops), faults, meta)


def _unique(op: Operation, written: dict[tuple[str, str, int], str], where: str) -> Operation:
    """Written values identify their write: a second write of one value on one key is an error."""
    if op.op == "write" and op.value is not None:
        ident = (op.cluster, op.key, op.value)
        if ident in written:
            raise HistoryError(f"{where}: value {op.value} was already written to {op.key!r} at {written[ident]}; "
                               "written values must be unique per key")
        written[ident] = where
    return op


def from_records(records: Iterable[Mapping[str, Any]], faults: Iterable[Fault] = (),
                 meta: Mapping[str, Any] | None = None) -> History:
    """The simulator's ProbeRecorder records (or any dicts in the history format) as a History."""
    written: dict[tuple[str, str, int], str] = {}
    ops = tuple(_unique(parse_operation(r, i, f"record {i}"), written, f"record {i}") for i, r in enumerate(records))
    return History(ops, tuple(faults), dict(meta or {}))


def format_lines(history: History) -> Iterator[str]:
    """The history as JSONL lines (header first), without newlines; `parse_lines` reads them back."""
    yield json.dumps(history.header(), sort_keys=False)
    for op in history.operations:
        yield json.dumps(op.to_record(), sort_keys=False)
