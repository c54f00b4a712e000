"""A scenario file: a fault schedule, the drill's length and its seed, that `regionctl drill TOPOLOGY
--scenario FILE` replays (no runbook). `explore` writes one per finding; reading one goes through the
project's safe YAML reader, so every problem is reported as FILE:LINE:COL.

    topology: active-passive
    seed: 1650703466
    duration: 600s
    faults:
      - {fault: "region:us-east", at: 60s, duration: 30s}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from regionctl.contract.faults import FaultSpecError, ScheduledFault, check_targets, parse_fault
from regionctl.model.diagnostics import Diagnostic, InputError
from regionctl.model.topology import Topology
from regionctl.units import UnitError, parse_duration

FIELDS = ("topology", "seed", "duration", "probes", "faults")
FAULT_FIELDS = ("fault", "at", "duration")


@dataclass(frozen=True, slots=True)
class Scenario:
    topology: str | None
    seed: int
    duration: float
    faults: tuple[ScheduledFault, ...]
    probes: bool = False  # probe sessions record a history, checked for consistency (as `drill --history`)


def seconds(value: float) -> str:
    """Whole or fractional seconds as `parse_duration` reads them back to the same float."""
    return f"{value:g}s" if f"{value:g}" == repr(value).removesuffix(".0") else f"{value!r}s"


def timing(item: ScheduledFault) -> str:
    """`@60s+30s`, as `--fault SPEC@T+D` takes it."""
    return f"@{seconds(item.at)}" + (f"+{seconds(item.duration)}" if item.duration is not None else "")


def drill_command(topology: str, schedule: tuple[ScheduledFault, ...], duration: float, seed: int,
                  probes: bool = False) -> str:
    import shlex

    faults = " ".join(f"--fault {shlex.quote(x.fault.spec + timing(x))}" for x in schedule)
    history = " --history history.jsonl" if probes else ""  # the probe sessions a consistency finding needs
    return f"regionctl drill {shlex.quote(topology)} {faults} --duration {seconds(duration)} --seed {seed}{history}"


def scenario_text(topology: str, schedule: tuple[ScheduledFault, ...], duration: float, seed: int,
                  comment: str = "", probes: bool = False) -> str:
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f"topology: {json.dumps(topology)}", f"seed: {seed}", f"duration: {seconds(duration)}"]
    lines += ["probes: true"] if probes else []
    lines.append("faults:")
    for x in schedule:
        tail = f", duration: {seconds(x.duration)}" if x.duration is not None else ""
        lines.append(f"  - {{fault: {json.dumps(x.fault.spec)}, at: {seconds(x.at)}{tail}}}")
    return "\n".join(lines) + "\n"


def read_scenario(path: str | Path, topology: Topology) -> Scenario:
    """Read and check a scenario against the topology it is replayed on. Raises InputError with every problem."""
    from regionctl.model.suggest import did_you_mean
    from regionctl.model.yaml_source import read_yaml_file

    doc = read_yaml_file(path)
    data = doc.data
    problems: list[Diagnostic] = []
    for name in data:
        if name not in FIELDS:
            problems.append(doc.diagnostic((str(name),), f"unknown field {name!r}{did_you_mean(str(name), FIELDS)} "
                                           f"(expected: {', '.join(FIELDS)})", prefer_key=True))
    named = data.get("topology")
    if named is not None and named != topology.name:
        problems.append(doc.diagnostic(("topology",), f"this scenario is for topology {named!r}, found it replayed "
                                       f"on {topology.name!r}"))
    seed = data.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(doc.diagnostic(("seed",), f"expected a whole number >= 0, found {seed!r}"))
        seed = 1
    duration = 600.0
    if "duration" not in data:
        problems.append(doc.diagnostic(("duration",), "expected the drill's length, such as 10m; found none"))
    else:
        try:
            duration = parse_duration(data["duration"])
        except UnitError as exc:
            problems.append(doc.diagnostic(("duration",), str(exc)))
        else:
            if duration <= 0:
                problems.append(doc.diagnostic(("duration",), f"expected a drill longer than 0s, found "
                                                             f"{data['duration']}"))
                duration = 600.0
    probes = data.get("probes", False)
    if not isinstance(probes, bool):
        problems.append(doc.diagnostic(("probes",), f"expected true or false, found {probes!r}"))
        probes = False
    raw = data.get("faults")
    faults: list[ScheduledFault] = []
    if not isinstance(raw, list):
        problems.append(doc.diagnostic(("faults",), f"expected a list of faults, found {type(raw).__name__}"))
        raw = []
    for i, entry in enumerate(raw):
        item = _fault(doc, i, entry, topology, duration, problems)
        if item is not None:
            faults.append(item)
    if problems:
        raise InputError(problems)
    return Scenario(named, seed, duration, tuple(faults), probes)


def _fault(doc: object, i: int, entry: object, topology: Topology, duration: float,
           problems: list[Diagnostic]) -> ScheduledFault | None:
    from regionctl.model.suggest import did_you_mean
    from regionctl.model.yaml_source import YamlDocument

    assert isinstance(doc, YamlDocument)
    where = ("faults", i)
    if not isinstance(entry, dict):
        problems.append(doc.diagnostic(where, "expected {fault: SPEC, at: T, duration: D}, found "
                                       f"{type(entry).__name__}"))
        return None
    before = len(problems)
    for name in entry:
        if name not in FAULT_FIELDS:
            problems.append(doc.diagnostic((*where, str(name)), f"unknown field {name!r}"
                                           f"{did_you_mean(str(name), FAULT_FIELDS)} (expected: "
                                           f"{', '.join(FAULT_FIELDS)})", prefer_key=True))
    fault = None
    try:
        fault = parse_fault(str(entry.get("fault", "")))
        check_targets(fault, topology)
    except FaultSpecError as exc:
        problems.append(doc.diagnostic((*where, "fault"), str(exc)))
    at, length = 0.0, None
    for name in ("at", "duration"):
        if name in entry:
            try:
                value = parse_duration(entry[name])
            except UnitError as exc:
                problems.append(doc.diagnostic((*where, name), str(exc)))
                continue
            if name == "at":
                at = value
            else:
                length = value
    if at > duration:
        problems.append(doc.diagnostic((*where, "at"), f"expected a start within the drill ({seconds(duration)}), "
                                       f"found {seconds(at)}"))
    if fault is None or len(problems) > before:
        return None
    return ScheduledFault(fault, at, length)
