"""The /metrics HTTP endpoint: prometheus-client's threaded WSGI server on the exporter's registry."""

from __future__ import annotations

import errno
import socket
import sys
import threading
from typing import Any

from prometheus_client import start_http_server

from regionctl.exporter.exporter import MetricsExporter

# A connection that sends no request for this long is closed: each holds a thread, and 300 idle
# sockets must not hold 300 threads for ever. Prometheus sends its request at once.
IDLE_TIMEOUT = 10.0


class MetricsServerError(Exception):
    """The endpoint could not be opened (port in use, unknown host, no permission): one clear sentence."""


class MetricsServer:
    """A running /metrics endpoint; `close()` (or leaving a `with` block) stops it and frees the port."""

    def __init__(self, httpd: Any, thread: threading.Thread, host: str) -> None:
        self._httpd = httpd
        self._thread = thread
        self.host = host
        self.port: int = httpd.server_address[1]  # the real port when 0 asked the OS to pick one
        self.closed = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _time_out_idle_connections(httpd: Any, seconds: float) -> None:
    """Each connection's socket gets a timeout; one that expires closes the connection quietly (the
    standard library would print a traceback for it)."""
    httpd.RequestHandlerClass = type("IdleTimeoutHandler", (httpd.RequestHandlerClass,), {"timeout": seconds})
    report = httpd.handle_error

    def handle_error(request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (TimeoutError, ConnectionError)):
            return
        report(request, client_address)

    httpd.handle_error = handle_error


def start_metrics_server(exporter: MetricsExporter, port: int, host: str = "127.0.0.1",
                         idle_timeout: float = IDLE_TIMEOUT) -> MetricsServer:
    """Serve `exporter` on http://HOST:PORT/metrics from a daemon thread; port 0 picks a free one.

    Binds to loopback unless told otherwise: the figures describe an estate's weak spots. A connection
    idle for `idle_timeout` seconds is closed."""
    try:
        httpd, thread = start_http_server(port, addr=host, registry=exporter.registry)
        _time_out_idle_connections(httpd, idle_timeout)
    except socket.gaierror as exc:
        raise MetricsServerError(f"cannot serve metrics on {host!r}: unknown host ({exc.strerror})") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise MetricsServerError(f"cannot serve metrics on {host}:{port}: the port is already in use "
                                     "(pick another with --port/--metrics-port)") from None
        if exc.errno == errno.EACCES:
            raise MetricsServerError(f"cannot serve metrics on {host}:{port}: permission denied "
                                     "(ports below 1024 need root)") from None
        raise MetricsServerError(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None
    return MetricsServer(httpd, thread, host)
