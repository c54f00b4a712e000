"""dashboards/regionctl.json: importable into Grafana, and every query asks for metrics the exporter serves."""

from __future__ import annotations

import json
import re

from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import InjectFault
from regionctl.contract.faults import parse_fault
from regionctl.exporter import MetricsExporter
from tests.exporterhelpers import load, panels, parse, queries
from tests.simhelpers import bundled

METRIC = re.compile(r"\b(regionctl_[a-z_]+)\b")


async def exported_names() -> set[str]:
    backend = SimBackend(bundled("active-passive"))
    await backend.advance(30)
    await backend.apply(InjectFault(parse_fault("region:us-east")))
    await backend.advance(60)
    exporter = MetricsExporter(backend.snapshot())
    exporter.runbook_step("failover-to-eu-west", "promote", "ok")
    families = parse(exporter.exposition())
    assert all(f.samples for f in families.values()), "every family should have samples in this state"
    return set(families)


def test_the_dashboard_is_an_importable_grafana_export() -> None:
    dashboard = load()
    (source,) = dashboard["__inputs"]
    assert source == {**source, "name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"}
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    # Also a datasource variable of the same name: provisioning from a file (no import dialog) still works.
    assert variables["DS_PROMETHEUS"]["type"] == "datasource" and variables["DS_PROMETHEUS"]["query"] == "prometheus"
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(dashboard):
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip() and target["datasource"]["uid"] == "${DS_PROMETHEUS}"
    # Nothing points at a datasource of the machine it was built on.
    assert not re.search(r'"uid":\s*"(?!\$\{DS_PROMETHEUS\}|-- Grafana --)[^"]*"', json.dumps(panels(dashboard)))


async def test_every_metric_the_dashboard_queries_is_exported() -> None:
    dashboard = load()
    used = {name for expr in queries(dashboard) for name in METRIC.findall(expr)}
    missing = used - await exported_names()
    assert not missing, f"the dashboard queries metrics the exporter does not serve: {sorted(missing)}"
    # What the issue asks the board to show.
    assert {"regionctl_replication_lag_seconds", "regionctl_leader", "regionctl_term", "regionctl_fault_active",
            "regionctl_availability_ratio", "regionctl_rto_seconds", "regionctl_writes_lost_total",
            "regionctl_runbook_step"} <= used
