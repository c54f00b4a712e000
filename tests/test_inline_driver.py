"""The executor's coroutines driven with no event loop (regionctl/contract/inline.py), and with one."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import pytest

from regionctl.contract import inline


async def steps(log: list[str], count: int) -> None:
    for i in range(count):
        log.append(f"step {i}")
        await inline.yield_once()
    log.append("done")


def test_a_coroutine_that_only_yields_runs_to_its_end_and_returns() -> None:
    log: list[str] = []

    async def outer() -> int:
        await steps(log, 3)
        return 7

    assert inline.run_inline(outer()) == 7
    assert log == ["step 0", "step 1", "step 2", "done"]


def test_an_inline_task_is_cancelled_at_its_next_yield_and_the_awaiter_goes_on() -> None:
    log: list[int] = []
    cleanup: list[str] = []
    tasks: list[inline.Cancellable] = []

    async def signalled() -> None:
        try:
            for i in range(100):
                log.append(i)
                if i == 2:
                    tasks[0].cancel()  # as a signal handler does, between two bytecodes
                await inline.yield_once()
        finally:
            cleanup.append("finally ran")

    tasks.append(inline.spawn(signalled()))
    assert isinstance(tasks[0], inline.InlineTask)

    async def outer() -> str:
        try:
            await tasks[0]
        except inline.cancellation():
            return "cancelled"
        return "not cancelled"

    assert inline.run_inline(outer()) == "cancelled"
    assert log == [0, 1, 2] and cleanup == ["finally ran"] and tasks[0].done()
    assert tasks[0].cancel() is False  # done: nothing left to cancel


def test_a_task_cancelled_before_it_starts_never_runs() -> None:
    log: list[str] = []
    task = inline.spawn(steps(log, 2))
    assert task.cancel() is True

    async def outer() -> bool:
        try:
            await task
        except inline.cancellation():
            return True
        return False

    assert inline.run_inline(outer()) is True and log == []


def test_cancelled_is_not_an_exception_so_no_except_exception_swallows_it() -> None:
    assert not issubclass(inline.Cancelled, Exception)
    assert isinstance(inline.cancelled(), inline.Cancelled)  # no loop running here


def test_awaiting_something_real_inline_is_refused_with_a_clear_error() -> None:
    class Future:  # what an event loop's future yields to the loop that drives it: itself
        def __await__(self) -> Generator[Any, None, None]:
            yield self

    async def sleeps() -> None:
        await Future()

    with pytest.raises(inline.NotInline, match="awaited an event loop's future"):
        inline.run_inline(sleeps())


def test_within_a_loop_every_helper_is_asyncio_s_own() -> None:
    async def main() -> tuple[Any, ...]:
        log: list[str] = []
        task = inline.spawn(steps(log, 1000))
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except inline.cancellation() as exc:
            caught = type(exc)
        slow = asyncio.sleep(10)
        try:
            await inline.within(slow, 0.01)
        except TimeoutError:
            timed_out = True
        return type(task), caught, type(inline.cancelled()), timed_out

    kind, caught, raised, timed_out = asyncio.run(main())
    assert kind is asyncio.Task and caught is asyncio.CancelledError and raised is asyncio.CancelledError
    assert timed_out


def test_within_without_a_loop_is_the_awaitable_itself() -> None:
    async def answer() -> int:
        return 42

    coro = answer()
    assert inline.within(coro, 5.0) is coro
    assert inline.run_inline(coro) == 42


def test_what_a_signal_handler_queues_runs_at_the_next_yield_not_in_the_middle() -> None:
    log: list[str] = []

    async def work() -> None:
        inline.at_next_yield(lambda: log.append("handler"))  # as a signal handler would, mid-step
        log.append("rest of the step")
        await inline.yield_once()
        log.append("next step")

    inline.run_inline(work())
    assert log == ["rest of the step", "handler", "next step"]


def test_what_was_queued_for_an_earlier_run_never_runs_in_the_next() -> None:
    ran: list[str] = []
    inline.at_next_yield(lambda: ran.append("stale"))  # a signal after the last yield of a finished run

    async def work() -> None:
        await inline.yield_once()

    inline.run_inline(work())
    assert ran == []
