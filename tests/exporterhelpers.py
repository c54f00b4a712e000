"""Shared helpers for the exporter tests: parse an exposition the way a scraper does."""

from __future__ import annotations

import json
import re
import select
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "dashboards" / "regionctl.json"
URL = re.compile(r"(http://127\.0\.0\.1:\d+/metrics)")


@dataclass
class Family:
    name: str  # as exposed: counters keep their _total here
    type: str
    help: str
    samples: dict[tuple[tuple[str, str], ...], float]

    def value(self, **labels: str) -> float:
        """The one sample whose labels include `labels`."""
        matches = [v for k, v in self.samples.items() if set(labels.items()) <= set(k)]
        assert len(matches) == 1, f"{self.name}{labels}: {len(matches)} samples match"
        return matches[0]

    def label_names(self) -> set[str]:
        return {name for key in self.samples for name, _ in key}


def parse(text: str) -> dict[str, Family]:
    out: dict[str, Family] = {}
    for family in text_string_to_metric_families(text):
        name = family.name + "_total" if family.type == "counter" else family.name
        samples = {tuple(sorted(s.labels.items())): s.value for s in family.samples}
        out[name] = Family(name, family.type, family.documentation, samples)
    return out


def scrape(url: str) -> dict[str, Family]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return parse(response.read().decode("utf-8"))


# The families issue 9 asks for, with the labels each must carry.
REQUIRED: dict[str, set[str]] = {
    "regionctl_node_up": {"cluster", "node", "region", "zone"},
    "regionctl_replication_lag_seconds": {"cluster", "node", "region"},
    "regionctl_replication_lag_operations": {"cluster", "node", "region"},
    "regionctl_leader": {"cluster", "node", "region"},
    "regionctl_term": {"cluster"},
    "regionctl_writes_acknowledged_total": {"cluster"},
    "regionctl_writes_lost_total": {"cluster"},
    "regionctl_availability_ratio": {"cluster"},
    "regionctl_rto_seconds": {"cluster"},
    "regionctl_split_brain_seconds_total": {"cluster"},
    "regionctl_fault_active": {"kind", "target"},
    "regionctl_runbook_step": {"runbook", "step", "status"},
}


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "regionctl", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def read_url(stream: IO[str] | None, proc: subprocess.Popen[str], deadline: float = 30.0) -> str:
    """The URL the command prints on start (it must print one, and soon)."""
    assert stream is not None
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        ready, _, _ = select.select([stream], [], [], 0.5)
        if ready:
            line = stream.readline()
            match = URL.search(line)
            if match:
                return match.group(1)
            if not line and proc.poll() is not None:
                break
    proc.kill()
    raise AssertionError(f"no URL printed; stderr: {proc.stderr.read() if proc.stderr else ''}")


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))  # panels inside collapsed rows
    return out


def queries(dashboard: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in panels(dashboard) for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return exprs
