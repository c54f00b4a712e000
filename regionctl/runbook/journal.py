"""The run's journal: append-only JSON lines, each flushed and fsynced before the run goes on.

Written before a mutating step starts and after it ends, so that after a crash (even
SIGKILL) `run --resume` knows what was done and `recover` knows what is still injected.
Mode 0600; secret values (parameters marked secret or taken from the environment)
are replaced by *** in every string before it reaches the disk.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from regionctl.contract import commands as protocol
from regionctl.contract.commands import Command
from regionctl.contract.faults import FaultSpecError, parse_fault

REDACTED = "***"
COMMAND_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (protocol.InjectFault, protocol.HealFault, protocol.HealAll, protocol.Promote,
                                  protocol.Demote, protocol.Repoint, protocol.Fence, protocol.Unfence,
                                  protocol.SetReadOnly, protocol.ShiftTraffic, protocol.RunCommand)
}


class JournalError(Exception):
    pass


def _fields(command: Command) -> dict[str, Any]:
    """A command's fields as JSON values: a Fault is its spec (the journal's form)."""
    if isinstance(command, protocol.InjectFault | protocol.HealFault):
        return {"spec": command.fault.spec}
    return dataclasses.asdict(command)


def command_to_json(command: Command) -> dict[str, Any]:
    return {"type": type(command).__name__, **_fields(command)}


def command_from_json(data: dict[str, Any]) -> Command:
    fields = dict(data)
    cls = COMMAND_TYPES.get(str(fields.pop("type", "")))
    if cls is None:
        raise JournalError(f"unknown command in journal: {data!r}")
    try:
        if cls in (protocol.InjectFault, protocol.HealFault):
            fields = {"fault": parse_fault(str(fields.get("spec", "")))}
        command: Command = cls(**fields)
    except (TypeError, FaultSpecError) as exc:
        raise JournalError(f"unreadable command in journal: {data!r} ({exc})") from None
    return command


def describe_command(command: Command) -> str:
    args = ", ".join(f"{v}" for v in _fields(command).values() if v is not None)
    return f"{type(command).__name__}({args})"


def redact(value: Any, secrets: Iterable[str]) -> Any:
    secrets = [s for s in secrets if s]
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    return value


class Journal:
    def __init__(self, path: str | Path, secrets: Iterable[str] = (),
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.secrets = tuple(secrets)
        self._wall = wall_clock
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror}") from None
        os.fchmod(self._fd, 0o600)  # an existing file keeps no wider mode
        self.seq = sum(1 for _ in read_journal_lines(self.path))

    def write(self, event: str, **fields: Any) -> None:
        self.seq += 1
        record = {"seq": self.seq, "event": event,
                  "wall": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._wall())),
                  **redact(fields, self.secrets)}
        os.write(self._fd, (json.dumps(record, sort_keys=True) + "\n").encode())
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read_journal_lines(path: Path) -> Iterable[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a torn last line from a crash mid-write: everything before it stands
    return out


def read_journal(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.exists():
        raise JournalError(f"no journal at {p}")
    records = list(read_journal_lines(p))
    if not records or records[0].get("event") != "run-started":
        raise JournalError(f"{p} is not a regionctl journal (it does not start with run-started)")
    return records


@dataclasses.dataclass
class JournalState:
    """What a journal says happened: for --resume and recover."""
    start: dict[str, Any]
    completed: dict[str, str]  # step id -> status, for steps that ended
    applied: list[tuple[float, Command]]  # every command that changed the backend, in order
    undo: list[Command]  # compensations still owed (last in, first out)
    ended: dict[str, Any] | None
    last_at: float
    stopping: tuple[int, str] | None = None  # the run had begun to stop (exit code, reason) when it died
    rollback_done: frozenset[str] = frozenset()


def journal_state(records: list[dict[str, Any]]) -> JournalState:
    completed: dict[str, str] = {}
    applied: list[tuple[float, Command]] = []
    undo: list[Command] = []
    ended = None
    last_at = 0.0
    stopping: tuple[int, str] | None = None
    rollback_done: set[str] = set()
    for record in records:
        kind = record.get("event")
        last_at = float(record.get("at", last_at))
        if kind == "step-ended" and record.get("section") == "steps":
            completed[str(record["step"])] = str(record.get("status"))
        elif kind == "step-ended" and record.get("section") == "rollback" and record.get("status") == "ok":
            rollback_done.add(str(record["step"]))
        elif kind == "run-stopping":
            stopping = (int(record.get("exit_code", 4)), str(record.get("reason", "")))
        elif kind == "command-applied" and record.get("ok"):
            command = command_from_json(record["command"])
            applied.append((float(record["at"]), command))
            if record.get("section") == "steps":
                # Applied is done, even if the process died before it could write step-ended:
                # running the step again would inject the fault twice.
                completed.setdefault(str(record["step"]), "ok")
            # The undo stack follows from what was applied (undo-pushed may not have made it
            # to the disk before a SIGKILL; command-applied did).
            if isinstance(command, protocol.InjectFault):
                undo.append(protocol.HealFault(command.fault))
            elif isinstance(command, protocol.HealFault | protocol.HealAll):
                undo[:] = [u for u in undo if not (isinstance(command, protocol.HealAll) or u == command)]
        elif kind == "undo-applied" and record.get("ok"):
            done = command_from_json(record["command"])
            applied.append((float(record["at"]), done))
            for i in range(len(undo) - 1, -1, -1):
                if undo[i] == done:
                    del undo[i]
                    break
        elif kind == "run-ended":
            ended = record
    return JournalState(records[0], completed, applied, undo, ended, last_at, stopping, frozenset(rollback_done))
