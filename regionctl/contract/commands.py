"""The Backend protocol: frontends read Snapshots and send Commands, nothing else.

Every frontend (TUI, headless runs, exporter, labs) and the runbook executor speak
only this vocabulary, so the same runbook drives the simulator and real hosts.
A backend that cannot carry out a command answers CommandResult(ok=False, ...)
with a sentence saying why; it never raises for an unsupported command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from regionctl.contract.faults import Fault
from regionctl.contract.snapshot import Snapshot


@dataclass(frozen=True)
class InjectFault:
    """Inject a fault (a region, zone or node down, a partition, latency, loss...)."""

    fault: Fault  # parsed and checked at the edge

    @property
    def spec(self) -> str:
        return self.fault.spec


@dataclass(frozen=True)
class HealFault:
    """Heal one active fault."""

    fault: Fault  # equal to an active fault (partition:A|B heals partition:B|A)

    @property
    def spec(self) -> str:
        return self.fault.spec


@dataclass(frozen=True)
class HealAll:
    """Heal every active fault."""

    pass


@dataclass(frozen=True)
class Promote:
    """Make a node its cluster's leader."""

    node: str


@dataclass(frozen=True)
class Demote:
    """Step a leader down."""

    node: str  # step a leader down (it becomes a follower of whoever leads next)


@dataclass(frozen=True)
class Repoint:
    """Make a node replicate from another (or from the current leader)."""

    node: str
    to: str | None = None  # follow this node; None: follow the cluster's current leader


@dataclass(frozen=True)
class Fence:
    """Stop a node from accepting writes."""

    node: str  # make sure it can no longer accept writes (STONITH, stop the service)


@dataclass(frozen=True)
class Unfence:
    """Let a fenced node accept writes again."""

    node: str


@dataclass(frozen=True)
class SetReadOnly:
    """Put a cluster in (or out of) read-only mode."""

    cluster: str
    read_only: bool = True


@dataclass(frozen=True)
class ShiftTraffic:
    """Send clients to another region."""

    to_region: str  # send clients to this region's entry point (DNS or proxy change)
    from_region: str | None = None  # None: every region's clients
    cluster: str | None = None  # None: every cluster's traffic


@dataclass(frozen=True)
class RunCommand:
    """Run a shell command on a node's host (real hosts only)."""

    host: str  # a node name; the SSH backend runs it there, the simulator refuses
    command: str
    timeout: float = 30.0


Command = (InjectFault | HealFault | HealAll | Promote | Demote | Repoint | Fence | Unfence | SetReadOnly
           | ShiftTraffic | RunCommand)


@dataclass(frozen=True)
class CommandResult:
    """Whether a command did what it was asked, and what the backend said."""

    ok: bool
    message: str


@runtime_checkable
class Backend(Protocol):
    name: str

    def snapshot(self) -> Snapshot: ...

    async def apply(self, command: Command) -> CommandResult: ...

    async def advance(self, seconds: float) -> None:
        """Let `seconds` of the backend's time pass: at once on the simulator, really on hosts."""
        ...


@runtime_checkable
class TickingBackend(Backend, Protocol):
    """A backend with its own tick source: `play` publishes a snapshot `hz` times a second."""

    async def play(self, on_snapshot: Callable[[Snapshot], None], hz: float = 4.0,
                   until: float | None = None) -> None: ...


@runtime_checkable
class PacedBackend(TickingBackend, Protocol):
    """A backend whose time its tick source paces (the simulator): a speed, pause, resume."""

    speed: float
    paused: bool
    live: bool  # a paced tick source owns time: advance() waits for it

    def pace(self, limit: float | None = None) -> float: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...


@runtime_checkable
class SettlingBackend(Backend, Protocol):
    """A backend with figures it knows only once the run is over (real hosts' probe writes, read back)."""

    async def settle(self) -> None: ...


@runtime_checkable
class ClosableBackend(Backend, Protocol):
    """A backend holding connections (real hosts over SSH) that must be closed."""

    async def close(self) -> None: ...

