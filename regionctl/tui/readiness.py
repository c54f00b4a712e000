"""Which runbooks may start from where the estate is now: the runbook picker's verdicts.

Each runbook is planned once (the plans do not change while the topology does not) and its
prechecks are judged against the current snapshot by the executor's own rule
(regionctl.runbook.state.unmet_precheck), so the picker says exactly what a run would say
when it starts. No Textual here: the picker gets (key, prompt) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from regionctl.contract.snapshot import Snapshot
from regionctl.model.topology import Topology

if TYPE_CHECKING:  # the planner is imported on the first `r`: the dashboard's first frame does not wait for it
    from regionctl.runbook.plan import Plan
    from regionctl.runbook.state import Unmet


@dataclass(frozen=True)
class Readiness:
    """Whether a runbook's prechecks hold now, and why not."""

    name: str
    title: str
    unmet: Unmet | None = None  # the first precheck that does not hold now
    problem: str = ""  # the runbook cannot be planned on this topology (a run would exit at once too)

    @property
    def ready(self) -> bool:
        return self.unmet is None and not self.problem

    def reason(self) -> str:
        """One line: which precheck fails and what it saw."""
        if self.problem:
            return f"cannot be planned here: {self.problem}"
        if self.unmet is None:
            return ""
        if self.unmet.error:
            return f"precheck {self.unmet.condition} cannot be evaluated: {self.unmet.saw}"
        return f"precheck {self.unmet.condition} fails: {self.unmet.saw}"


class RunbookPlans:
    """The topology's runbooks, planned on first use and kept: judging them is then a few
    condition evaluations against one snapshot (well under a millisecond each)."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._plans: dict[str, Plan | str] | None = None

    def plans(self) -> dict[str, Plan | str]:
        if self._plans is None:
            from regionctl.runbook.plan import PlanError, build_plan

            self._plans = {}
            for raw in self.topology.runbooks:
                name = str(raw.get("name"))
                try:
                    self._plans[name] = build_plan(raw, self.topology)
                except PlanError as exc:
                    self._plans[name] = str(exc)
        return self._plans

    def readiness(self, snapshot: Snapshot, names: tuple[str, ...]) -> list[Readiness]:
        """Each of `names` (the backend's runbooks, in its order) as it stands against `snapshot`."""
        from regionctl.runbook.state import SnapshotState, unmet_precheck

        titles = {str(rb.get("name")): str(rb.get("title") or "") for rb in self.topology.runbooks}
        state = SnapshotState(snapshot, snapshot.time)
        plans = self.plans()
        out = []
        for name in names:
            plan = plans.get(name)
            if plan is None:
                out.append(Readiness(name, titles.get(name, ""), problem="not in this topology"))
            elif isinstance(plan, str):
                out.append(Readiness(name, titles.get(name, ""), problem=plan))
            else:
                out.append(Readiness(name, titles.get(name, ""), unmet_precheck(plan.prechecks, state)))
        return out


PICKER_TITLE = "Run which runbook? ✔ may start now · ✘ would stop at its precheck"


def runbook_choices(verdicts: list[Readiness]) -> list[tuple[str, Text]]:
    """The picker's options, those that may start first (each keeps its place otherwise): step by step
    (with the verdict, and the reason under it) and to the end."""
    choices: list[tuple[str, Text]] = []
    for verdict in sorted(verdicts, key=lambda v: not v.ready):
        mark = ("✔ ", "bold green") if verdict.ready else ("✘ ", "bold red")
        step = Text.assemble(mark, ("▶ ", "bold"), (verdict.name, "bold"),
                             (" · step by step (n runs each step)", "dim"))
        if verdict.title:
            step.append(f"\n    {verdict.title}")
        if not verdict.ready:
            step.append(f"\n    {verdict.reason()}", "red")
        choices.append((f"{verdict.name}\tstep", step))
        choices.append((f"{verdict.name}\tall", Text.assemble("  ⏩ ", verdict.name, (" · to the end", "dim"))))
    return choices
