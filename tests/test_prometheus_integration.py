"""A real Prometheus (Debian's `prometheus` package) scrapes `regionctl exporter` and answers queries.

Everything stays on loopback: the exporter on a free port, Prometheus on another, with a
generated config and a temporary storage directory; both are stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.exporterhelpers import load, queries, read_url, start
from tests.realdeps import require_program


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def query(base: str, expr: str) -> Any:
    answer = get_json(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert answer["status"] == "success", f"{expr}: {answer}"
    return answer["data"]["result"]


def wait_for(what: str, probe: Any, deadline: float = 15.0) -> Any:
    end = time.monotonic() + deadline
    while True:
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.25)


@contextlib.contextmanager
def exporter_target() -> Iterator[str]:
    # 20x: the region fault at 20 s simulated lands one wall second in; Patroni's failover ~2 s later.
    proc = start("exporter", "topologies/active-passive.yaml", "--port", "0", "--speed", "20",
                 "--fault", "region:us-east@20s")
    try:
        url = read_url(proc.stdout, proc)
        yield url.removeprefix("http://").removesuffix("/metrics")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextlib.contextmanager
def prometheus_server(binary: str, tmp_path: Path, exporter_target: str) -> Iterator[str]:
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: regionctl\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
        f"    static_configs:\n      - targets: ['{exporter_target}']\n")
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for("Prometheus to be ready", lambda: urllib.request.urlopen(f"{base}/-/ready", timeout=2).status == 200)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_prometheus_scrapes_the_exporter_and_answers_lag_queries(tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    require_program("the Prometheus server", binary, "prometheus")  # a failure in CI (REGIONCTL_REQUIRE_REAL=1)
    assert binary is not None
    with exporter_target() as target, prometheus_server(binary, tmp_path, target) as base:
        check_scrapes_and_queries(base, target)


def check_scrapes_and_queries(prometheus: str, exporter_target: str) -> None:
    # The exposition is accepted by the real server's parser: the target is healthy.
    def target_up() -> dict[str, Any] | None:
        targets = get_json(f"{prometheus}/api/v1/targets")["data"]["activeTargets"]
        return next((t for t in targets if t["health"] == "up"), None)

    target = wait_for("the target to be scraped", target_up)
    assert target["scrapeUrl"] == f"http://{exporter_target}/metrics" and target["lastError"] == ""

    lag = wait_for("lag series", lambda: query(prometheus, "regionctl_replication_lag_seconds"))
    assert {s["metric"]["node"] for s in lag} == {"pg-1", "pg-2", "pg-3", "redis-1", "redis-2"}
    for series in lag:
        assert {"cluster", "node", "region", "job", "instance"} <= set(series["metric"])

    # The region fault cuts us-east off: its replicas' lag grows with simulated time, and Prometheus sees it.
    grown = wait_for("pg-2's lag to grow past 10 s",
                     lambda: query(prometheus, 'regionctl_replication_lag_seconds{node="pg-2"} > 10'))
    assert grown[0]["metric"]["region"] == "us-east"
    assert wait_for("the failover to pg-3", lambda: query(prometheus, 'regionctl_leader{node="pg-3"} == 1'))

    metadata = get_json(f"{prometheus}/api/v1/metadata?metric=regionctl_replication_lag_seconds")["data"]
    (entry,) = metadata["regionctl_replication_lag_seconds"]
    assert entry["type"] == "gauge" and "behind its leader" in entry["help"]

    # Every query of the Grafana dashboard is valid PromQL for this server (Grafana's variables filled in).
    for expr in queries(load()):
        if expr.startswith("label_values("):
            continue  # a Grafana function, not PromQL
        query(prometheus, expr.replace("$cluster", ".*").replace("$__rate_interval", "1m"))
