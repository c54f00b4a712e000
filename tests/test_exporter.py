"""The exporter in-process: the exposition a scraper reads, how it follows the simulation, the HTTP endpoint."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from prometheus_client import REGISTRY

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import HealFault, InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.exporter import (
    RUNBOOK_STATUSES,
    MetricsExporter,
    MetricsServerError,
    start_metrics_server,
)
from tests.exporterhelpers import REQUIRED, parse, scrape
from tests.simhelpers import bundled


async def _exporter_at(seconds: float, name: str = "active-passive") -> tuple[SimBackend, MetricsExporter]:
    backend = SimBackend(bundled(name))
    await backend.advance(seconds)
    exporter = MetricsExporter()
    exporter.update(backend.snapshot())
    return backend, exporter


async def test_every_required_family_is_there_with_its_labels_and_help() -> None:
    backend, exporter = await _exporter_at(30)
    # A fault gives fault_active and rto_seconds their series.
    await backend.apply(InjectFault(parse_fault("node:pg-2")))
    await backend.advance(5)
    exporter.update(backend.snapshot())
    exporter.runbook_step("failover-to-eu-west", "promote", "running")
    families = parse(exporter.exposition())
    for name, labels in REQUIRED.items():
        assert name in families, f"{name} missing"
        assert families[name].label_names() == labels, name
    for family in families.values():
        assert family.name.startswith("regionctl_")
        assert family.help.strip(), f"{family.name} has no HELP"
        assert (family.type == "counter") == family.name.endswith("_total"), family.name
    # Every node of the topology, with its placement.
    up = families["regionctl_node_up"]
    assert up.value(cluster="orders", node="pg-1", region="us-east", zone="a") == 1.0
    assert up.value(cluster="orders", node="pg-2", region="us-east", zone="b") == 0.0
    assert len(up.samples) == 5
    assert families["regionctl_leader"].value(cluster="orders", node="pg-1") == 1.0
    assert families["regionctl_leader"].value(cluster="orders", node="pg-3") == 0.0
    assert families["regionctl_term"].value(cluster="orders") == 1.0
    assert families["regionctl_info"].value(topology="active-passive", backend="sim") == 1.0


async def test_runbook_steps_export_one_series_per_status() -> None:
    _, exporter = await _exporter_at(1)
    exporter.runbook_step("failover", "fence", "ok")
    exporter.runbook_step("failover", "promote", "pending")
    exporter.runbook_step("failover", "promote", "failed")
    steps = parse(exporter.exposition())["regionctl_runbook_step"]
    assert len(steps.samples) == 2 * len(RUNBOOK_STATUSES)
    assert steps.value(step="promote", status="failed") == 1.0
    assert steps.value(step="promote", status="pending") == 0.0
    assert steps.value(step="fence", status="ok") == 1.0
    assert sum(v for k, v in steps.samples.items() if ("step", "promote") in k) == 1.0
    with pytest.raises(ValueError, match="pending, running, ok, failed"):
        exporter.runbook_step("failover", "promote", "done")
    exporter.runbook_steps("failover", ["fence", "promote", "repoint"])  # a new run of it: all pending again
    steps = parse(exporter.exposition())["regionctl_runbook_step"]
    assert len(steps.samples) == 3 * len(RUNBOOK_STATUSES)
    assert all(steps.value(step=s, status="pending") == 1.0 for s in ("fence", "promote", "repoint"))
    exporter.reset_runbook("failover")
    assert parse(exporter.exposition())["regionctl_runbook_step"].samples == {}


async def test_values_move_as_simulated_time_passes() -> None:
    backend, exporter = await _exporter_at(10)
    first = parse(exporter.exposition())
    await backend.advance(10)
    exporter.update(backend.snapshot())
    later = parse(exporter.exposition())
    assert later["regionctl_backend_time_seconds"].value() == pytest.approx(20.0)
    acked = "regionctl_writes_acknowledged_total"
    assert later[acked].value(cluster="orders") > first[acked].value(cluster="orders") > 0
    # Streaming lag is a live figure: some replica is behind at some instant, never wildly.
    lag = later["regionctl_replication_lag_seconds"]
    assert all(0.0 <= v < 1.0 for v in lag.samples.values())


async def test_values_jump_when_a_fault_is_injected_and_healed() -> None:
    backend, exporter = await _exporter_at(30)
    before = parse(exporter.exposition())
    assert before["regionctl_fault_active"].samples == {}
    assert before["regionctl_writes_lost_total"].value(cluster="orders") == 0.0
    assert (await backend.apply(InjectFault(parse_fault("region:us-east")))).ok
    exporter.update(backend.snapshot())
    hit = parse(exporter.exposition())
    assert hit["regionctl_fault_active"].value(kind="region", target="us-east") == 1.0
    assert hit["regionctl_node_up"].value(node="pg-1") == 0.0
    assert hit["regionctl_region_up"].value(region="us-east") == 0.0
    await backend.advance(90)  # Patroni's 30 s lock TTL, promotion, DNS TTL
    exporter.update(backend.snapshot())
    after = parse(exporter.exposition())
    assert after["regionctl_leader"].value(node="pg-3") == 1.0
    assert after["regionctl_leader"].value(node="pg-1") == 0.0
    assert after["regionctl_term"].value(cluster="orders") == 2.0
    assert after["regionctl_writes_lost_total"].value(cluster="orders") > 0  # async to eu-west
    assert 20 < after["regionctl_rto_seconds"].value(cluster="orders") < 60
    assert after["regionctl_availability_ratio"].value(cluster="orders") < 0.99
    assert after["regionctl_replication_lag_seconds"].value(node="pg-2") > 30  # cut off since the fault
    assert (await backend.apply(HealFault(parse_fault("region:us-east")))).ok
    exporter.update(backend.snapshot())
    healed = parse(exporter.exposition())
    assert healed["regionctl_fault_active"].value(kind="region", target="us-east") == 0.0


async def test_rto_is_absent_while_writes_still_fail() -> None:
    backend, exporter = await _exporter_at(30)
    await backend.apply(InjectFault(parse_fault("region:us-east")))
    await backend.advance(5)  # before Patroni's lock expires: orders cannot take writes
    exporter.update(backend.snapshot())
    families = parse(exporter.exposition())
    assert families["regionctl_cluster_writable"].value(cluster="orders") == 0.0
    assert not any(("cluster", "orders") in k for k in families["regionctl_rto_seconds"].samples)


async def test_fault_targets_keep_their_values() -> None:
    backend, exporter = await _exporter_at(5)
    await backend.apply(InjectFault(parse_fault("latency:us-east|eu-west=300ms")))
    await backend.apply(InjectFault(parse_fault("partition:us-east>eu-west")))
    exporter.update(backend.snapshot())
    faults = parse(exporter.exposition())["regionctl_fault_active"]
    assert faults.value(kind="latency", target="us-east|eu-west=300ms") == 1.0
    assert faults.value(kind="partition", target="us-east>eu-west") == 1.0


def test_a_fresh_exporter_documents_every_family_and_uses_its_own_registry() -> None:
    exporter = MetricsExporter()
    text = exporter.exposition()
    for name in REQUIRED:
        assert f"# HELP {name} " in text
    assert "process_cpu_seconds_total" not in text and "python_gc" not in text
    assert not any(name.startswith("regionctl_") for name in REGISTRY._names_to_collectors)


async def test_the_endpoint_serves_scrapes_refuses_a_taken_port_and_closes() -> None:
    _, exporter = await _exporter_at(10)
    with start_metrics_server(exporter, 0) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/metrics", server.url)
        families = scrape(server.url)
        assert families["regionctl_node_up"].value(node="pg-3") == 1.0
        with pytest.raises(MetricsServerError, match="already in use"):
            start_metrics_server(exporter, server.port)
        url = server.url
    assert server.closed
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)
    with pytest.raises(MetricsServerError, match="unknown host"):
        start_metrics_server(exporter, 0, host="no-such-host.invalid")


@pytest.mark.parametrize("name", ["active-active", "hybrid", "tenancy-pool", "single-region"])
async def test_every_bundled_topology_exports_a_parseable_exposition(name: str) -> None:
    backend, exporter = await _exporter_at(20, name)
    families = parse(exporter.exposition())
    nodes = [n for c in backend.snapshot().clusters for n in c.nodes]
    assert len(families["regionctl_node_up"].samples) == len(nodes)
    assert len(families["regionctl_term"].samples) == len(backend.snapshot().clusters)


def test_idle_connections_time_out_and_free_their_threads(capfd: pytest.CaptureFixture[str]) -> None:
    import socket
    import threading
    import time

    exporter = MetricsExporter()
    exporter.update(SimBackend(bundled("active-passive")).snapshot())
    with start_metrics_server(exporter, 0, idle_timeout=1.5) as server:
        before = threading.active_count()
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(40)]
        try:
            for s in idle:  # each is closed by the server once idle for 1.5 s (before: held for ever)
                s.settimeout(15)
                assert s.recv(1) == b""
            deadline = time.monotonic() + 10
            while threading.active_count() > before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert threading.active_count() <= before  # and its thread is gone
            assert scrape(server.url)["regionctl_node_up"].value(node="pg-3") == 1.0
        finally:
            for s in idle:
                s.close()
    assert "Traceback" not in capfd.readouterr().err
