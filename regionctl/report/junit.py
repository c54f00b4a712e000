"""JUnit XML for CI systems: one test case per step, per SLO and per consistency promise."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from regionctl.contract.report import DrillReport, RunReport
from regionctl.contract.steps import StepStatus


def junit_xml(report: DrillReport | RunReport) -> str:
    what = (report.runbook or report.lab or "drill") if isinstance(report, RunReport) else "drill"
    suite = ET.Element("testsuite", name=f"regionctl {what} on {report.topology}")
    cases = failures = errors = skipped = 0
    rollback = report.rollback if isinstance(report, RunReport) else ()
    for step in (*report.steps, *rollback):
        case = ET.SubElement(suite, "testcase", classname=f"{what}.steps", name=str(step.id))
        cases += 1
        if step.status == StepStatus.PENDING:
            skipped += 1
            ET.SubElement(case, "skipped", message="not run: the run stopped before this step")
        elif step.status != StepStatus.OK:
            detail = f"{step.status}: {step.detail}"
            if step.kind in ("fault", "heal", "action"):  # could not be carried out: an error
                errors += 1
                ET.SubElement(case, "error", message=detail)
            else:
                failures += 1
                ET.SubElement(case, "failure", message=detail)
    for check in report.slo:
        case = ET.SubElement(suite, "testcase", classname=f"{what}.slo", name=check.name)
        cases += 1
        if not check.ok:
            failures += 1
            ET.SubElement(case, "failure", message=f"target {check.target}, observed {check.observed}")
    consistency = report.consistency if isinstance(report, DrillReport) else None
    for name, c in (consistency or {}).items():
        if not isinstance(c, dict) or not c.get("promised"):
            continue
        case = ET.SubElement(suite, "testcase", classname=f"{what}.consistency", name=f"{name} {c['promised']}")
        cases += 1
        if c["verdict"] == "violated":
            failures += 1
            first = c["anomalies"][0]["explanation"] if c["anomalies"] else ""
            ET.SubElement(case, "failure", message=f"{c['promised']} violated: {first}")
        elif c["verdict"] == "unknown":
            skipped += 1
            ET.SubElement(case, "skipped", message="the checker's search budget ran out")
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", str(report.wall_seconds))
    return ET.tostring(suite, encoding="unicode")


def write_junit(report: DrillReport | RunReport, path: str) -> None:
    """Mode 0600, as the journal: a report names hosts, steps and what failed, and is nobody else's to read."""
    import os
    import stat

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fchmod(fd, 0o600)  # an existing file keeps no wider mode (a device such as /dev/null keeps its own)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n' + junit_xml(report) + "\n")
