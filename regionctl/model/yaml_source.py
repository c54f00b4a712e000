"""A safe YAML reader that remembers where every value came from.

PyYAML's safe loader alone is not enough for user-facing input: it accepts duplicate
keys silently, expands alias bombs, recurses into arbitrarily deep nesting and gives
no positions for the values it builds. This module reads in two passes: the event
stream first (iterative, so depth, document count and aliases are checked before any
recursion), then the node graph, which it turns into plain dicts, lists and scalars
while recording a (line, column) for every path. No tag outside YAML's core schema is
ever constructed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from regionctl.model.diagnostics import Diagnostic, InputError, Loc, format_field_path

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 48
MAX_NODES = 200_000
MAX_ALIASES = 1000

# libyaml's parser (when PyYAML was built with it) reads a large file some 20x faster
# than the pure-Python one, with the same marks. When it refuses a file, the pure-Python
# parser reads it again: its messages name what was expected.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_READ_ERRORS = (yaml.YAMLError, UnicodeError)

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null")}
_TIMESTAMP = _CORE + "timestamp"
_MAP = _CORE + "map"
_SEQ = _CORE + "seq"


@dataclass
class YamlDocument:
    """Plain data read from one file, with the position of every value and key."""

    path: str
    data: Any
    value_marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    # Problems found while reading (duplicate keys, unsafe tags) when the reader was
    # asked to keep going, so that they are reported together with the schema's.
    problems: list[Diagnostic] = field(default_factory=list)
    # Where a value was refused while reading (it reads as null): other complaints about
    # these places are noise.
    refused: list[Loc] = field(default_factory=list)

    def resolve(self, loc: Loc) -> Loc:
        """`loc` as the user wrote it: a tenant's `cluster: x` is the model's `clusters[0]`."""
        if len(loc) >= 3 and loc[0] == "tenants" and loc[2] == "clusters":
            tenants = self.data.get("tenants") if isinstance(self.data, dict) else None
            index = loc[1]
            if isinstance(tenants, list) and isinstance(index, int) and 0 <= index < len(tenants):
                tenant = tenants[index]
                if isinstance(tenant, dict) and "clusters" not in tenant and "cluster" in tenant:
                    rest = loc[3:]
                    if rest and rest[0] == 0:  # the shorthand's single value is item 0
                        rest = rest[1:]
                    return (*loc[:2], "cluster", *rest)
        return loc

    def locate(self, loc: Loc, prefer_key: bool = False) -> tuple[Loc, tuple[int, int]]:
        """The deepest part of `loc` present in the data, and its (line, col)."""
        real: list[str | int] = []
        node = self.data
        for part in loc:
            in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_dict or in_list):
                break
            node = node[part]
            real.append(part)
        found: Loc = tuple(real)
        while True:
            if prefer_key and found in self.key_marks:
                return found, self.key_marks[found]
            if found in self.value_marks:
                return found, self.value_marks[found]
            if not found:
                return (), (1, 1)
            found = found[:-1]

    def diagnostic(
        self, loc: Loc, message: str, *, prefer_key: bool = False, severity: str = "error", code: str = ""
    ) -> Diagnostic:
        shown = self.resolve(loc)
        # Name the whole path (a missing field is not in the data), placed at the nearest mark.
        _, (line, col) = self.locate(shown, prefer_key=prefer_key)
        return Diagnostic(
            self.path, line, col, format_field_path(shown), message,
            severity="warning" if severity == "warning" else "error", code=code,
        )


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    from regionctl.model.suggest import did_you_mean as by_edit_distance

    return by_edit_distance(word, choices)


def _err(path: str, mark: Any, field_path: str, message: str) -> Diagnostic:
    """A diagnostic at a PyYAML mark (pure-Python or libyaml; None means the top)."""
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Diagnostic(path, line, col, field_path, message)


def _decode(path: str, raw: bytes) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise InputError([Diagnostic(path, 1, 1, "(file)",
                                     f"expected a YAML file of at most {MAX_FILE_BYTES // 1024} KiB, "
                                     "found a larger file")])
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        line = raw.count(b"\n", 0, offset) + 1
        col = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
        raise InputError([Diagnostic(path, line, col, "(file)",
                                     "expected UTF-8 text, found binary content (a NUL byte)")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([Diagnostic(path, line, col, "(file)",
                                     f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x} "
                                     "that is not valid UTF-8")]) from None


def _check_events(path: str, text: str) -> None:
    try:
        _scan_events(path, text, _FAST_LOADER)
    except InputError as fast:
        if _FAST_LOADER is yaml.SafeLoader or fast.diagnostics[0].field != "(syntax)":
            raise
        _scan_events(path, text, yaml.SafeLoader)  # the same refusal, in clearer words
        raise  # pragma: no cover - libyaml refused what PyYAML accepts


def _scan_events(path: str, text: str, loader: Any) -> None:
    """Pass 1, iterative: syntax, document count, nesting depth, alias count, and the
    number of values the document holds once its aliases are expanded (so that an alias
    bomb is refused here, from the events alone, before anything is built)."""
    documents = 0
    aliases = 0
    expanded = 0  # values so far, counting an alias as the expanded size of its anchor
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, `expanded` before the node)
    sizes: dict[str, int] = {}  # anchor -> expanded size of the anchored node
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise InputError([_err(path, event.start_mark, "(file)",
                                           "expected one YAML document, found a second one "
                                           "(split it into separate files)")])
            elif isinstance(event, yaml.ScalarEvent):
                expanded += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                open_nodes.append((event.anchor, expanded))
                expanded += 1
                if len(open_nodes) > MAX_DEPTH:
                    raise InputError([_err(path, event.start_mark, "(file)",
                                           f"expected nesting at most {MAX_DEPTH} levels deep, "
                                           "found deeper nesting")])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, before = open_nodes.pop()
                if anchor:
                    sizes[anchor] = expanded - before
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise InputError([_err(path, event.start_mark, "(file)",
                                           f"expected at most {MAX_ALIASES} aliases, found more "
                                           "(an alias expansion bomb?)")])
                if any(anchor == event.anchor for anchor, _ in open_nodes):
                    raise InputError([_err(path, event.start_mark, "(file)",
                                           f"expected plain data, found the alias *{event.anchor} inside the "
                                           "value it names (a recursive alias)")])
                expanded += sizes.get(event.anchor or "", 1)
            if expanded > MAX_NODES:
                reason = " once aliases are expanded (an alias expansion bomb?)" if aliases else ""
                raise InputError([_err(path, event.start_mark, "(file)",
                                       f"expected at most {MAX_NODES} values, found more{reason}")])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join((exc.problem or "invalid YAML").split())
        context = " " + " ".join(exc.context.split()) if exc.context else ""
        raise InputError([_err(path, mark, "(syntax)", f"invalid YAML: {problem}{context}")]) from None
    except yaml.reader.ReaderError as exc:  # a control character: no mark, but a position
        pos = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise InputError([Diagnostic(path, line, col, "(syntax)",
                                     f"invalid YAML: expected printable text, found the character {char} "
                                     f"({exc.reason})")]) from None
    except _READ_ERRORS as exc:  # anything else the parser can raise: still one clean line
        message = " ".join(str(exc).split())
        raise InputError([Diagnostic(path, 1, 1, "(syntax)", f"invalid YAML: {message}")]) from None


def _bad_tag(tag: str) -> str:
    shown = tag.replace(_CORE, "!!")
    return (f"expected plain YAML (text, numbers, booleans, null, lists, mappings), found the tag {shown!r}, "
            "which regionctl never constructs")


class _Builder:
    """Pass 2: turns PyYAML nodes into plain data, recording marks and problems."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.problems: list[Diagnostic] = []
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def problem(self, node: yaml.Node, loc: Loc, message: str, *, refused: bool = False) -> None:
        self.problems.append(_err(self.doc.path, node.start_mark, format_field_path(loc), message))
        if refused:
            self.doc.refused.append(loc)

    def build(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            reason = (f"more than {MAX_NODES} values after alias expansion (an alias bomb?)"
                      if self.nodes > MAX_NODES
                      else f"nesting deeper than {MAX_DEPTH} levels (a recursive alias?)")
            raise InputError([_err(self.doc.path, node.start_mark, format_field_path(loc),
                                   f"expected a plain document, found {reason}")])
        self.doc.value_marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag in _SCALAR_TAGS:
                try:
                    value = self.constructor.construct_object(node, deep=False)
                except (ValueError, OverflowError, yaml.YAMLError):  # e.g. an integer of 5000 digits
                    value = None
                else:
                    # Nothing in regionctl needs more than 64 bits, and Python refuses to print
                    # an integer of more than 4300 digits (a hex or base-60 one is easily that).
                    if not (isinstance(value, int) and value.bit_length() > 64):
                        return value
                shown = node.value if len(node.value) <= 24 else f"{node.value[:24]}..."
                self.problem(node, loc, f"expected a value of sane size, found {shown!r} "
                                        f"({len(node.value)} characters), too large to read as "
                                        f"{tag.replace(_CORE, '')}", refused=True)
                return None
            if tag == _TIMESTAMP:
                return node.value  # dates stay text: nothing in regionctl is a date
            self.problem(node, loc, _bad_tag(tag), refused=True)
            return None
        if isinstance(node, yaml.SequenceNode):
            if tag != _SEQ:
                self.problem(node, loc, _bad_tag(tag), refused=True)
                return None
            return [self.build(child, (*loc, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if tag != _MAP:
                self.problem(node, loc, _bad_tag(tag), refused=True)
                return None
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _CORE + "merge":
                    self.problem(key_node, loc, "expected plain keys, found a merge key '<<' "
                                                "(not supported: repeat the fields instead)")
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(key_node, loc, "expected a text key, found a list or mapping used as a key")
                    continue
                if key_node.tag not in _SCALAR_TAGS and key_node.tag != _TIMESTAMP:
                    self.problem(key_node, loc, _bad_tag(key_node.tag))
                    continue
                key = str(key_node.value)  # raw text: `on:` and `no:` stay strings, not booleans
                child_loc = (*loc, key)
                if key in out:
                    first = self.doc.key_marks.get(child_loc, (0, 0))
                    self.problem(key_node, child_loc,
                                 f"expected each key once, found {key!r} again (first at line {first[0]})")
                    continue
                self.doc.key_marks[child_loc] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, child_loc, depth + 1)
            return out
        self.problem(node, loc, "expected a YAML value, found something else")  # pragma: no cover
        return None


def _compose(text: str) -> yaml.Node | None:
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_FAST_LOADER)
    except _READ_ERRORS:
        node = yaml.compose(text, Loader=yaml.SafeLoader)  # raises with PyYAML's clearer message
    return node


def read_yaml_text(path: str, text: str, *, keep_going: bool = False) -> YamlDocument:
    """Check and read one document. Raises InputError with every problem found; with
    `keep_going`, problems that leave a usable mapping (duplicate keys, refused tags) are
    left in `problems` instead, for the caller to report with its own."""
    _check_events(path, text)
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:  # e.g. an undefined alias
        problem = " ".join((exc.problem or "").split())
        raise InputError([_err(path, exc.problem_mark, "(syntax)", f"invalid YAML: {problem}")]) from None
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _CORE + "null"):
        raise InputError([Diagnostic(
            path, 1, 1, "(file)", "expected a YAML mapping (for example `name: ...`), found an empty file")])
    doc = YamlDocument(path=path, data=None)
    builder = _Builder(doc)
    data = builder.build(root, (), 0)
    if builder.problems and not (keep_going and isinstance(data, dict)):
        raise InputError(builder.problems)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the scalar {data!r}"
        raise InputError([_err(path, root.start_mark, "(top level)",
                               f"expected a mapping of fields at the top level, found {kind}")])
    doc.data = data
    doc.problems = builder.problems
    return doc


def read_yaml_file(path: str | Path, *, keep_going: bool = False) -> YamlDocument:
    """Read and check one file; raises InputError with every problem found."""
    shown = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError([Diagnostic(shown, 1, 1, "(file)",
                                     "expected a readable file, found no such file")]) from None
    except IsADirectoryError:
        raise InputError([Diagnostic(shown, 1, 1, "(file)", "expected a file, found a directory")]) from None
    except OSError as exc:
        raise InputError([Diagnostic(shown, 1, 1, "(file)",
                                     f"expected a readable file, found an error: {exc.strerror}")]) from None
    return read_yaml_bytes(shown, raw, keep_going=keep_going)


def read_yaml_bytes(path: str, raw: bytes, *, keep_going: bool = False) -> YamlDocument:
    """Check and read the bytes of one file (already read: the validation cache hashed these very bytes)."""
    return read_yaml_text(path, _decode(path, raw), keep_going=keep_going)
