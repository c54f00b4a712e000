"""The start-up cache of dataclass methods (regionctl/_codecache.py): the same classes, compiled once."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from regionctl import _codecache

ROOT = Path(__file__).resolve().parent.parent

CLASSES = '''
from __future__ import annotations
import dataclasses

@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    """A point."""
    x: int
    y: int = 2
    tags: tuple[str, ...] = ()

@dataclasses.dataclass(order=True)
class Bag:
    name: str
    items: list[int] = dataclasses.field(default_factory=list)
'''


@pytest.fixture
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch table file and empty in-memory tables (the real ones are left as they were)."""
    path = tmp_path / "table.marshal"
    monkeypatch.setattr(_codecache, "TABLE_PATH", str(path))
    for name in ("_stored", "_tables", "_used"):
        monkeypatch.setattr(_codecache, name, {})
    monkeypatch.setattr(_codecache, "_missed", set())
    yield path


def define(module_name: str) -> types.ModuleType:
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module
    try:
        exec(compile(CLASSES, f"<{module_name}>", "exec"), module.__dict__)
    finally:
        del sys.modules[module_name]
    return module


def test_the_package_installs_the_caching_exec() -> None:
    assert dataclasses.exec is _codecache._exec  # type: ignore[attr-defined]


def test_a_class_defined_again_is_not_compiled_again_and_behaves_the_same(table: Path) -> None:
    before = _codecache.compiled
    first = define("regionctl.cache_probe")
    compiled_once = _codecache.compiled - before
    assert compiled_once >= 8  # Point: init, repr, eq, hash, setattr, delattr; Bag: init, repr, eq, order
    second = define("regionctl.cache_probe")
    assert _codecache.compiled - before == compiled_once  # all from the table
    for module in (first, second):
        point = module.Point(1)
        assert (point.x, point.y, point.tags) == (1, 2, ())
        assert point == module.Point(1, 2) and hash(point) == hash(module.Point(1, 2))
        assert repr(point) == "Point(x=1, y=2, tags=())"
        with pytest.raises(dataclasses.FrozenInstanceError):
            point.x = 3  # type: ignore[misc]
        bags = [module.Bag("b"), module.Bag("a", [1])]
        assert sorted(bags)[0].name == "a" and bags[0].items == [] and bags[0].items is not module.Bag("c").items
        assert [f.name for f in dataclasses.fields(module.Point)] == ["x", "y", "tags"]


def test_other_packages_classes_are_made_as_always(table: Path) -> None:
    before = _codecache.compiled
    define("somebody_else")
    assert _codecache.compiled == before and not _codecache._used


def test_the_table_is_written_and_read_back(table: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    define("regionctl.cache_probe")
    _codecache.save()
    assert table.is_file()
    # A new process: nothing in memory, the file read at install.
    for name in ("_tables", "_used"):
        monkeypatch.setattr(_codecache, name, {})
    monkeypatch.setattr(_codecache, "_stored", _codecache._read())
    before = _codecache.compiled
    define("regionctl.cache_probe")
    assert _codecache.compiled == before


def test_nothing_is_written_where_python_writes_no_bytecode(table: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    define("regionctl.cache_probe")
    _codecache.save()
    assert not table.exists()
    _codecache.save(force=True)  # as `python -m regionctl.precompile` does
    assert table.is_file()


@pytest.mark.parametrize("content", [b"", b"not marshal at all", b"\xe9\x00\x00", b"\x00" * 64])
def test_a_damaged_table_only_means_compiling(table: Path, content: bytes,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    table.write_bytes(content)
    monkeypatch.setattr(_codecache, "_stored", _codecache._read())
    before = _codecache.compiled
    module = define("regionctl.cache_probe")
    assert _codecache.compiled > before and module.Point(1).y == 2


def test_a_module_that_compiled_something_new_keeps_only_what_it_used(table: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    define("regionctl.cache_probe")
    _codecache.save()
    old = set(_codecache._read())
    assert old == {"regionctl.cache_probe"}
    # The module is edited: a new process compiles its new class and forgets the old ones.
    for name in ("_tables", "_used"):
        monkeypatch.setattr(_codecache, name, {})
    monkeypatch.setattr(_codecache, "_stored", _codecache._read())
    module = types.ModuleType("regionctl.cache_probe")
    sys.modules[module.__name__] = module
    try:
        exec("import dataclasses\n@dataclasses.dataclass\nclass Only:\n    z: int\n", module.__dict__)
    finally:
        del sys.modules[module.__name__]
    _codecache.save()
    import marshal

    kept = marshal.loads(_codecache._read()["regionctl.cache_probe"])
    assert len(kept) == 3 and all("Point" not in source and "Bag" not in source for source in kept)


def test_a_second_start_up_compiles_no_dataclass_method(tmp_path: Path) -> None:
    """The guard on start-up cost, by count: the run path and the dashboard's path, started twice."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    script = ("import regionctl.cli.run_session, regionctl.runbook.executor, regionctl.backends.sim_backend, "
              "regionctl.tui.app, regionctl._codecache as c, dataclasses; "
              "print(c.compiled, dataclasses.exec is c._exec, len(c._used))")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           cwd=ROOT, env=env).stdout.split() for _ in range(2)]
    compiled, installed, modules = runs[1]
    assert (compiled, installed) == ("0", "True") and int(modules) > 20, runs


def test_every_dataclass_on_the_start_up_paths_has_a_docstring() -> None:
    """Without one, `dataclasses` builds a docstring from `inspect.signature` at import (about 50 us a
    class). The paths: a run and a drill on the simulator, and the dashboard."""
    script = """
import dataclasses, inspect, sys
import regionctl.cli.main, regionctl.cli.run_session, regionctl.runbook.executor, regionctl.runbook.resume
import regionctl.backends.sim_backend, regionctl.report.run_view, regionctl.drill.runner, regionctl.tui.app
missing = [f"{name}.{cls.__name__}" for name, module in sorted(sys.modules.items()) if name.startswith("regionctl")
           for cls in vars(module).values() if inspect.isclass(cls) and dataclasses.is_dataclass(cls)
           and cls.__module__ == name and (cls.__doc__ or "").startswith(cls.__name__ + "(")]
print(len([m for m in sys.modules if m.startswith("regionctl.")]), *missing)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.split()
    assert int(out[0]) > 80 and out[1:] == []


PLAIN = '''
import dataclasses

@dataclasses.dataclass(frozen=True)
class Typed:
    x: int
    y: "list[str]" = dataclasses.field(default_factory=list)
'''


def test_a_cached_method_is_the_method_dataclasses_makes_annotations_and_all(
        table: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table's code was compiled with this module's `from __future__ import annotations` inherited:
    every generated method's annotations were strings ('_type_x'), and get_type_hints failed on them."""
    import inspect
    import typing

    def made(name: str) -> Any:
        module = types.ModuleType(name)
        sys.modules[name] = module
        try:
            exec(compile(PLAIN, f"<{name}>", "exec", dont_inherit=True), module.__dict__)
        finally:
            del sys.modules[name]
        return module.Typed

    with monkeypatch.context() as undone:
        undone.delattr(dataclasses, "exec")  # dataclasses' own exec, the builtin
        stock = made("regionctl.stock_probe")
    passed_through = made("not_regionctl_probe")  # another package's class, through the caching exec
    assert passed_through.__init__.__annotations__ == stock.__init__.__annotations__
    first, second = made("regionctl.typed_probe"), made("regionctl.typed_probe")  # compiled, then cached
    for cached in (first, second):
        for method in ("__init__", "__repr__", "__eq__", "__setattr__"):
            assert getattr(cached, method).__annotations__ == getattr(stock, method).__annotations__, method
        shown = "(x: int, y: 'list[str]' = <factory>) -> None"
        assert str(inspect.signature(cached)) == str(inspect.signature(stock)) == shown
        assert typing.get_type_hints(cached.__init__) == {"x": int, "y": list[str], "return": type(None)}
