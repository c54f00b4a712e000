"""`regionctl schema report`: generated from the report types; every `--json` report validates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from regionctl.cli.main import cli
from regionctl.data import bundled_topologies
from regionctl.labs.compile import bundled_labs
from regionctl.model.loader import load_topology


def _invoke(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    out: dict[str, Any] = _invoke("schema", "report")
    jsonschema.Draft202012Validator.check_schema(out)
    return out


def _validator(schema: dict[str, Any], kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{kind}"})


def _cases(tmp: Path) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for path in bundled_topologies():
        name = path.stem
        topology = load_topology(path)
        region = topology.regions[0].name
        out.append(("StatusReport", ["status", name, "--at", "45s", "--fault", f"region:{region}@10s", "--json"]))
        out.append(("DrillReport", ["drill", name, "--fault", f"region:{region}@30s+2m", "--duration", "4m",
                                    "--json"]))
        out.append(("BlastReport", ["blast", name, "--fault", f"node:{topology.clusters[0].nodes[0].name}",
                                    "--horizon", "2m", "--json"]))
        for runbook in topology.runbook_names():
            out.append(("RunReport", ["run", name, runbook, "--yes", "--quiet", "--json",
                                      "--journal", str(tmp / f"{name}-{runbook}.jsonl")]))
    for path in bundled_labs():
        out.append(("RunReport", ["lab", path.stem, "--check", "--json"]))
    for prop in ("no-writes-lost", "consistency:read-your-writes"):  # a finding written out; with probes
        out.append(("ExploreReport", ["explore", "active-passive", "--property", prop, "--budget", "16",
                                      "--findings", "1", "--duration", "2m", "--workers", "1",
                                      "--out", str(tmp / "findings"), "--json"]))
    out.append(("ExploreReport", ["explore", "single-region", "--cluster", "orders", "--property",
                                  "no-writes-lost", "--budget", "16", "--workers", "1", "--json"]))  # held
    return out


def test_every_json_report_validates(schema: dict[str, Any], tmp_path: Path) -> None:
    whole = jsonschema.Draft202012Validator(schema)
    seen = set()
    for kind, args in _cases(tmp_path):
        report = _invoke(*args)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(schema, kind)
                  .iter_errors(report)]
        assert errors == [], f"{' '.join(args)}: {errors[:5]}"
        assert whole.is_valid(report)
        seen.add(args[0])
    assert seen == {"status", "drill", "blast", "run", "lab", "explore"}


def test_a_report_off_its_shape_is_refused(schema: dict[str, Any]) -> None:
    report = _invoke("drill", "active-passive", "--fault", "node:pg-1@10s", "--duration", "2m", "--json")
    drill = _validator(schema, "DrillReport")
    assert drill.is_valid(report)
    for broken in ({k: v for k, v in report.items() if k != "slo"},  # a key missing
                   {**report, "surprise": 1},  # a key the types do not have
                   {**report, "slo": [{**report["slo"][0], "ok": "yes"}]},  # a wrongly typed part
                   {**report, "faults": [{"spec": "node:pg-1", "at": 10.0}]}):
        assert not drill.is_valid(broken)


def test_the_schema_follows_the_types() -> None:
    import dataclasses

    from regionctl.contract.report import DrillReport, RunReport
    from regionctl.contract.schema import report_schema

    defs = report_schema()["$defs"]
    for cls in (DrillReport, RunReport):
        assert list(defs[cls.__name__]["properties"]) == [f.name for f in dataclasses.fields(cls)]
    lab_fields = {"lab", "title", "control", "expectations", "journal"}
    assert lab_fields.isdisjoint(defs["RunReport"]["required"])
