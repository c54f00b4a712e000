"""Generated input never gets past the loader as anything but a clean InputError or a model.

(a) arbitrary text and bytes; (b) arbitrary YAML structures and mutations of the bundled
topologies (a key deleted, a value replaced, a key renamed); (c) a few of them through the
real command, in a process: exit code 2 and no traceback.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regionctl.loading import load_file
from regionctl.model.diagnostics import InputError
from regionctl.model.loader import Loaded
from tests.modelhelpers import BUNDLED, TOPOLOGIES, assert_clean_lines, run

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
BASES = [yaml.safe_load((TOPOLOGIES / f"{name}.yaml").read_text()) for name in BUNDLED]
FIELD_NAMES = ["name", "kind", "regions", "zones", "clusters", "nodes", "region", "zone", "role", "engine",
               "replication", "mode", "sync_replicas", "timings", "failover", "from", "cluster", "clusters",
               "tenants", "services", "depends_on", "rtt", "network", "slo", "runbooks", "steps",
               "n", "r", "w"]
WORDS = ["us-east", "eu-west", "orders", "pg-1", "leader", "follower", "replica", "async", "sync", "quorum",
         "multi-leader", "leaderless", "etcd", "postgres-patroni", "30s", "-5ms", "0ms", "99.9%", "150%",
         "1MiB", "us-east|eu-west", "us-east|us-east", "a|b|c", "10x", "silo", "pool", "", " ", "\n", "é"]
YAMLISH = [
    *"abz09 :-[]{}&*!|>'\"#%@`,?\n\t\\~.",
    "\x85", "\u2028", "\ufeff", "\x00", "\x07", "é", "😀", "!!python/object/apply:os.system ", "!!binary ",
    "<<: ", "---\n", "...\n", "&a ", "*a", "name: ", "kind: ", "regions:\n", "  - ", "%YAML 1.1\n", "? "]


def _load(content: str | bytes, directory: str) -> Loaded | None:
    """Load once; any exception but InputError fails the test. Checks every diagnostic's shape."""
    path = Path(directory) / "fuzz.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        return load_file(path)
    except InputError as exc:
        assert exc.diagnostics
        for diag in exc.diagnostics:
            assert diag.file == str(path)
            assert diag.line >= 1 and diag.col >= 1, diag
            assert diag.field, diag
            assert diag.message, diag
            assert "\n" not in diag.format() and "\r" not in diag.format(), diag
        return None


# -- (a) text and bytes ---------------------------------------------------------------------

@FUZZ
@given(st.one_of(st.text(), st.lists(st.sampled_from(YAMLISH), max_size=80).map("".join)))
def test_arbitrary_text_is_loaded_or_refused_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        _load(text, directory)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_loaded_or_refused_cleanly(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        _load(data, directory)


# -- (b) structures, dumped with yaml.safe_dump ----------------------------------------------

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(), st.text(max_size=12),
    st.sampled_from(WORDS))
_keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def _mutated_topology(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        operation = draw(st.sampled_from(["delete", "replace", "rename"]))
        if operation == "delete":
            del parent[last]
        elif operation == "replace":
            parent[last] = draw(_values)
        elif isinstance(parent, dict):
            parent[draw(_keys)] = parent.pop(last)
    return data


_structures = st.one_of(_mutated_topology(), _values, st.dictionaries(_keys, _values, max_size=6))


@FUZZ
@given(_structures)
def test_generated_structures_are_valid_or_cleanly_refused(data: Any) -> None:
    with tempfile.TemporaryDirectory() as directory:
        _load(yaml.safe_dump(data, allow_unicode=True), directory)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(BASES))
def test_unmutated_bundled_topologies_stay_valid_when_dumped(data: Any) -> None:
    """The mutation tests start from valid ground: a plain re-dump still loads."""
    with tempfile.TemporaryDirectory() as directory:
        assert _load(yaml.safe_dump(data), directory) is not None


# -- (c) through the real command ----------------------------------------------------------

@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_structures, min_size=4, max_size=4),
       st.lists(st.sampled_from(YAMLISH), min_size=1, max_size=60).map("".join))
def test_the_command_refuses_generated_files_without_a_traceback(structures: list[Any], text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        paths = []
        for i, data in enumerate(structures):
            path = Path(directory) / f"{i}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            paths.append(path)
        broken = Path(directory) / "broken.yaml"  # at least one file that cannot be valid
        broken.write_text("kind: [\n" + text, encoding="utf-8")
        paths.append(broken)
        proc = run("validate", *map(str, paths))
    assert proc.returncode == 2
    matches = assert_clean_lines(proc.stderr)
    assert str(broken) in {m["file"] for m in matches}


def test_keys_named_like_pydantic_internals_are_reported_cleanly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Found by hypothesis: pydantic names inner validators 'literal[...]' / 'function-...' in error locations.
    from regionctl.loading import load_file
    from regionctl.model.diagnostics import InputError

    for key in ("literal[", "literal[x", "function-after"):
        path = tmp_path / "odd.yaml"
        path.write_text(f"'{key}': null\n")
        try:
            load_file(path)
        except InputError as exc:
            assert any(key in d.field for d in exc.diagnostics), [d.format() for d in exc.diagnostics]
        else:
            raise AssertionError("expected an InputError")
