"""The Backend protocol: frontends read Snapshots and send Commands, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from regionctl.backends.snapshot import Snapshot


@dataclass(frozen=True)
class InjectFault:
    spec: str


@dataclass(frozen=True)
class HealFault:
    spec: str  # the spec of an active fault


@dataclass(frozen=True)
class HealAll:
    pass


@dataclass(frozen=True)
class Promote:
    node: str


Command = InjectFault | HealFault | HealAll | Promote


@dataclass(frozen=True)
class CommandResult:
    ok: bool
    message: str


class Backend(Protocol):
    name: str

    def snapshot(self) -> Snapshot: ...

    async def apply(self, command: Command) -> CommandResult: ...

    async def advance(self, seconds: float) -> None: ...
