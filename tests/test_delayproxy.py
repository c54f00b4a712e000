"""The sandbox's delay proxy on loopback: chunks wait their delay, keep their order, and EOF passes through.
(The redirect and SO_ORIGINAL_DST need the sandbox's namespaces: test_sandbox_integration covers them.)"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from regionctl.sandbox.delayproxy import ExtraDelays, pipe, read_seconds


async def test_pipe_holds_each_chunk_for_the_delay_keeps_order_and_passes_eof(tmp_path: Path) -> None:
    arrivals: list[tuple[float, bytes]] = []
    payload = b"".join(i.to_bytes(4, "big") for i in range(50_000))  # 200 kB: several chunks
    done = asyncio.Event()

    async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            arrivals.append((time.monotonic(), data))
        done.set()  # EOF reached us through the relay
        writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, up_writer = await asyncio.open_connection("127.0.0.1", target.sockets[0].getsockname()[1])
        await pipe(reader, up_writer, lambda: 0.05 + extra.of(str(fault)))
        up_writer.close()
        writer.close()

    fault = tmp_path / "eu-west"
    fault.write_text("0.15\n")  # a latency fault's extra one-way seconds, on top of the link's 0.05
    extra = ExtraDelays()
    target = await asyncio.start_server(upstream, "127.0.0.1", 0)
    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    async with target, proxy:
        _, writer = await asyncio.open_connection("127.0.0.1", proxy.sockets[0].getsockname()[1])
        sent = time.monotonic()
        for part in (b"one ", b"two ", payload):
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.write_eof()
        await asyncio.wait_for(done.wait(), 5)
        writer.close()
    assert b"".join(data for _, data in arrivals) == b"one two " + payload  # every byte, in order
    assert arrivals[0][0] - sent >= 0.19  # the first chunk waited the link's delay plus the fault's


def test_latency_files_read_as_seconds_and_anything_odd_as_none(tmp_path: Path) -> None:
    file = tmp_path / "eu-west"
    assert read_seconds(str(file)) == 0.0  # no fault yet
    file.write_text("0.25\n")
    assert read_seconds(str(file)) == 0.25
    file.write_text("-1")
    assert read_seconds(str(file)) == 0.0
    file.write_text("soon")
    assert read_seconds(str(file)) == 0.0
    extra = ExtraDelays()
    file.write_text("0.5")
    assert extra.of(str(file)) == 0.5


async def test_a_far_side_that_stops_reading_stops_the_sender_instead_of_filling_the_proxy() -> None:
    stalled = asyncio.Event()

    async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await stalled.wait()  # never reads: a partition, or a peer that hangs
        writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, up_writer = await asyncio.open_connection("127.0.0.1", target.sockets[0].getsockname()[1])
        await pipe(reader, up_writer, lambda: 0.0, limit=64 * 1024)

    target = await asyncio.start_server(upstream, "127.0.0.1", 0)
    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    async with target, proxy:
        _, writer = await asyncio.open_connection("127.0.0.1", proxy.sockets[0].getsockname()[1])
        writer.write(b"x" * (64 * 1024 * 1024))  # far more than every socket buffer on the way holds
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(writer.drain(), 2.0)  # the proxy stopped reading: the sender waits
        writer.transport.abort()
        stalled.set()
