"""The runbook schema: what `regionctl run` executes, on the simulator or real hosts.

A runbook lives in a topology's `runbooks:` list or in its own file. Steps run one
at a time in dependency order (`needs`, then file order). `${param}` in any string
is replaced by the parameter's value before anything is checked.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, NonNegativeInt

from regionctl.model.types import Duration, Name, Percent, StrictModel, within

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


class Step(StrictModel):
    id: Name = Field(description="Unique within the runbook; other steps name it in `needs`.")
    kind: StepKind = Field(description="fault: inject (healed automatically at the end); heal; action; "
                                       "wait: until a condition; check: a condition now; measure: record "
                                       "RTO/RPO/lag; approve: a gate; note: text for the operator.")
    description: str = ""
    fault: str | None = Field(None, description="kind fault/heal: a fault spec such as region:us-east "
                                                "(heal without a fault heals everything).")
    action: ActionKind | None = Field(None, description="kind action: what to do to `target`.")
    target: str | None = Field(None, description="kind action: the node (promote, demote, repoint, fence, "
                                                 "unfence, command), cluster (read-only, read-write) or "
                                                 "region (shift-traffic) acted on.")
    command: str | None = Field(None, description="action command: the shell command run on `target` "
                                                  "(SSH backend only); a non-zero exit fails the step.")
    args: dict[str, Any] = Field(default_factory=dict, description="repoint: {to: NODE}; shift-traffic: "
                                                                   "{from: REGION, cluster: CLUSTER}.")
    condition: str | None = Field(None, description="kind wait/check: an expression such as "
                                                    "lag(pg-3) < 2s (see `regionctl run --help`).")
    every: Every = Field(1.0, description="kind wait: how often the condition is evaluated.")
    text: str | None = Field(None, description="kind note/approve: what the operator reads.")
    needs: list[Name] = Field(default_factory=list, description="Steps that must have finished first.")
    timeout: StepTimeout | None = Field(None, description="wait: give up after this long (default 5m); "
                                                       "action: the command's deadline.")
    retries: NonNegativeInt = Field(0, le=10, description="Tries after the first failure (at most 10; the "
                                                          "pauses add up to at most a day).")
    backoff: Backoff = Field(1.0, description="Pause before the first retry; doubles for each retry.")
    on_failure: Literal["abort", "continue"] = "abort"


class Guard(StrictModel):
    name: Name
    condition: str = Field(description="Must hold for the whole run; checked after each step and while waiting.")
    action: Literal["abort", "pause"] = Field("abort", description="abort: stop, roll back, exit 3. pause: ask "
                                                                   "the operator whether to go on (headless: "
                                                                   "go on only with --yes).")


class Param(StrictModel):
    type: Literal["string", "duration", "number", "node", "region", "cluster"] = "string"
    default: Any = None
    description: str = ""
    secret: bool = Field(False, description="Never written to the journal or reports.")
    env: str | None = Field(None, description="Take the value from this environment variable (secret).")


class RunbookSlo(StrictModel):
    rto: Duration | None = None
    rpo: Duration | None = None
    availability: Percent | None = Field(None, description="Over the run's own window (drills are short: "
                                                           "a monthly target rarely fits one).")
    writes_lost: NonNegativeInt | None = None


class Runbook(StrictModel):
    name: Name
    title: str = ""
    description: str = ""
    params: dict[Name, Param] = Field(default_factory=dict)
    precheck: list[str] = Field(default_factory=list, description="Conditions that must hold before anything "
                                                                  "is touched; else exit 3.")
    guards: list[Guard] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    rollback: list[Step] = Field(default_factory=list, description="Run on failure, abort or interrupt, before "
                                                                   "the injected faults are healed.")
    slo: RunbookSlo | None = Field(None, description="Objectives for this run; default: the topology's RTO and RPO.")
    observe: Observe = Field(0.0, description="Keep the run going this long after the last step, so that "
                                               "RTO and lag settle before they are measured.")
