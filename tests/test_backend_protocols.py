"""What a backend offers is declared (contract.commands), not found by hasattr/getattr."""

from __future__ import annotations

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import Backend, ClosableBackend, Command, CommandResult, PacedBackend, TickingBackend
from regionctl.contract.snapshot import Snapshot
from tests.simhelpers import bundled


class Polled:
    """A backend with no play loop and nothing to close: the dashboard polls it."""

    name = "polled"

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap

    def snapshot(self) -> Snapshot:
        return self.snap

    async def apply(self, command: Command) -> CommandResult:
        return CommandResult(False, "no")

    async def advance(self, seconds: float) -> None:
        return None


def test_the_simulator_is_a_paced_backend() -> None:
    backend = SimBackend(bundled("active-passive"))
    assert isinstance(backend, Backend) and isinstance(backend, PacedBackend) and isinstance(backend, TickingBackend)
    assert not isinstance(backend, ClosableBackend)


def test_a_backend_without_a_play_loop_is_not_paced() -> None:
    polled = Polled(SimBackend(bundled("active-passive")).snapshot())
    assert isinstance(polled, Backend)
    assert not isinstance(polled, TickingBackend) and not isinstance(polled, ClosableBackend)


def test_the_ssh_backend_declares_close_and_a_tick_source_and_no_pacing() -> None:
    from regionctl.backends.ssh.backend import SshBackend

    assert callable(SshBackend.close) and callable(SshBackend.play)  # ClosableBackend, TickingBackend
    assert not any(hasattr(SshBackend, name) for name in ("pace", "pause", "resume", "speed"))
