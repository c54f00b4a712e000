"""A start-up cache for the methods that `dataclasses` generates.

Why: Python 3.11 writes the source of every dataclass's `__init__`, `__repr__`, `__eq__`,
`__hash__` (and, when frozen, `__setattr__` and `__delattr__`) and compiles it at every start-up.
Module bytecode is cached in `__pycache__`; these methods are not. On the path of `regionctl run`
that is over 400 compilations, about 28 ms of a 190 ms process.

How: `dataclasses` compiles each method with one call of `exec(source, globals, namespace)`. This
module gives `dataclasses` its own `exec` that looks the source up in a table of code objects
compiled before (keyed by the exact source text, so a changed class is simply a new entry) and runs
that. The functions are the ones `dataclasses` would have made: the same source compiled the same
way (with no future flags), run in the same globals. The table lives beside the package's bytecode,
in `regionctl/__pycache__/` (or under PYTHONPYCACHEPREFIX), with the same trust and rules: it is
written only where Python writes bytecode (not with PYTHONDONTWRITEBYTECODE), atomically, and a
missing, unreadable or stale file only means compiling as before. Only regionctl's own classes are
cached (other packages' are made as they always are). Entries are kept per defining module; a module that compiled
something new has its entries replaced by those it used, so the table never grows with edits.
"""

from __future__ import annotations

import builtins
import dataclasses
import marshal
import os
import sys
from types import CodeType
from typing import Any

_FORMAT = 2  # 2: compiled without this module's future flags (1 had string annotations: see _exec)


def _table_path() -> str | None:
    """Beside the package's bytecode, where Python puts it (`__pycache__`, or under PYTHONPYCACHEPREFIX);
    None where Python caches no bytecode (no cache tag)."""
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    name = f"dataclass-methods.{tag}.marshal"
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.pycache_prefix:
        return os.path.join(sys.pycache_prefix, here.lstrip(os.sep), name)
    return os.path.join(here, "__pycache__", name)


TABLE_PATH = _table_path()

_stored: dict[str, bytes] = {}  # module -> its marshalled {source: code}, as read from the file
_tables: dict[str, dict[str, CodeType]] = {}  # module -> {source: code}, unmarshalled on first use
_used: dict[str, dict[str, CodeType]] = {}  # module -> what this process looked up
_missed: set[str] = set()  # modules that compiled something the table did not have
compiled = 0  # methods compiled by this process (a second start-up compiles none)


def _read() -> dict[str, bytes]:
    if TABLE_PATH is None:
        return {}
    try:
        with open(TABLE_PATH, "rb") as file:
            found = marshal.load(file)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(found, tuple) or len(found) != 2 or found[0] != _FORMAT or not isinstance(found[1], dict):
        return {}
    return found[1]


def _table(module: str) -> dict[str, CodeType]:
    table = _tables.get(module)
    if table is None:
        table = {}
        blob = _stored.get(module)
        if blob is not None:
            try:
                loaded = marshal.loads(blob)
            except (EOFError, ValueError, TypeError):
                loaded = None
            if isinstance(loaded, dict):
                table = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, CodeType)}
        _tables[module] = table
    return table


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /) -> None:
    """`exec`, with the code of a source text compiled before taken from the table."""
    if globals is None:  # (never so from dataclasses; as the builtin would: the caller's globals)
        globals = sys._getframe(1).f_globals
        locals = sys._getframe(1).f_locals if locals is None else locals
    module = globals.get("__name__")
    if type(source) is not str or not isinstance(module, str) or not module.startswith("regionctl."):
        # Other packages' classes: as they always were. (A string given to exec here would be compiled
        # with this module's future flags, as a string exec'd by any module is: compile it without.)
        code = compile(source, "<string>", "exec", dont_inherit=True) if type(source) is str else source
        builtins.exec(code, globals, locals)
        return
    table = _table(module)
    code = table.get(source)
    if code is None:
        global compiled
        compiled += 1
        # dont_inherit: not with this module's `from __future__ import annotations`, which would make
        # every generated method's annotations strings ('_type_x'), unlike dataclasses' own exec.
        code = compile(source, "<string>", "exec", dont_inherit=True)
        table[source] = code
        _missed.add(module)
    _used.setdefault(module, {})[source] = code
    builtins.exec(code, globals, locals)


def save(*, force: bool = False, fresh: bool = False) -> None:
    """Write the table back if this process compiled something new (at exit; `force` writes even
    where Python writes no bytecode, as `compileall` does; `fresh` drops what this process did not use)."""
    if not _missed or TABLE_PATH is None or (sys.dont_write_bytecode and not force):
        return
    merged = {} if fresh else _read()  # what other processes wrote meanwhile, for the modules this one did not miss
    for module in _missed:
        merged[module] = marshal.dumps(_used[module])
    temporary = f"{TABLE_PATH}.{os.getpid()}.{os.urandom(4).hex()}.tmp"  # (pids repeat across containers)
    try:
        os.makedirs(os.path.dirname(TABLE_PATH), exist_ok=True)
        with open(temporary, "wb") as file:
            marshal.dump((_FORMAT, merged), file)
        os.replace(temporary, TABLE_PATH)
    except OSError:  # a read-only install: compile at each start, as without the table
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(temporary)
    _missed.clear()


def install() -> None:
    """Give `dataclasses` the caching `exec`, once; where its methods are not made with `exec`
    (another Python's dataclasses), nothing changes."""
    if getattr(dataclasses, "exec", None) is _exec or not hasattr(dataclasses, "_create_fn"):
        return
    _stored.update(_read())
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # found before the builtin by _create_fn
    import atexit

    atexit.register(save)


def build() -> int:
    """Import every module of the package and write the table: what `compileall` is to bytecode
    (`python -m regionctl.precompile`, after installing). The table then holds exactly the
    package's classes as they are now. Returns how many methods it holds."""
    import importlib
    import pkgutil

    import regionctl

    for info in pkgutil.walk_packages(regionctl.__path__, "regionctl."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            try:
                importlib.import_module(info.name)
            except Exception:  # an optional extra that is not installed: its classes stay uncached
                continue
    _missed.update(_used)
    save(force=True, fresh=True)  # what is not imported now is gone from the package
    return sum(len(table) for table in _used.values())

