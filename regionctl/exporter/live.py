"""Drive a paced backend and feed every tick to the exporter until a signal (or a virtual deadline).

The backend's `play(on_snapshot, hz, until)` is the one tick source; this only adds the
stop conditions a served run needs: SIGINT and SIGTERM end it cleanly instead of with a
KeyboardInterrupt traceback, and the caller learns which signal it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from regionctl.contract.snapshot import Snapshot
from regionctl.exporter.exporter import MetricsExporter

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class PacedBackend(Protocol):
    def snapshot(self) -> Snapshot: ...

    def play(self, on_snapshot: Callable[[Snapshot], None], hz: float = 4.0,
             until: float | None = None) -> Awaitable[None]: ...


async def play_until_stopped(backend: PacedBackend, exporter: MetricsExporter, hz: float = 4.0,
                             until: float | None = None,
                             on_snapshot: Callable[[Snapshot], None] | None = None,
                             on_ready: Callable[[], None] | None = None) -> str | None:
    """Publish the backend's snapshots to `exporter` (and `on_snapshot`) at `hz` until virtual time
    `until` (None: forever). Returns the name of the signal that stopped it, or None if `until` came."""

    def publish(snapshot: Snapshot) -> None:
        exporter.update(snapshot)
        if on_snapshot is not None:
            on_snapshot(snapshot)

    publish(backend.snapshot())  # the first scrape already sees the topology at t=0
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[str] = loop.create_future()

    def stop(sig: signal.Signals) -> None:
        if not stopped.done():
            stopped.set_result(sig.name)

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop, sig)
    if on_ready is not None:
        on_ready()  # announce only now: a Ctrl-C right after the announcement is handled
    player: asyncio.Future[None] = asyncio.ensure_future(backend.play(publish, hz=hz, until=until))
    try:
        waiting: list[asyncio.Future[Any]] = [player, stopped]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        if not player.done():
            player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await player
    crash = player.exception() if player.done() and not player.cancelled() else None
    if crash is not None:
        raise crash  # a crash of the tick source must not pass silently
    if stopped.done():
        result: str = stopped.result()
        return result
    stopped.cancel()
    return None
