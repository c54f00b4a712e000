"""The lab schema: a guided region-outage scenario that proves its point every time.

A lab is a topology, a seed and steps. Each step says what the learner does (`do`: a
fault, an action or a runbook, or `auto` when time alone makes the point), the
expectation that proves the point (a condition of the runbook language), hints, and an
explanation shown once the expectation holds. `control` removes the lesson's cause, and
then the expectations must fail: that is how the tests know no lab passes by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from regionctl.model.types import Duration, Name, StrictModel, within

if TYPE_CHECKING:  # the annotations' pydantic vocabulary, put in scope by regionctl.model.validation
    from pydantic import Field

Within = Annotated[Duration, within(0.001, 3600.0, "a lesson's point shows within minutes of simulated time: "
                                                  "an hour at most", zero=False)]
Warmup = Annotated[Duration, within(0.0, 3600.0, "leaders are elected and lag is steady within seconds: an hour "
                                                 "at most")]

DO_HELP = ("What the learner does, one item or a list, in order: a fault spec (region:us-east), "
           "'heal SPEC' or 'heal all', an action ('promote pg-3', 'demote pg-1', 'repoint pg-2', "
           "'fence pg-1', 'unfence pg-1', 'read-only orders', 'read-write orders', 'shift-traffic eu-west'), "
           "'runbook NAME' (a runbook of the lab's topology), 'wait CONDITION', or 'auto' (nothing: "
           "time makes the point).")


@dataclass(frozen=True, slots=True, kw_only=True)
class LabStep(StrictModel):
    id: Name
    text: Annotated[str, Field(description="What the learner reads (Markdown).")]
    do: Annotated[str | list[str], Field(description=DO_HELP)] = "auto"
    expect: Annotated[str | None, Field(description="A condition that proves the point, e.g. writes_lost > 0.")] = None
    within: Annotated[Within, Field(description="Simulated time the expectation has to come true.")] = 120.0
    hints: list[str] = field(default_factory=list)
    explain: Annotated[str, Field(description="Why this happened, shown once the expectation holds (Markdown).")] = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Patch(StrictModel):
    path: Annotated[str, Field(
        description="Dotted path into {topology, steps}; list items by name, e.g. "
                    "topology.clusters.orders.replication.mode or steps.outage.do.")]
    value: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Control(StrictModel):
    description: Annotated[str, Field(description="What the control run changes: the lesson's cause, removed.")]
    patch: Annotated[list[Patch], Field(min_length=1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lab(StrictModel):
    name: Name
    title: str
    level: Literal["beginner", "intermediate", "advanced"] = "beginner"
    order: Annotated[int, Field(description="Position in `regionctl lab`'s list.")] = 100
    objectives: list[str] = field(default_factory=list)
    concepts: Annotated[list[str], Field(
        description="Where this shows up in real systems.")] = field(default_factory=list)
    topology: Annotated[str | dict[str, Any], Field(
        description="A bundled topology name or path, or an inline topology.")]
    seed: int = 1
    warmup: Annotated[Warmup, Field(description="Simulated time before the first step (leaders elected).")] = 30.0
    setup: Annotated[list[Patch], Field(
        description="Changes to the topology for this lab, "
                    "e.g. synchronous replication for a latency lesson.")] = field(default_factory=list)
    steps: Annotated[list[LabStep], Field(min_length=1)]
    control: Annotated[Control | None, Field(
        description="The same lab with its cause removed; its expectations "
                    "must not all hold.")] = None
