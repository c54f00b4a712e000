"""The runbook schema (first cut). The runbook issue grows it; files valid now stay valid."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, NonNegativeInt

from regionctl.model.types import Duration, Name, StrictModel

StepKind = Literal["fault", "heal", "action", "wait", "check", "measure", "approve", "note"]


class Step(StrictModel):
    id: Name
    kind: StepKind
    description: str = ""
    fault: str | None = Field(None, description="kind fault/heal: a fault spec such as region:us-east.")
    action: str | None = Field(None, description="kind action: promote, demote, repoint, fence, read-only, "
                                                 "shift-traffic, dns, command.")
    target: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    condition: str | None = Field(None, description="kind wait/check: an expression such as lag(pg-3) < 2s.")
    text: str | None = Field(None, description="kind note/approve: what the operator reads.")
    needs: list[Name] = Field(default_factory=list)
    timeout: Duration | None = None
    retries: NonNegativeInt = 0
    backoff: Duration = 1.0
    on_failure: Literal["abort", "continue"] = "abort"


class Guard(StrictModel):
    name: Name
    condition: str = Field(description="Must hold for the whole run.")
    action: Literal["abort", "pause"] = "abort"


class Param(StrictModel):
    type: Literal["string", "duration", "number", "node", "region", "cluster"] = "string"
    default: Any = None
    description: str = ""


class Runbook(StrictModel):
    name: Name
    title: str = ""
    description: str = ""
    params: dict[str, Param] = Field(default_factory=dict)
    precheck: list[str] = Field(default_factory=list)
    guards: list[Guard] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    rollback: list[Step] = Field(default_factory=list)
