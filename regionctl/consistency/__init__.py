"""Consistency checking of probe histories: what each client saw, against the model it was promised.

    from regionctl.consistency import check, from_records
    result = check(from_records(probes.drain(), faults), "linearizable")
    result.verdict, result.anomalies, result.to_json()

Pure (no I/O) except `files.py`, which reads and writes history files (docs/history.md).
"""

from __future__ import annotations

from regionctl.consistency.checker import MODELS, UnknownModel, check, check_all, model_name
from regionctl.consistency.history import (
    Fault,
    History,
    HistoryError,
    Operation,
    format_lines,
    from_records,
    parse_lines,
)
from regionctl.consistency.linearizable import DEFAULT_BUDGET
from regionctl.consistency.result import Anomaly, CheckResult

__all__ = ["DEFAULT_BUDGET", "MODELS", "Anomaly", "CheckResult", "Fault", "History", "HistoryError", "Operation",
           "UnknownModel", "check", "check_all", "format_lines", "from_records", "model_name", "parse_lines"]
