"""The lab schema: a guided region-outage scenario that proves its point every time.

A lab is a topology, a seed and steps. Each step says what the learner does (`do`: a
fault, an action or a runbook, or `auto` when time alone makes the point), the
expectation that proves the point (a condition of the runbook language), hints, and an
explanation shown once the expectation holds. `control` removes the lesson's cause, and
then the expectations must fail: that is how the tests know no lab passes by accident.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from regionctl.model.types import Duration, Name, StrictModel, within

Within = Annotated[Duration, within(0.001, 3600.0, "a lesson's point shows within minutes of simulated time: "
                                                  "an hour at most", zero=False)]
Warmup = Annotated[Duration, within(0.0, 3600.0, "leaders are elected and lag is steady within seconds: an hour "
                                                 "at most")]

DO_HELP = ("What the learner does, one item or a list, in order: a fault spec (region:us-east), "
           "'heal SPEC' or 'heal all', an action ('promote pg-3', 'demote pg-1', 'repoint pg-2', "
           "'fence pg-1', 'unfence pg-1', 'read-only orders', 'read-write orders', 'shift-traffic eu-west'), "
           "'runbook NAME' (a runbook of the lab's topology), 'wait CONDITION', or 'auto' (nothing: "
           "time makes the point).")


class LabStep(StrictModel):
    id: Name
    text: str = Field(description="What the learner reads (Markdown).")
    do: str | list[str] = Field("auto", description=DO_HELP)
    expect: str | None = Field(None, description="A condition that proves the point, e.g. writes_lost > 0.")
    within: Within = Field(120.0, description="Simulated time the expectation has to come true.")
    hints: list[str] = Field(default_factory=list)
    explain: str = Field("", description="Why this happened, shown once the expectation holds (Markdown).")


class Patch(StrictModel):
    path: str = Field(description="Dotted path into {topology, steps}; list items by name, e.g. "
                                  "topology.clusters.orders.replication.mode or steps.outage.do.")
    value: Any = None


class Control(StrictModel):
    description: str = Field(description="What the control run changes: the lesson's cause, removed.")
    patch: list[Patch] = Field(min_length=1)


class Lab(StrictModel):
    name: Name
    title: str
    level: Literal["beginner", "intermediate", "advanced"] = "beginner"
    order: int = Field(100, description="Position in `regionctl lab`'s list.")
    objectives: list[str] = Field(default_factory=list)
    concepts: list[str] = Field(default_factory=list, description="Where this shows up in real systems.")
    topology: str | dict[str, Any] = Field(description="A bundled topology name or path, or an inline topology.")
    seed: int = 1
    warmup: Warmup = Field(30.0, description="Simulated time before the first step (leaders elected).")
    setup: list[Patch] = Field(default_factory=list, description="Changes to the topology for this lab, "
                                                                 "e.g. synchronous replication for a latency lesson.")
    steps: list[LabStep] = Field(min_length=1)
    control: Control | None = Field(None, description="The same lab with its cause removed; its expectations "
                                                      "must not all hold.")
