"""The JSON Schema of every `--json` report (drill, run, lab --check, blast, status, explore), generated from
the report types of contract/report.py: `regionctl schema report` prints it."""

from __future__ import annotations

from typing import Any

from regionctl.contract.report import BlastReport, DrillReport, ExploreReport, RunReport, StatusReport

REPORTS: dict[str, Any] = {"drill": DrillReport, "run": RunReport, "blast": BlastReport, "status": StatusReport,
                           "explore": ExploreReport}
OPEN = frozenset({"Metrics", "BlastRadius"})  # the simulator's figures: headline keys typed, more may come


def report_schema() -> dict[str, Any]:
    from pydantic import TypeAdapter  # only when asked: pydantic stays off the --help path

    union = DrillReport | RunReport | BlastReport | StatusReport | ExploreReport
    schema: dict[str, Any] = TypeAdapter(union).json_schema(mode="serialization")
    for name, definition in schema["$defs"].items():
        if name not in OPEN and definition.get("type") == "object":
            definition.setdefault("additionalProperties", False)  # a key the types do not have is a bug
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "regionctl report",
        "description": "What `regionctl drill|run|blast|status|explore --json` and `regionctl lab --check --json` "
                       "print: one of DrillReport, RunReport (lab --check adds lab, title, control, expectations), "
                       "BlastReport, StatusReport, ExploreReport. wall_seconds is the only field that differs "
                       "between two runs with the same seed.",
        **schema,
    }
