"""The SSH backend: real hosts behind the Backend protocol.

    backend = await open_ssh_backend(topology, base_dir=topology_file.parent)
    backend.snapshot(); await backend.apply(Promote("pg-2")); await backend.advance(2.0)
    await backend.close()

asyncssh is imported only when a backend is opened (the adapters alone stay light).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regionctl.backends.ssh.backend import SshBackend
    from regionctl.model.topology import Topology


async def open_ssh_backend(topology: Topology, base_dir: Path | None = None,
                           probe_writes: bool = False) -> SshBackend:
    """Connect to every host of `topology` (relative paths resolve against base_dir) and take a first snapshot;
    with `probe_writes` (a run, the dashboard), start the probe writes the topology allows."""
    from regionctl.backends.ssh.backend import open_ssh_backend as _open

    return await _open(topology, base_dir, probe_writes)
