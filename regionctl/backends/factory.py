"""Open the backend a command asked for (`--backend sim|ssh`), the same way everywhere."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from regionctl.contract.commands import Backend
from regionctl.model.topology import Topology


class BackendUnavailable(Exception):
    """The backend cannot be opened; the message says why and what to do."""


async def open_backend(name: str, topology: Topology, *, seed: int = 1, speed: float = 1.0,
                       base_dir: Path | None = None, probe_writes: bool = False) -> Backend:
    """`base_dir`: where the topology file is (its relative known_hosts and key paths start there).
    `probe_writes`: real hosts write probe records (where the topology allows them) from the start."""
    if name == "sim":
        from regionctl.backends.sim_backend import SimBackend

        return SimBackend(topology, seed=seed, speed=speed)
    if name == "ssh":
        try:
            module = importlib.import_module("regionctl.backends.ssh")
        except ImportError as exc:  # asyncssh missing from a broken install
            raise BackendUnavailable(f"cannot load the SSH backend ({exc}); reinstall regionctl") from None
        try:
            backend: Backend = await module.open_ssh_backend(topology, base_dir=base_dir,
                                                                  probe_writes=probe_writes)
        except Exception as exc:  # connection problems: one clear sentence, no traceback
            raise BackendUnavailable(f"cannot reach the hosts over SSH: {exc}") from None
        return backend
    raise BackendUnavailable(f"unknown backend {name!r} (expected sim or ssh)")


async def close_backend(backend: Any) -> None:
    close = getattr(backend, "close", None)
    if close is not None:
        result = close()
        if hasattr(result, "__await__"):
            await result
