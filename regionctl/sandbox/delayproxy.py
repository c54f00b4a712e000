"""A TCP proxy that holds every chunk for a one-way delay in each direction (standard library only).

The kernel here has no netem qdisc, so the sandbox gives region-to-region replication links their
RTT with this proxy. It runs as the sandbox user with the system python3:

    python3 delayproxy.py CONFIG.json

CONFIG: {"latency_dir": DIR, "links": [{"listen": "10.77.0.2:25400", "to": "10.77.0.1:5432",
         "peer": "us-east", "delay": 0.015}, ...]}
The delay of a link is its base `delay` plus the extra seconds in DIR/<peer> (a latency fault
writes that file; healing writes 0). Chunks keep their order and the link's throughput.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

REFRESH = 0.2  # seconds between reads of the latency files


class Delays:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.extra: dict[str, float] = {}

    async def watch(self) -> None:
        while True:
            for peer in list(self.extra) or []:
                self.extra[peer] = self.read(peer)
            await asyncio.sleep(REFRESH)

    def read(self, peer: str) -> float:
        try:
            return max(0.0, float((self.directory / peer).read_text().strip() or 0))
        except (OSError, ValueError):
            return 0.0

    def of(self, peer: str) -> float:
        if peer not in self.extra:
            self.extra[peer] = self.read(peer)
        return self.extra[peer]


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: Any) -> None:
    """Copy reader to writer, each chunk released `delay()` seconds after it arrived."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def release() -> None:
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:  # half-close: the other direction may still carry data
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(release())
    try:
        while True:
            data = await reader.read(65536)
            await queue.put((time.monotonic() + delay(), data))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
        writer.close()


def split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


async def serve(config: dict[str, Any]) -> None:
    delays = Delays(Path(config["latency_dir"]))
    servers = []
    for link in config["links"]:
        base, peer, target = float(link["delay"]), str(link["peer"]), split(link["to"])

        def delay(base: float = base, peer: str = peer) -> float:
            return base + delays.of(peer)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         target: tuple[str, int] = target, delay: Any = delay) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection(*target)
            except OSError:
                writer.close()
                return
            await asyncio.gather(pipe(reader, up_writer, delay), pipe(up_reader, writer, delay),
                                 return_exceptions=True)
            writer.close()
            up_writer.close()

        host, port = split(link["listen"])
        servers.append(await asyncio.start_server(handle, host, port, reuse_address=True))
    await delays.watch()


def main() -> None:
    asyncio.run(serve(json.loads(Path(sys.argv[1]).read_text())))


if __name__ == "__main__":
    main()
