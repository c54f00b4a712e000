"""The validation cache: `validate`'s verdict on a valid file, kept so that checking it again costs a hash.

An entry is keyed by a SHA-256 of the file's bytes, the path as given and as resolved, the kind asked for,
and the code that judged it (regionctl's version and the size and mtime of every module of the package), so
any change to the file or to regionctl misses. Only valid topology and runbook files are kept (their
verdict depends on their own bytes alone; a lab reads its topology, an invalid file is re-checked to print
its errors). An entry is written to a temporary file and renamed into place, so concurrent processes see a
whole entry or none; one that cannot be read or does not have the expected shape is ignored.
The directory: $XDG_CACHE_HOME/regionctl (default ~/.cache); REGIONCTL_NO_CACHE=1 turns the cache off.
This module imports neither YAML nor pydantic: a hit needs neither.

`load_topology` (drill, run, status...) keeps the validated Topology too, pickled beside it (and a run's
plan its validated Runbook, keyed by the data, when no secret parameter went into it): unpickling
rebuilds the frozen models without validating again (they are plain dataclasses, so a hit imports no
pydantic, and builds no schema); the unpickler resolves only regionctl.model classes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from regionctl import __version__
from regionctl.model.diagnostics import Diagnostic

FORMAT = 1
CACHED_KINDS = ("topology", "runbook")
_fingerprint: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What `validate` prints of a valid file: its kind and its warnings."""

    kind: str
    warnings: list[Diagnostic]


def cache_dir() -> Path | None:
    if os.environ.get("REGIONCTL_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "regionctl" / "validated"


def code_fingerprint() -> str:
    """regionctl's version and the (size, mtime) of each of its modules: an edited checker misses."""
    global _fingerprint
    if _fingerprint is None:
        digest = hashlib.sha256(f"{__version__}|{sys.version}".encode())
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        _fingerprint = digest.hexdigest()
    return _fingerprint


def key(shown: str, raw: bytes, kind: str | None) -> str:
    digest = hashlib.sha256(f"{FORMAT}|{code_fingerprint()}|{kind}|{shown}|{os.path.abspath(shown)}\0".encode())
    digest.update(raw)
    return digest.hexdigest()


def get(entry_key: str) -> Verdict | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{entry_key}.json", encoding="utf-8") as handle:
            data = json.load(handle)
        if not isinstance(data, dict) or data.get("key") != entry_key or data.get("kind") not in CACHED_KINDS:
            return None
        warnings = [Diagnostic(w["file"], w["line"], w["col"], w["field"], w["message"], w["severity"], w["code"])
                    for w in data["warnings"]]
        if not all(isinstance(w.line, int) and isinstance(w.col, int) and isinstance(w.message, str)
                   for w in warnings):
            return None
        return Verdict(str(data["kind"]), warnings)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def put(entry_key: str, verdict: Verdict) -> None:
    if verdict.kind not in CACHED_KINDS:
        return
    data = {"key": entry_key, "kind": verdict.kind, "warnings": [w.to_json() for w in verdict.warnings]}
    _write_entry(f"{entry_key}.json", json.dumps(data).encode())


def _write_entry(name: str, raw: bytes) -> None:
    """Into a temporary file, renamed into place: concurrent processes see a whole entry or none."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the user's own: nobody else reads it
        import tempfile  # (only a miss writes: tempfile costs a hit ~9 ms of imports)

        fd, temp = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
            os.replace(temp, folder / name)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        return  # a read-only or full cache directory: the next run checks again


def data_key(kind: str, data: object) -> str | None:
    """A key for a model validated from `data` (parsed YAML) by this very code; None when `data` has no
    canonical JSON form (a key that is not a string, say): such data is validated every time."""
    try:
        text = json.dumps(data, sort_keys=True, default=repr, allow_nan=True)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(f"{FORMAT}|{code_fingerprint()}|{kind}\0{text}".encode()).hexdigest()


class _ModelsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if module.startswith("regionctl.model."):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a regionctl model")


def get_model(entry_key: str, expected: type) -> object | None:
    """The validated model stored under this key, if it is an instance of `expected`."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{entry_key}.pickle", "rb") as handle:
            raw = handle.read()
        stored_key, model = _ModelsOnly(io.BytesIO(raw)).load()
    except Exception:  # a damaged entry can raise anything while unpickling: it is ignored
        return None
    return model if stored_key == entry_key and isinstance(model, expected) else None


def put_model(entry_key: str, model: object) -> None:
    if cache_dir() is None:
        return
    try:
        raw = pickle.dumps((entry_key, model), protocol=pickle.HIGHEST_PROTOCOL)
    except pickle.PicklingError:
        return
    _write_entry(f"{entry_key}.pickle", raw)
