"""The project's documents live in the repository, and what they state is what the code does."""

from __future__ import annotations

import json
import re
import subprocess

from regionctl.exit_codes import ExitCode
from regionctl.model import network_defaults
from tests.modelhelpers import ROOT

DOCS = ROOT / "docs"


def test_every_exit_code_is_documented_as_defined() -> None:
    text = (DOCS / "exit-codes.md").read_text()
    rows = re.findall(r"^\| (\d) \| `([A-Z_]+)` \|", text, re.MULTILINE)
    assert [(int(code), name) for code, name in rows] == [(int(c), c.name) for c in ExitCode]


def test_no_reference_points_outside_the_repository() -> None:
    # Two documents that were never in the repository (spelt in pieces, so that this file is no hit),
    # and a directory that is not ours.
    pattern = "|".join(["DES" + "IGN", "REF" + "ERENCE", r"\.\./" + "shared"])
    found = subprocess.run(["grep", "-rnE", pattern, "--include=*.py",
                            "--include=*.md", "--include=*.sh", "--include=Makefile",
                            "regionctl", "README.md", "docs", "bench", "tests", "scripts", "Makefile"],
                           cwd=ROOT, capture_output=True, text=True, check=False)
    assert found.stdout == "", found.stdout


def test_every_document_the_code_and_readme_link_exists() -> None:
    pattern = re.compile(r"docs/[a-z0-9_-]+\.(?:md|svg)")
    cited: set[str] = set()
    for path in [ROOT / "README.md", *ROOT.glob("regionctl/**/*.py"), *DOCS.glob("*.md")]:
        cited |= set(pattern.findall(path.read_text()))
    for link in re.findall(r"\]\(([a-z0-9_-]+\.md)\)", "".join(p.read_text() for p in DOCS.glob("*.md"))):
        cited.add(f"docs/{link}")
    missing = sorted(c for c in cited if not (ROOT / c).exists())
    assert {"docs/architecture.md", "docs/report.md", "docs/exit-codes.md", "docs/reference.md"} <= cited
    assert missing == []


def test_the_reference_timings_list_every_default_round_trip() -> None:
    text = (DOCS / "reference.md").read_text()
    for pair, rtt in network_defaults._KNOWN.items():
        a, b = sorted(pair)
        assert f"| {a} | {b} | {rtt * 1000:g} ms |" in text, (a, b)
    for figure in (network_defaults.SAME_CONTINENT_RTT, network_defaults.CROSS_CONTINENT_RTT):
        assert f"{figure * 1000:g} ms" in text


def _documented(section: str) -> set[str]:
    """Every `key` written in backticks in one `## ` section of docs/report.md."""
    text = (DOCS / "report.md").read_text()
    start = text.index(f"\n## {section}")
    end = text.find("\n## ", start + 1)
    return set(re.findall(r"`([a-z_0-9]+)`", text[start:end if end != -1 else None]))


def _report(*args: str) -> dict[str, object]:
    from tests.modelhelpers import invoke

    result = invoke(*args, "--json")
    assert result.stdout, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_every_key_of_every_report_is_documented() -> None:
    drill = _report("drill", "active-passive", "--fault", "region:us-east@60s", "--duration", "3m")
    run = _report("run", "active-passive", "failover-to-eu-west")
    lab = _report("lab", "replication-lag", "--check")
    run_keys = _documented("drill, run and lab --check")
    for report in (drill, run, lab):
        assert set(report) <= run_keys, set(report) - run_keys
        metrics = report["metrics"]
        assert isinstance(metrics, dict)
        assert set(metrics) <= run_keys
        for cluster in metrics["clusters"].values():
            assert set(cluster) - {"timings"} <= run_keys, set(cluster) - run_keys
            assert set(cluster["cap"]) <= run_keys
        assert set(report["blast_radius"]) <= run_keys
    blast = _report("blast", "active-passive", "--fault", "region:us-east")
    assert set(blast) <= _documented("blast")
    assert set(blast["blast_radius"]) <= run_keys | _documented("blast")
    status = _report("status", "active-passive")
    status_keys = _documented("status")
    assert set(status) <= status_keys
    assert set(status["clusters"][0]) | set(status["clusters"][0]["nodes"][0]) <= status_keys
    explore = _report("explore", "active-passive", "--budget", "32", "--findings", "1",
                      "--workers", "1")
    finding = explore["findings"][0]
    assert isinstance(finding, dict)
    explore_keys = _documented("explore")
    assert set(explore) | set(finding) | set(finding["figures"]) | set(finding["found"]) <= explore_keys
    plan = _report("run", "active-passive", "failover-to-eu-west", "--dry-run")
    assert set(plan) | set(plan["steps"][0]) <= _documented("run --dry-run --json")


def test_the_screenshots_are_the_approved_snapshots() -> None:
    # docs/screenshots/ is what scripts/screenshots copied from the snapshot tests' approved SVGs: a screen
    # change that updates the snapshots and not the README's screenshots fails here.
    import importlib.util
    from importlib.machinery import SourceFileLoader

    loader = SourceFileLoader("screenshots", str(ROOT / "scripts" / "screenshots"))
    spec = importlib.util.spec_from_loader("screenshots", loader)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shown = sorted(p.name for p in (ROOT / "docs" / "screenshots").iterdir())
    assert shown == sorted(module.COPIES)
    for name, snapshot in module.COPIES.items():
        assert (ROOT / "docs" / "screenshots" / name).read_bytes() == (module.SNAPSHOTS / snapshot).read_bytes(), \
            f"docs/screenshots/{name} is stale: run scripts/screenshots"
    readme = (ROOT / "README.md").read_text()
    assert all(f"docs/screenshots/{name}" in readme for name in module.COPIES)
