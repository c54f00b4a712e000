"""The lab schema (first cut). The labs issue grows it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from regionctl.model.types import Name, StrictModel


class LabStep(StrictModel):
    id: Name
    text: str = Field(description="What the learner reads (Markdown).")
    do: str = Field("auto", description="A fault spec, an action, a runbook name, or auto.")
    expect: str | None = Field(None, description="A condition that proves the point.")
    hints: list[str] = Field(default_factory=list)
    explain: str = ""


class Lab(StrictModel):
    name: Name
    title: str
    level: Literal["beginner", "intermediate", "advanced"] = "beginner"
    objectives: list[str] = Field(default_factory=list)
    topology: str | dict[str, Any] = Field(description="A bundled topology path, or an inline topology.")
    seed: int = 1
    steps: list[LabStep] = Field(min_length=1)
