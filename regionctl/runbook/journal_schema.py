"""What a journal line must look like: every line is checked before a journal is believed.

A journal drives `recover` (what is still injected) and `--resume` (what not to run again),
so a line that does not say clearly what happened is an error naming JOURNAL:LINE, never a
guess: a garbage line in the middle must not pass for the end of the run. The one exception
is a torn last line (a crash in the middle of a write: no newline at the end and not
complete JSON), which is dropped and reported.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from regionctl.contract import commands as protocol
from regionctl.contract.faults import FaultSpecError, parse_fault

# Simulated or monotonic seconds since the run's backend opened: a run lasts hours, not centuries
# (and a simulation replayed up to 1e308 s would never end).
MAX_AT = 1e7
COMMAND_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (protocol.InjectFault, protocol.HealFault, protocol.HealAll, protocol.Promote,
                                  protocol.Demote, protocol.Repoint, protocol.Fence, protocol.Unfence,
                                  protocol.SetReadOnly, protocol.ShiftTraffic, protocol.RunCommand)
}
SECTIONS = ("steps", "rollback")


class Bad(Exception):
    """One line's problem: the field path and what was expected."""


def _what(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value[:40] + ("..." if len(value) > 40 else ""))
    if isinstance(value, (int, float)):
        return repr(value)
    return f"a {'list' if isinstance(value, list) else 'mapping' if isinstance(value, dict) else type(value).__name__}"


def _expect(ok: bool, field: str, expected: str, value: Any) -> None:
    if not ok:
        raise Bad(f"{field}: expected {expected}, found {_what(value)}")


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


_FIELD_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "str": (_is_str, "a string"),
    "str | None": (lambda v: v is None or _is_str(v), "a string or null"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "float": (_is_number, "a number"),
}


def check_command(value: Any, field: str) -> None:
    _expect(isinstance(value, dict), field, "a command (a mapping with type)", value)
    kind = value.get("type")
    _expect(kind in COMMAND_TYPES, f"{field}.type", f"one of {', '.join(COMMAND_TYPES)}", kind)
    if kind in ("InjectFault", "HealFault"):  # journaled as the fault's spec
        for key in value:
            if key not in ("type", "spec"):
                raise Bad(f"{field}.{key}: {kind} has no such field (fields: spec)")
        spec = value.get("spec")
        _expect(_is_str(spec), f"{field}.spec", "a fault spec such as node:pg-1", spec)
        if "${" not in spec:  # else a secret parameter, put back by recover before it is parsed
            try:
                parse_fault(spec)
            except FaultSpecError as exc:
                raise Bad(f"{field}.spec: {exc}") from None
        return
    fields = {f.name: f for f in dataclasses.fields(COMMAND_TYPES[kind])}
    for key in value:
        if key != "type" and key not in fields:
            raise Bad(f"{field}.{key}: {kind} has no such field (fields: {', '.join(fields) or 'none'})")
    for name, spec in fields.items():
        if name not in value:
            if spec.default is dataclasses.MISSING:
                raise Bad(f"{field}.{name}: expected {_FIELD_CHECKS[str(spec.type)][1]}, found nothing")
            continue
        check, expected = _FIELD_CHECKS.get(str(spec.type), (lambda _v: True, ""))
        _expect(check(value[name]), f"{field}.{name}", expected, value[name])


def _str(record: Mapping[str, Any], key: str, optional: bool = False) -> None:
    if optional and record.get(key) is None:
        return
    _expect(_is_str(record.get(key)), key, "a string", record.get(key))


def _choice(record: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> None:
    _expect(record.get(key) in choices, key, f"one of {', '.join(choices)}", record.get(key))


def _bool(record: Mapping[str, Any], key: str) -> None:
    _expect(isinstance(record.get(key), bool), key, "true or false", record.get(key))


def _start(r: Mapping[str, Any]) -> None:
    for key in ("runbook", "topology", "backend"):
        _str(r, key)
    _str(r, "topology_path", optional=True)
    _expect(r.get("seed") is None or _is_int(r.get("seed")), "seed", "an integer or null", r.get("seed"))
    _expect(isinstance(r.get("params", {}), dict), "params", "a mapping", r.get("params"))
    steps = r.get("steps", [])
    _expect(isinstance(steps, list), "steps", "a list", steps)
    for i, step in enumerate(steps):
        _expect(isinstance(step, dict) and _is_str(step.get("id")), f"steps[{i}]", "a mapping with an id", step)
    _expect(isinstance(r.get("secret_params", {}), dict), "secret_params", "a mapping", r.get("secret_params"))


def _step_started(r: Mapping[str, Any]) -> None:
    _choice(r, "section", SECTIONS)
    _str(r, "step")
    _str(r, "kind")
    if r.get("command") is not None:
        check_command(r["command"], "command")


def _step_ended(r: Mapping[str, Any]) -> None:
    _choice(r, "section", SECTIONS)
    _str(r, "step")
    _str(r, "status")


def _command_applied(r: Mapping[str, Any]) -> None:
    _choice(r, "section", SECTIONS)
    _str(r, "step")
    check_command(r.get("command"), "command")
    _bool(r, "ok")
    if "unknown" in r:
        _bool(r, "unknown")


def _undo(r: Mapping[str, Any]) -> None:
    check_command(r.get("command"), "command")


def _undo_applied(r: Mapping[str, Any]) -> None:
    check_command(r.get("command"), "command")
    _bool(r, "ok")


def _undo_kept(r: Mapping[str, Any]) -> None:
    commands = r.get("commands")
    if not isinstance(commands, list):
        raise Bad(f"commands: expected a list of commands, found {_what(commands)}")
    for i, command in enumerate(commands):
        check_command(command, f"commands[{i}]")


def _stopping(r: Mapping[str, Any]) -> None:
    _expect(_is_int(r.get("exit_code")) and 0 <= r["exit_code"] <= 6, "exit_code", "an exit code 0-6",
            r.get("exit_code"))


def _ended(r: Mapping[str, Any]) -> None:
    _str(r, "result")
    _stopping(r)


EVENTS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "run-started": _start, "run-resumed": _start, "precheck-failed": lambda r: None,
    "step-started": _step_started, "step-ended": _step_ended, "command-applied": _command_applied,
    "undo-pushed": _undo, "undo-dropped": _undo, "undo-applied": _undo_applied, "undo-kept": _undo_kept,
    "run-stopping": _stopping, "rollback-started": lambda r: None, "guard-tripped": lambda r: None,
    "run-ended": _ended,
}


def check_record(record: Any, seq: int) -> None:
    """Raise Bad saying what is wrong with one parsed journal line (the seq-th record)."""
    _expect(isinstance(record, dict), "the line", "a JSON object (a journal record)", record)
    _expect(_is_int(record.get("seq")), "seq", "an integer", record.get("seq"))
    _expect(record["seq"] == seq, "seq", f"{seq} (records are numbered in order)", record["seq"])
    event = record.get("event")
    _expect(event in EVENTS, "event", "a journal event (run-started, step-started, ...)", event)
    if seq == 1:
        _expect(event == "run-started", "event", "run-started (the first record of a journal)", event)
    at = record.get("at")
    _expect(_is_number(at) and 0 <= at <= MAX_AT, "at", f"seconds into the run, 0 to {MAX_AT:g}", at)
    EVENTS[str(event)](record)
