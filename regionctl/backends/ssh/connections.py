"""SSH connections: one per host, reused; channels per connection capped; handshakes throttled.

Real sshd defaults (MaxSessions 10, MaxStartups 10:30:100) refuse clients that open more, so
every remote command goes through here. Keepalives make a dead peer visible within about
interval x 3 + interval seconds; a host that failed to connect fails fast for a short while
instead of costing every caller a full connect timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

MAX_CHANNELS = 10  # per connection: OpenSSH's MaxSessions default
MAX_HANDSHAKES = 8  # at once, across hosts: below OpenSSH's MaxStartups 10
OPEN_RETRIES = 6  # channel opens refused by a busy sshd
RETRY_AFTER = 0.5  # first background reconnect after a failure; then doubling up to MAX_RETRY_AFTER
MAX_RETRY_AFTER = 4.0


@dataclass(frozen=True, slots=True)
class HostKey:
    host: str
    port: int | None = None  # None: ~/.ssh/config's Port, else 22
    user: str | None = None  # None: ~/.ssh/config's User, else the local user

    def __str__(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


@dataclass(frozen=True, slots=True)
class ConnectSettings:
    known_hosts: Path | None = None  # None: asyncssh's default, ~/.ssh/known_hosts (never "no checking")
    identities: tuple[Path, ...] = ()  # empty: the agent, ~/.ssh/config and the default key files
    connect_timeout: float = 5.0
    keepalive: float = 1.0


@dataclass(frozen=True, slots=True)
class RunResult:
    reachable: bool  # False: no connection (refused, timed out, host key rejected, lost)
    exit_status: int | None
    stdout: str = ""
    stderr: str = ""
    error: str = ""
    sent: bool = True  # False: the command never started (no connection, sshd refused the session)

    @property
    def ok(self) -> bool:
        return self.reachable and self.exit_status == 0

    def reason(self) -> str:
        if self.error:
            return self.error
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return f"exit {self.exit_status}: {text[-1] if text else 'no output'}"


@dataclass
class _Host:
    key: HostKey
    channels: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CHANNELS))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    conn: Any = None
    tried: bool = False  # a first connection attempt was made (later ones run in the background)
    reconnect: asyncio.Task[None] | None = None
    last_error: str = ""


class HostPool:
    def __init__(self, settings: ConnectSettings) -> None:
        self.settings = settings
        self._hosts: dict[HostKey, _Host] = {}
        self._handshakes = asyncio.Semaphore(MAX_HANDSHAKES)
        self.handshakes = 0  # successful connections made, for tests and benchmarks

    def _options(self, key: HostKey) -> dict[str, Any]:
        s = self.settings
        options: dict[str, Any] = {
            "connect_timeout": s.connect_timeout,
            "keepalive_interval": s.keepalive,
            "keepalive_count_max": 3,
            "login_timeout": s.connect_timeout,
            "password": None,  # never prompt; keys only
            "kbdint_auth": False,
            "password_auth": False,
        }
        if key.port:
            options["port"] = key.port
        if key.user:
            options["username"] = key.user
        if s.known_hosts is not None:
            options["known_hosts"] = str(s.known_hosts)
        if s.identities:
            options["client_keys"] = [str(p) for p in s.identities]
        return options

    def is_connected(self, key: HostKey) -> bool:
        host = self._hosts.get(key)
        return host is not None and host.conn is not None and not _closed(host.conn)

    async def _connection(self, host: _Host) -> Any:
        """The host's live connection. Only the very first attempt is awaited; after a failure or a lost
        connection, callers fail at once while one background task reconnects (a dead host costs its
        callers no connect timeout, and never delays the other hosts' probes)."""
        async with host.lock:
            if host.conn is not None and not _closed(host.conn):
                return host.conn
            if host.conn is not None:  # lost (keepalive timeout, peer gone)
                host.conn = None
                host.last_error = f"{host.key} unreachable: connection lost"
                self._start_reconnect(host)
            if host.tried:
                self._start_reconnect(host)
                raise ConnectionError(host.last_error or f"{host.key} unreachable")
            host.tried = True
            try:
                host.conn = await self._connect(host)
            except ConnectionError:
                self._start_reconnect(host)
                raise
            return host.conn

    async def _host_keys_checked(self, key: HostKey) -> None:
        """Host keys are always verified: `UserKnownHostsFile none` in ~/.ssh/config (which asyncssh takes
        as "accept any key") is refused, unless the topology names its own known_hosts file."""
        if self.settings.known_hosts is not None:
            return  # an explicit file overrides the config
        try:
            # What asyncssh.connect would make of ~/.ssh/config for this host (config=(): the default file).
            effective = await asyncssh.SSHClientConnectionOptions.construct(None, config=(), host=key.host,
                                                                            **self._options(key))
        except (OSError, asyncssh.Error, ValueError):
            return  # asyncssh.connect will say what is wrong with the config
        if effective.known_hosts is None:
            raise ConnectionError(f"{key} refused: ~/.ssh/config sets UserKnownHostsFile none for this host, "
                                  f"which turns host-key checking off; regionctl always verifies host keys (set "
                                  f"ssh.known_hosts in the topology, or remove that line)")

    async def _connect(self, host: _Host) -> Any:
        try:
            await self._host_keys_checked(host.key)
        except ConnectionError as exc:
            host.last_error = str(exc)
            raise
        try:
            async with self._handshakes:
                conn = await asyncio.wait_for(asyncssh.connect(host.key.host, **self._options(host.key)),
                                              self.settings.connect_timeout + 1.0)
        except (TimeoutError, OSError, asyncssh.Error) as exc:
            host.last_error = f"{host.key} unreachable: {_describe(exc)}"
            raise ConnectionError(host.last_error) from exc
        self.handshakes += 1
        return conn

    def _start_reconnect(self, host: _Host) -> None:
        if host.reconnect is None or host.reconnect.done():
            host.reconnect = asyncio.get_running_loop().create_task(self._reconnect(host))

    async def _reconnect(self, host: _Host) -> None:
        delay = RETRY_AFTER
        while True:
            await asyncio.sleep(delay)
            try:
                conn = await self._connect(host)
            except ConnectionError:
                delay = min(delay * 2, MAX_RETRY_AFTER)
                continue
            async with host.lock:
                host.conn = conn
            return

    async def run(self, key: HostKey, command: str, timeout: float, retries: int = 0,
                  backoff: float = 0.2) -> RunResult:
        """Run one shell command on `key`'s host. Retries (for read-only probes only) back off exponentially.

        Only a command that gave no answer (connection lost, sshd refused the session, timed out) is retried:
        an exit status is the engine's answer, and asking again would only hold up the probe round."""
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(key)
        attempt = 0
        while True:
            result = await self._run_once(host, command, timeout)
            if result.ok or attempt >= retries or result.exit_status is not None:
                return result
            await asyncio.sleep(backoff * 2**attempt)
            attempt += 1

    async def _run_once(self, host: _Host, command: str, timeout: float) -> RunResult:
        try:
            conn = await self._connection(host)
        except ConnectionError as exc:
            return RunResult(False, None, error=str(exc), sent=False)
        try:
            async with host.channels:
                done = await self._exec(conn, command, timeout)
        except (TimeoutError, asyncssh.TimeoutError):
            return RunResult(True, None, error=f"{host.key.host}: timed out after {timeout:g} s: {command[:80]}")
        except asyncssh.ChannelOpenError as exc:  # the connection is fine; sshd is busy
            return RunResult(True, None, error=f"{host.key}: sshd refused a session: {exc.reason}", sent=False)
        except (OSError, asyncssh.Error) as exc:
            if host.conn is conn:
                host.conn = None
                conn.close()
            return RunResult(False, None, error=f"{host.key} connection lost: {_describe(exc)}")
        return RunResult(True, done.exit_status if done.exit_status is not None else -1,
                         _text(done.stdout), _text(done.stderr))

    @staticmethod
    async def _exec(conn: Any, command: str, timeout: float) -> Any:
        # sshd may still count a just-finished session for a moment and refuse the next channel;
        # the command never started then, so opening again is safe even for actions.
        for attempt in range(OPEN_RETRIES):
            try:
                return await asyncio.wait_for(conn.run(command, check=False, timeout=timeout), timeout + 1.0)
            except asyncssh.ChannelOpenError:
                if attempt == OPEN_RETRIES - 1 or conn.is_closed():
                    raise
                await asyncio.sleep(0.02 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        for host in self._hosts.values():
            if host.reconnect is not None:
                host.reconnect.cancel()
        conns = [h.conn for h in self._hosts.values() if h.conn is not None]
        for host in self._hosts.values():
            host.conn = None
        for conn in conns:
            conn.close()
        for conn in conns:
            with contextlib.suppress(TimeoutError, OSError, asyncssh.Error):
                await asyncio.wait_for(conn.wait_closed(), 2.0)


def _closed(conn: Any) -> bool:
    # True once the connection closed (keepalive timeout, peer gone, disconnect).
    return bool(conn.is_closed())


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError | asyncssh.TimeoutError):
        return "timed out"
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return f"host key not verifiable ({exc.reason})"
    if isinstance(exc, asyncssh.PermissionDenied):
        return f"permission denied ({exc.reason})"
    if isinstance(exc, asyncssh.DisconnectError):
        return exc.reason or type(exc).__name__
    return str(exc) or type(exc).__name__
