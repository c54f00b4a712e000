"""Driving the executor's coroutines without an event loop, where nothing they await is real.

A headless run on the simulator awaits only the simulator, which never waits: it computes, and
between slices of simulated time it yields once so that a signal can stop the run (a bare `yield`,
which an asyncio task also accepts, as `asyncio.sleep(0)`). Such a run needs no event loop, and
without one it leaves out asyncio, a sixth of `regionctl run`'s start-up. The executor is the same
one; these few functions are all it uses of concurrency, and each is asyncio's own when a loop runs:
- `spawn(coro)`: a task the executor can cancel (`asyncio.ensure_future`, or an `InlineTask`);
- `cancellation()`: the exceptions a cancelled task raises, and `cancelled()` the one to raise;
- `within(awaitable, timeout)`: `asyncio.wait_for`, or the awaitable itself inline, where
  it returns after a bounded computation;
- `run_inline(coro)`: `asyncio.run` for a coroutine that awaits nothing real;
- `at_next_yield(call)`: from a signal handler, `call` runs at the driver's next yield, as a
  loop's signal handler runs between two tasks' steps, not in the middle of a write to stderr.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

_pending: list[Callable[[], None]] = []  # what signal handlers asked for, run at the next yield


class Cancelled(BaseException):
    """An inline task was cancelled (as asyncio.CancelledError: not an Exception, so that no
    `except Exception` swallows it)."""


class Cancellable(Protocol):
    def cancel(self) -> bool: ...

    def done(self) -> bool: ...

    def __await__(self) -> Generator[Any, None, None]: ...


class NotInline(RuntimeError):
    """A coroutine run inline awaited something real (a socket, a timer): it needs an event loop."""


@types.coroutine
def yield_once() -> Generator[None, None, None]:
    """Let others run once: the event loop's other tasks, or a signal's cancellation inline."""
    yield


class InlineTask:
    """A coroutine run to its end by whoever awaits this, and cancelled at its next yield."""

    def __init__(self, coro: Coroutine[Any, Any, None]) -> None:
        self._coro = coro
        self._cancelling = False
        self._done = False

    def cancel(self) -> bool:
        if self._done:
            return False
        self._cancelling = True
        return True

    def done(self) -> bool:
        return self._done

    def __await__(self) -> Generator[Any, None, None]:
        try:
            while True:
                if self._cancelling:
                    self._cancelling = False
                    yielded = self._coro.throw(Cancelled())
                else:
                    yielded = self._coro.send(None)
                yield yielded
        except StopIteration:
            return
        finally:
            self._done = True


def _loop_running() -> bool:
    asyncio = sys.modules.get("asyncio")  # never imported here: with no asyncio, there is no loop
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def spawn(coro: Coroutine[Any, Any, None]) -> Cancellable:
    if _loop_running():
        import asyncio

        return asyncio.ensure_future(coro)
    return InlineTask(coro)


def cancellation() -> tuple[type[BaseException], ...]:
    asyncio = sys.modules.get("asyncio")
    return (Cancelled,) if asyncio is None else (Cancelled, asyncio.CancelledError)


def cancelled() -> BaseException:
    """What a task raises to end itself as cancelled."""
    if _loop_running():
        import asyncio

        return asyncio.CancelledError()
    return Cancelled()


def within(awaitable: Awaitable[T], timeout: float | None) -> Awaitable[T]:
    if timeout is None or not _loop_running():
        return awaitable
    import asyncio

    return asyncio.wait_for(awaitable, timeout)


def at_next_yield(call: Callable[[], None]) -> None:
    """Have `call` run at the inline driver's next yield (safe from a signal handler: it only appends)."""
    _pending.append(call)



def run_inline(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to its end with no event loop; its bare yields give what signal handlers asked for
    (a cancellation, say) its turn. What was queued for an earlier run and never ran is dropped."""
    _pending.clear()
    try:
        while True:
            if coro.send(None) is not None:
                coro.close()
                raise NotInline("a coroutine run without an event loop awaited an event loop's future")
            while _pending:
                _pending.pop(0)()
    except StopIteration as stop:
        result: T = stop.value
        return result
