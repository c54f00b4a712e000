"""The runbook schema: what `regionctl run` executes, on the simulator or real hosts.

A runbook lives in a topology's `runbooks:` list or in its own file. Steps run one
at a time in dependency order (`needs`, then file order). `${param}` in any string
is replaced by the parameter's value before anything is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from regionctl.model.types import Duration, Name, Percent, StrictModel, within

if TYPE_CHECKING:  # the annotations' pydantic vocabulary, put in scope by regionctl.model.validation
    from pydantic import Field, NonNegativeInt

# The ranges say why: a wait is polled on the simulator's clock, and every poll costs real time.
Every = Annotated[Duration, within(0.1, 3600.0, "a wait evaluates its condition at most 10 times a (simulated) "
                                                "second, and 0 would never let time pass", zero=False)]
StepTimeout = Annotated[Duration, within(0.001, 86400.0, "a step's deadline is at least 1ms (0 gives the command "
                                                         "no time to run) and at most a day", zero=False)]
Backoff = Annotated[Duration, within(0.0, 600.0, "the pause before a retry doubles with each retry: at most 10m "
                                                 "to start")]
Observe = Annotated[Duration, within(0.0, 3600.0, "observing lets RTO and lag settle, which takes minutes, not "
                                                  "hours (the run is polled each simulated second)")]
MAX_BACKOFF_TOTAL = 86400.0  # backoff x (2^retries - 1): the pauses of one step
MAX_WAIT_POLLS = 3600  # timeout / every: a wait that may evaluate its condition more often is refused

StepKind = Literal["fault", "heal", "action", "wait", "check", "measure", "approve", "note"]
ActionKind = Literal["promote", "demote", "repoint", "fence", "unfence", "read-only", "read-write",
                     "shift-traffic", "command"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step(StrictModel):
    """One step of a runbook: a fault, heal, action, wait, check, measure, approval or note."""

    id: Annotated[Name, Field(description="Unique within the runbook; other steps name it in `needs`.")]
    kind: Annotated[StepKind, Field(
        description="fault: inject (healed automatically at the end); heal; action; "
                    "wait: until a condition; check: a condition now; measure: record "
                    "RTO/RPO/lag; approve: a gate; note: text for the operator.")]
    description: str = ""
    fault: Annotated[str | None, Field(
        description="kind fault/heal: a fault spec such as region:us-east "
                    "(heal without a fault heals everything).")] = None
    action: Annotated[ActionKind | None, Field(description="kind action: what to do to `target`.")] = None
    target: Annotated[str | None, Field(
        description="kind action: the node (promote, demote, repoint, fence, "
                    "unfence, command), cluster (read-only, read-write) or "
                    "region (shift-traffic) acted on.")] = None
    command: Annotated[str | None, Field(
        description="action command: the shell command run on `target` "
                    "(SSH backend only); a non-zero exit fails the step.")] = None
    args: Annotated[dict[str, Any], Field(
        description="repoint: {to: NODE}; shift-traffic: "
                    "{from: REGION, cluster: CLUSTER}.")] = field(default_factory=dict)
    condition: Annotated[str | None, Field(
        description="kind wait/check: an expression such as "
                    "lag(pg-3) < 2s (see `regionctl run --help`).")] = None
    every: Annotated[Every, Field(description="kind wait: how often the condition is evaluated.")] = 1.0
    text: Annotated[str | None, Field(description="kind note/approve: what the operator reads.")] = None
    needs: Annotated[list[Name], Field(
        description="Steps that must have finished first.")] = field(default_factory=list)
    timeout: Annotated[StepTimeout | None, Field(
        description="wait: give up after this long (default 5m); "
                    "action: the command's deadline.")] = None
    retries: Annotated[NonNegativeInt, Field(
        le=10,
        description="Tries after the first failure (at most 10; the "
                    "pauses add up to at most a day).")] = 0
    backoff: Annotated[Backoff, Field(description="Pause before the first retry; doubles for each retry.")] = 1.0
    on_failure: Literal["abort", "continue"] = "abort"


@dataclass(frozen=True, slots=True, kw_only=True)
class Guard(StrictModel):
    """A condition that must hold throughout the run; when it fails the run aborts or pauses."""

    name: Name
    condition: Annotated[str, Field(
        description="Must hold for the whole run; checked after each step and while waiting.")]
    action: Annotated[Literal["abort", "pause"], Field(
        description="abort: stop, roll back, exit 3. pause: ask "
                    "the operator whether to go on (headless: "
                    "go on only with --yes).")] = "abort"


@dataclass(frozen=True, slots=True, kw_only=True)
class Param(StrictModel):
    """A parameter of the runbook, set with --var NAME=VALUE."""

    type: Literal["string", "duration", "number", "node", "region", "cluster"] = "string"
    default: Any = None
    description: str = ""
    secret: Annotated[bool, Field(description="Never written to the journal or reports.")] = False
    env: Annotated[str | None, Field(description="Take the value from this environment variable (secret).")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunbookSlo(StrictModel):
    """Objectives the run is judged against (they override the topology's)."""

    rto: Duration | None = None
    rpo: Duration | None = None
    availability: Annotated[Percent | None, Field(
        description="Over the run's own window (drills are short: "
                    "a monthly target rarely fits one).")] = None
    writes_lost: NonNegativeInt | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Runbook(StrictModel):
    """A runbook: prechecks, steps, rollback, guards and objectives."""

    name: Name
    title: str = ""
    description: str = ""
    params: dict[Name, Param] = field(default_factory=dict)
    precheck: Annotated[list[str], Field(
        description="Conditions that must hold before anything "
                    "is touched; else exit 3.")] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    steps: Annotated[list[Step], Field(min_length=1)]
    rollback: Annotated[list[Step], Field(
        description="Run on failure, abort or interrupt, before "
                    "the injected faults are healed.")] = field(default_factory=list)
    slo: Annotated[RunbookSlo | None, Field(
        description="Objectives for this run; default: the topology's RTO and RPO.")] = None
    observe: Annotated[Observe, Field(
        description="Keep the run going this long after the last step, so that "
                    "RTO and lag settle before they are measured.")] = 0.0
