"""The learner's progress through the labs, kept in the user's state directory."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def progress_path() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "regionctl" / "labs.json"


def load_progress() -> dict[str, Any]:
    try:
        data = json.loads(progress_path().read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def record_step(lab: str, step: str, finished: bool = False) -> None:
    """Mark a step done (atomically: a crash never leaves a torn file)."""
    data = load_progress()
    entry = data.setdefault(lab, {"completed": [], "finished": False})
    if step not in entry["completed"]:
        entry["completed"].append(step)
    entry["finished"] = entry["finished"] or finished
    entry["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    path = progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
