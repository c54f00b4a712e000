"""A transparent TCP proxy that gives every connection from one region to another that link's RTT
(standard library only; the kernel here has no netem qdisc).

Each region's namespace redirects (nftables DNAT) every TCP connection it opens to another region's
address to this proxy; the proxy reads where the connection was going (SO_ORIGINAL_DST), connects
there itself with a firewall mark that the redirect rule skips, and holds every chunk for the
link's one-way delay in each direction. So PostgreSQL streaming, Redis replication, Sentinel and
etcd's Raft peers all see the topology's RTT, whichever address they were told to use, and the far
side sees the connection come from the region's own address.

    python3 delayproxy.py CONFIG.json       (as the sandbox user, with CAP_NET_ADMIN for the mark)

CONFIG: {"listen": "10.77.0.1:25400", "mark": 30563, "connect_timeout": 3.0,
         "peers": {"10.77.0.2": {"region": "eu-west", "delay": 0.015,
                                 "out": ".../regions/us-east/proxy/latency/eu-west",
                                 "in": ".../regions/eu-west/proxy/latency/us-east"}}}
Data sent to a peer waits `delay` plus the seconds in its `out` file; data from it, `delay` plus
the seconds in its `in` file (a latency fault A|B writes A's file for B and B's for A, healing writes
0). Chunks keep their order; at most HELD_LIMIT bytes wait per direction (then the proxy stops reading).
A connection to a region that a partition cuts off is accepted here and closed after connect_timeout.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REFRESH = 0.2  # seconds between reads of the latency files
HELD_LIMIT = 8 * 1024 * 1024  # bytes one direction may hold in flight (a 60 ms link at ~1 Gbit/s)
SO_ORIGINAL_DST = 80  # linux/netfilter_ipv4.h


class ExtraDelays:
    """The latency faults' extra seconds, one file each, re-read every REFRESH seconds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def of(self, file: str) -> float:
        if file not in self.seconds:
            self.seconds[file] = read_seconds(file)
        return self.seconds[file]

    async def watch(self) -> None:
        while True:
            for file in list(self.seconds):
                self.seconds[file] = read_seconds(file)
            await asyncio.sleep(REFRESH)


def read_seconds(file: str) -> float:
    try:
        return max(0.0, float(Path(file).read_text().strip() or 0))
    except (OSError, ValueError):
        return 0.0


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: Callable[[], float],
               limit: int = HELD_LIMIT) -> None:
    """Copy reader to writer, each chunk released `delay()` seconds after it arrived. At most `limit` bytes
    are held: past that the proxy stops reading, and the sender's TCP window closes as it would on a WAN."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
    held = 0
    room = asyncio.Event()
    room.set()

    async def release() -> None:
        nonlocal held
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
            held -= len(data)
            if held <= limit:
                room.set()

    sender = asyncio.create_task(release())
    try:
        while True:
            await room.wait()
            data = await reader.read(65536)
            held += len(data)
            if held > limit:
                room.clear()
            await queue.put((time.monotonic() + delay(), data))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
        writer.transport.abort()  # a peer that is gone: do not wait for its send buffer to drain


def original_destination(writer: asyncio.StreamWriter) -> tuple[str, int]:
    raw = writer.get_extra_info("socket").getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port = struct.unpack("!H", raw[2:4])[0]
    return socket.inet_ntoa(raw[4:8]), port


async def connect_marked(host: str, port: int, mark: int, timeout: float
                         ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)  # the redirect rule lets marked packets pass
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, port)), timeout)
    except BaseException:
        sock.close()
        raise
    return await asyncio.open_connection(sock=sock)


def split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


async def serve(config: dict[str, Any]) -> None:
    extra = ExtraDelays()
    peers: dict[str, dict[str, Any]] = config["peers"]
    mark, connect_timeout = int(config["mark"]), float(config.get("connect_timeout", 3.0))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            host, port = original_destination(writer)
            peer = peers[host]  # anything else reached the proxy directly (a health check): nothing to relay
            up_reader, up_writer = await connect_marked(host, port, mark, connect_timeout)
        except (TimeoutError, OSError, KeyError) as exc:  # refused, or a partition drops the SYN: a dead peer
            print(f"{time.strftime('%H:%M:%S')} closing a connection: {type(exc).__name__}: {exc}",
                  file=sys.stderr, flush=True)
            writer.transport.abort()
            return
        base = float(peer["delay"])

        def outbound() -> float:
            return base + extra.of(peer["out"])

        def inbound() -> float:
            return base + extra.of(peer["in"])

        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pipe(reader, up_writer, outbound), pipe(up_reader, writer, inbound),
                             return_exceptions=True)
        writer.close()
        up_writer.close()

    host, port = split(config["listen"])
    server = await asyncio.start_server(handle, host, port, reuse_address=True)
    async with server:
        await extra.watch()


def main() -> None:
    asyncio.run(serve(json.loads(Path(sys.argv[1]).read_text())))


if __name__ == "__main__":
    main()
