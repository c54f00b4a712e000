"""The run's journal: append-only JSON lines, each written (and, on real hosts, fsynced) before the run goes on.

Written before a mutating step starts and after it ends, so that after a crash (even
SIGKILL) `run --resume` knows what was done and `recover` knows what is still injected. Each
line is one unbuffered write, which survives the process being killed; fsync adds the machine
losing power, which only matters where the steps changed real hosts (`durable`): a simulated
run is replayed from its seed.
Mode 0600. A new run creates its journal (an existing file that is not empty is refused:
it may be another run's journal, or a topology); --resume and recover only append to a
file that reads as a journal. Every line is checked against journal_schema when read.

Secrets never reach the disk. A secret parameter's value is written as `${name}` (other
secret strings as ***), and the run-started record keeps, per secret parameter, the
environment variable it came from and a salted PBKDF2 digest of its value: `recover` and
`--resume` put the value back (from --var NAME=VALUE or that environment variable), check it
against the digest, and only then heal what the journal owes, so that a fault spec built
from a secret (`node:${victim}`) is healed on the right target without being journaled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from regionctl.contract import commands as protocol
from regionctl.contract.commands import Command
from regionctl.contract.faults import FaultSpecError, parse_fault
from regionctl.runbook.journal_schema import COMMAND_TYPES, Bad, check_record

REDACTED = "***"
_DIGEST_ROUNDS = 100_000
__all__ = ["COMMAND_TYPES", "Journal", "JournalError", "JournalState", "command_from_json", "command_to_json",
           "describe_command", "journal_state", "load_journal", "read_journal", "redact", "resolve_secrets",
           "secrets_needed"]


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
    """A command in words, as run's progress, recover and the dashboard say it: `heal region:us-east`."""
    if isinstance(command, protocol.InjectFault | protocol.HealFault):
        return f"{'inject' if isinstance(command, protocol.InjectFault) else 'heal'} {command.spec}"
    if isinstance(command, protocol.HealAll):
        return "heal every fault"
    if isinstance(command, protocol.Repoint):
        return f"repoint {command.node} to {command.to or 'the leader'}"
    if isinstance(command, protocol.SetReadOnly):
        return f"set {command.cluster} {'read-only' if command.read_only else 'read-write'}"
    if isinstance(command, protocol.ShiftTraffic):
        whose = f"{command.from_region}'s" if command.from_region else "every region's"
        what = f" {command.cluster}" if command.cluster else ""
        return f"shift {whose}{what} traffic to {command.to_region}"
    if isinstance(command, protocol.RunCommand):
        return f"run {command.command!r} on {command.host}"
    if isinstance(command, protocol.Promote | protocol.Demote | protocol.Fence | protocol.Unfence):
        return f"{type(command).__name__.lower()} {command.node}"
    args = ", ".join(f"{v}" for v in _fields(command).values() if v is not None)  # pragma: no cover
    return f"{type(command).__name__}({args})"  # pragma: no cover


def redact(value: Any, secrets: Iterable[str], names: Mapping[str, str] | None = None) -> Any:
    """Each secret string replaced by *** (or by `${name}` when `names` maps it to its parameter)."""
    ordered = sorted({s for s in secrets if s} | set(names or {}), key=len, reverse=True)
    if not ordered:
        return value
    if isinstance(value, str):
        for secret in ordered:
            name = (names or {}).get(secret)
            value = value.replace(secret, f"${{{name}}}" if name else REDACTED)
        return value
    if isinstance(value, list):
        return [redact(v, ordered, names) for v in value]
    if isinstance(value, dict):
        return {k: redact(v, ordered, names) for k, v in value.items()}
    return value


def _digest(value: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", value.encode(), bytes.fromhex(salt), _DIGEST_ROUNDS).hex()


class Journal:
    """`Journal(path)` starts a new run's journal; `Journal(path, resume=True)` appends to an existing one
    (which the caller has read with load_journal): a torn last line is cut off first."""

    def __init__(self, path: str | Path, secrets: Iterable[str] = (),
                 wall_clock: Callable[[], float] = time.time, *, resume: bool = False, durable: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable
        self.secrets = tuple(secrets)
        self.secret_params: dict[str, tuple[str, str | None]] = {}  # name -> (value, environment variable)
        self._wall = wall_clock
        self._fd = -1
        self._fd = self._open_append() if resume else self._open_new()
        self.seq = len(load_journal(self.path).records) if resume else 0
        if resume:
            self._cut_torn_tail()

    def _open_new(self) -> int:
        flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            return os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror}") from None
        found = os.lstat(self.path)  # before anything is opened or chmodded: it may be someone's topology
        if not stat.S_ISREG(found.st_mode):
            raise JournalError(f"{self.path} exists and is not a regular file: a journal is one (not a device, "
                               f"pipe, link or directory)")
        if found.st_size > 0:
            raise JournalError(f"{self.path} already exists: a new run never writes into an existing file (it may "
                               f"be another run's journal, or not a journal at all). Give a new path, or "
                               f"--resume {self.path} to continue the run it records")
        return self._open_append()  # an empty file made for the run (mktemp)

    def _open_append(self) -> int:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise JournalError(f"{self.path} is not a regular file: a journal is one (not a device, pipe or "
                               f"directory)")
        os.fchmod(fd, 0o600)  # an existing file keeps no wider mode
        return fd

    def _cut_torn_tail(self) -> None:
        data = self.path.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep < len(data):
            os.ftruncate(self._fd, keep)

    def write(self, event: str, **fields: Any) -> None:
        self.seq += 1
        names = {value: name for name, (value, _env) in self.secret_params.items() if value}
        if event in ("run-started", "run-resumed") and self.secret_params:
            salt = os.urandom(16).hex()  # as secrets.token_hex(16), without importing hmac and base64
            fields["secret_params"] = {name: {"env": env, "salt": salt, "digest": _digest(value, salt)}
                                       for name, (value, env) in sorted(self.secret_params.items())}
        record = {"seq": self.seq, "event": event,
                  "wall": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._wall())),
                  **redact(fields, self.secrets, names)}
        if "secret_params" in fields:
            record["secret_params"] = fields["secret_params"]  # names, variables and digests: nothing secret
        os.write(self._fd, (json.dumps(record, sort_keys=True) + "\n").encode())
        if self.durable:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclasses.dataclass(frozen=True)
class LoadedJournal:
    """A journal read back: its records, and the torn last line if one was dropped."""

    records: list[dict[str, Any]]
    torn_line: int | None  # the line number of a torn last line that was dropped


def load_journal(path: str | Path) -> LoadedJournal:
    """Every line checked; the first problem raises JournalError naming PATH:LINE."""
    p = Path(path)
    try:
        if not p.exists():
            raise JournalError(f"no journal at {p}")
        if not p.is_file():
            raise JournalError(f"{p} is not a regular file, so not a journal")
        data = p.read_bytes()
    except OSError as exc:
        raise JournalError(f"cannot read the journal {p}: {exc.strerror}") from None
    lines = data.split(b"\n")
    records: list[dict[str, Any]] = []
    torn = None
    for number, raw in enumerate(lines, 1):
        last = number == len(lines)  # no newline after it: the write may have been cut short
        if not raw.strip():
            if not last:
                raise JournalError(f"{p}:{number}: an empty line (a journal has one record per line)")
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            if last and records:
                torn = number
                break
            what = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else f"not JSON ({exc})"
            raise JournalError(f"{p}:{number}: {what}; "
                               f"{'not a regionctl journal' if not records else 'the journal is corrupt'}") from None
        try:
            check_record(record, len(records) + 1)
        except Bad as exc:
            raise JournalError(f"{p}:{number}: {exc}" + ("" if records else " (not a regionctl journal)")) from None
        records.append(record)
    if not records:
        raise JournalError(f"{p} is not a regionctl journal (it is empty)")
    return LoadedJournal(records, torn)


def read_journal(path: str | Path) -> list[dict[str, Any]]:
    return load_journal(path).records


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
    # A fault whose command was started is owed until the journal says it was never applied: its step
    # ended with no application that succeeded or whose outcome is unknown.
    started: dict[tuple[str, str], tuple[Command, bool]] = {}
    heal: Command  # (section, step) -> (heal, pushed by the start)
    maybe: set[tuple[str, str]] = set()  # steps with an application that may have happened
    for record in records:
        kind = record.get("event")
        last_at = float(record.get("at", last_at))
        key = (str(record.get("section")), str(record.get("step")))
        if kind == "step-started" and isinstance(record.get("command"), dict):
            command = command_from_json(record["command"])
            if isinstance(command, protocol.InjectFault):
                heal = protocol.HealFault(command.fault)
                started[key] = (heal, heal not in undo)
                if heal not in undo:
                    undo.append(heal)
        elif kind == "step-ended":
            if key in started and key not in maybe:
                heal, pushed = started.pop(key)
                if pushed and heal in undo:
                    undo.remove(heal)  # never applied: nothing to heal
            started.pop(key, None)
            if record.get("section") == "steps":
                completed[str(record["step"])] = str(record.get("status"))
            elif record.get("section") == "rollback" and record.get("status") == "ok":
                rollback_done.add(str(record["step"]))
        elif kind == "run-stopping":
            stopping = (int(record.get("exit_code", 4)), str(record.get("reason", "")))
        elif kind == "command-applied" and (record.get("ok") or record.get("unknown")):
            maybe.add(key)
            command = command_from_json(record["command"])
            if not record.get("ok"):
                continue  # the outcome is unknown: its heal stays owed, but it is not done
            applied.append((float(record["at"]), command))
            if record.get("section") == "steps":
                # Applied is done, even if the process died before it could write step-ended:
                # running the step again would inject the fault twice.
                completed.setdefault(str(record["step"]), "ok")
            # The undo stack follows from what was applied (undo-pushed may not have made it
            # to the disk before a SIGKILL; command-applied did).
            if isinstance(command, protocol.InjectFault):
                if protocol.HealFault(command.fault) not in undo:
                    undo.append(protocol.HealFault(command.fault))
            elif isinstance(command, protocol.HealFault | protocol.HealAll):
                undo[:] = [u for u in undo if not (isinstance(command, protocol.HealAll) or u == command)]
        elif kind == "undo-pushed" and str(record.get("why", "")).startswith("outcome unknown"):
            heal = command_from_json(record["command"])
            maybe.add((str(record.get("section", "steps")), str(record.get("step"))))
            if heal not in undo:
                undo.append(heal)
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


_SECRET_REF = re.compile(r"\$\{([A-Za-z0-9_-]+)\}")


def _secret_params(records: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for record in records:
        if record.get("event") in ("run-started", "run-resumed"):
            found.update(record.get("secret_params") or {})
    return found


def secrets_needed(records: list[dict[str, Any]]) -> list[str]:
    """The secret parameters whose `${name}` stands in a command of the journal."""
    params = _secret_params(records)
    texts = json.dumps([r.get("command") for r in records] + [r.get("commands") for r in records])
    return sorted({m.group(1) for m in _SECRET_REF.finditer(texts) if m.group(1) in params})


def _put_back(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _SECRET_REF.sub(lambda m: values.get(m.group(1), m.group()), value)
    if isinstance(value, list):
        return [_put_back(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _put_back(v, values) for k, v in value.items()}
    return value


def resolve_secrets(records: list[dict[str, Any]], given: Mapping[str, str],
                    env: Mapping[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The records with each secret parameter's value put back into their commands (from `given`, else
    the environment variable the run read), each checked against the journal's digest; and the values.
    Raises JournalError naming what is missing or wrong: nothing may be healed on a guess."""
    params = _secret_params(records)
    values: dict[str, str] = {}
    for name in secrets_needed(records):
        spec = params[name]
        variable = spec.get("env") if isinstance(spec, dict) else None
        value = given.get(name, env.get(variable) if variable else None)
        where = f"--var {name}=VALUE" + (f" or set {variable}" if variable else "")
        if value is None:
            raise JournalError(f"the journal's commands hold the secret parameter ${{{name}}}, whose value it "
                               f"does not record: give it with {where}")
        if not isinstance(spec, dict) or _digest(value, str(spec.get("salt", ""))) != spec.get("digest"):
            raise JournalError(f"the value given for the secret parameter {name} is not the one the run used "
                               f"(its digest differs); nothing was touched")
        values[name] = value
    if not values:
        return records, values
    resolved = [{**r, **{k: _put_back(r[k], values) for k in ("command", "commands") if k in r}} for r in records]
    return resolved, values
