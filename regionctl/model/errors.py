"""Turn pydantic's validation errors into diagnostics a person can act on."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from regionctl.model.diagnostics import Diagnostic, Loc
from regionctl.model.yaml_source import YamlDocument, did_you_mean


def _found(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"{value!r}"
    return f"{value!r}"


Model = type[Any]  # a schema class: a dataclass of regionctl.model (topology, runbook, lab)


_fields_of: dict[Model, tuple[tuple[str, str | None, Any], ...]] = {}


def _fields(model: Model) -> tuple[tuple[str, str | None, Any], ...]:
    """(name, alias, annotation) of each field of a schema class (its annotations are evaluated here, after
    validation put their vocabulary in scope)."""
    if model in _fields_of:
        return _fields_of[model]
    hints = typing.get_type_hints(model, include_extras=True)
    out = []
    for f in dataclasses.fields(model):
        annotation = hints[f.name]
        infos = [m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, FieldInfo)]
        out.append((f.name, next((i.alias for i in infos if i.alias), None), annotation))
    found = _fields_of[model] = tuple(out)
    return found


def _models_in(annotation: Any) -> list[Model]:
    """Every schema class reachable inside an annotation (Optional, list, dict, Annotated)."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return [annotation]
    out: list[Model] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out


def _field_names(model: Model) -> list[str]:
    names = [alias or name for name, alias, _ in _fields(model)]
    if model.__name__ == "Tenant":
        names.append("cluster")
    return names


def model_at(root: Model, loc: tuple[str | int, ...]) -> Model | None:
    """The schema class that validates the mapping at `loc` (None if not a model)."""
    current: Model | None = root
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        annotation = next((a for name, alias, a in _fields(current) if part in (name, alias)), None)
        if annotation is None:
            continue  # a union tag or a dict key: stay on the same model
        models = _models_in(annotation)
        current = models[0] if models else None
    return current


def _message(err: Any, root: Model) -> tuple[str, bool]:
    """(message, point at the key rather than the value)."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    loc = tuple(err["loc"])
    if kind == "missing":
        return f"expected the required field {loc[-1]!r}, found it missing", False
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        parent = model_at(root, loc[:-1])
        names = sorted(_field_names(parent)) if parent else []
        hint = did_you_mean(str(loc[-1]), names)
        if names and not hint:
            return f"expected one of the fields {', '.join(names)}, found the unknown field {loc[-1]!r}", True
        return f"expected a known field, found the unknown field {loc[-1]!r}{hint}", True
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ", ").split(",")]
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return f"expected one of {expected}, found {_found(value)}{hint}", False
    if kind in ("enum",):
        expected = str(ctx.get("expected", ""))
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ", ").split(",")]
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return f"expected one of {expected}, found {_found(value)}{hint}", False
    if kind == "value_error":
        msg = str(ctx.get("error", err["msg"]))
        return msg, False
    if kind in ("string_type", "string_sub_type"):
        return f"expected text, found {_found(value)}", False
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, found {_found(value)}", False
    if kind == "finite_number":
        return f"expected a finite number, found {_found(value)}", False
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, found {_found(value)}", False
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, found {_found(value)}", False
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"expected a list, found {_found(value)}", False
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type", "dataclass_args_type"):
        return f"expected a mapping, found {_found(value)}", False
    if kind == "too_short":
        wanted, actual = ctx.get("min_length", 1), ctx.get("actual_length", 0)
        return f"expected at least {wanted} item(s), found {actual}", False
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        expected = err["msg"].lower().replace("input should be", "expected a value")
        return f"{expected}, found {_found(value)}", False
    if kind == "string_pattern_mismatch":
        return f"expected a name of letters, digits, '.', '_' or '-', found {_found(value)}", False
    expected = str(err["msg"]).removeprefix("Input should be ").removeprefix("Value error, ")
    return f"expected {expected}, found {_found(value)}", False


def _field_of(model: Model | None, part: str) -> bool:
    if model is None:
        return False
    return any(part in (name, alias) for name, alias, _ in _fields(model))


def _user_loc(data: Any, loc: Loc, root: Model) -> tuple[Loc, bool]:
    """pydantic's location without the parts it adds for union members ('str',
    'dict[str,any]', a model's name), so that the path names only what the user wrote or
    should write. Returns (location, whether a union part was dropped)."""
    out: list[str | int] = []
    node: Any = data
    dropped = False
    for part in loc:
        if isinstance(part, int):
            if isinstance(node, list):
                node = node[part] if 0 <= part < len(node) else None
            elif node is not None:  # an index into something that is not the user's list
                dropped = True
                continue
            out.append(part)
        elif isinstance(node, dict) and part in node:
            node = node[part]
            out.append(part)
        elif _field_of(model_at(root, tuple(out)), part):
            node = None  # a field the user did not write (missing, or a default)
            out.append(part)
        else:
            dropped = True
    return tuple(out), dropped


def _drop_validator_parts(data: Any, raw: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """pydantic names inner validators ('function-...', 'literal[...]') in locations; drop
    such parts unless the user's data really has a key of that name at that place."""
    out: list[str | int] = []
    node: Any = data
    for part in raw:
        if isinstance(node, dict) and part in node:  # noqa: SIM114 (separate for the type checker)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and part.startswith(("function-", "literal[")):
            continue
        else:
            node = None
        out.append(part)
    return tuple(out)


def validation_problems(
    data: Any, exc: ValidationError, root: Model
) -> list[tuple[Loc, str, bool]]:
    """(location, message, point at the key) for each problem, once per location: the
    members of a union that all failed on one value become one message."""
    merged: dict[Loc, tuple[list[str], bool, bool]] = {}
    for err in exc.errors(include_url=False):
        raw = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
        # pydantic names the inner validator for Annotated/union members; drop such parts.
        loc = _drop_validator_parts(data, raw)
        message, prefer_key = _message({**err, "loc": loc}, root)
        user_loc, dropped = _user_loc(data, loc, root)
        union = dropped or len(loc) != len(raw)
        messages, key, was_union = merged.setdefault(user_loc, ([], prefer_key, False))
        if message not in messages:
            messages.append(message)
        merged[user_loc] = (messages, key, was_union or union)
    out = []
    for user_loc, (messages, key, union) in merged.items():
        # Alternatives of a union are joined with "or"; anything else stays a line of its own.
        if union:
            out.append((user_loc, "; or ".join(messages), key))
        else:
            out.extend((user_loc, message, key) for message in messages)
    return out


def diagnostics_from_validation(
    doc: YamlDocument, exc: ValidationError, root: Model
) -> list[Diagnostic]:
    return [doc.diagnostic(loc, message, prefer_key=key) for loc, message, key in
            validation_problems(doc.data, exc, root)]
