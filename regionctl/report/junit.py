"""JUnit XML for CI systems: one test case per step and per SLO."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def junit_xml(report: dict[str, Any]) -> str:
    suite = ET.Element("testsuite", name=f"regionctl {report['topology']}")
    cases = 0
    failures = 0
    for step in report.get("steps", []):
        case = ET.SubElement(suite, "testcase", classname="steps", name=str(step["id"]))
        cases += 1
        if step["status"] not in ("ok", "skipped"):
            failures += 1
            ET.SubElement(case, "failure", message=f"{step['status']}: {step.get('detail', '')}")
    for check in report.get("slo", []):
        case = ET.SubElement(suite, "testcase", classname="slo", name=check["name"])
        cases += 1
        if not check["ok"]:
            failures += 1
            ET.SubElement(case, "failure",
                          message=f"target {check['target']}, observed {check['observed']}")
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("time", str(report.get("wall_seconds", 0)))
    return ET.tostring(suite, encoding="unicode")


def write_junit(report: dict[str, Any], path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n' + junit_xml(report) + "\n")
