"""Consistency checking of probe histories: what each client saw, against the model it was promised.

    from regionctl.consistency import check, from_records
    result = check(from_records(probes.drain(), faults), "linearizable")
    result.verdict, result.anomalies, result.to_json()

Pure (no I/O) except `files.py`, which reads and writes history files (docs/history.md).
"""

from __future__ import annotations

from regionctl.consistency.history import Fault, History, HistoryError, Operation, from_records, parse_lines
from regionctl.consistency.linearizable import DEFAULT_BUDGET, check_linearizable
from regionctl.consistency.result import Anomaly, CheckResult

__all__ = ["DEFAULT_BUDGET", "Anomaly", "CheckResult", "Fault", "History", "HistoryError", "Operation",
           "check_linearizable", "from_records", "parse_lines"]
