"""pydantic at the edge: the one place a schema class becomes a validator (and a JSON Schema).

The schema classes (topology, runbook, lab) are standard dataclasses whose annotations are strings naming
pydantic's vocabulary (`Field`, `PositiveInt`...), which their modules import only for the type checker:
loading a model from the validation cache must not import pydantic. Here, before the first schema is
built, that vocabulary is put in each schema module's namespace so that pydantic can read the annotations.
"""

from __future__ import annotations

import sys
from typing import Any

import pydantic
from pydantic import TypeAdapter, ValidationError

SCHEMA_MODULES = ("regionctl.model.topology", "regionctl.model.runbook", "regionctl.model.lab")
VOCABULARY: dict[str, Any] = {name: getattr(pydantic, name) for name in (
    "Field", "NonNegativeFloat", "NonNegativeInt", "PositiveFloat", "PositiveInt")}

__all__ = ["ValidationError", "adapter"]


_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def adapter(cls: type[Any]) -> TypeAdapter[Any]:
    """The validator of a schema class, built once per process."""
    if cls in _adapters:
        return _adapters[cls]
    for name in (*SCHEMA_MODULES, cls.__module__):
        module = sys.modules.get(name)
        if module is not None:
            for word, value in VOCABULARY.items():
                module.__dict__.setdefault(word, value)
    built = _adapters[cls] = TypeAdapter(cls)
    return built
