"""The probe sessions' history, checked while a run goes on: the figures conditions and reports read.

A cluster may promise a consistency model (`consistency:` in the topology). With probes on, each
cluster's figures gain a `consistency` record: the model promised, the verdict against it, and the
anomalies found so far for every model the checker knows. Checking re-reads the cluster's whole
history, so while a run goes on the figures are refreshed at most once per simulated second
(conditions poll often, and a check reads every operation again); at the end of a run
(`final=True`) they are exact. Clusters that promise nothing are checked only when asked (a drill's
history), not at every snapshot. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from regionctl.consistency import MODELS, Anomaly, CheckResult, Fault, History, check, from_records
from regionctl.contract.snapshot import AnomalyView, OperationView

if TYPE_CHECKING:
    from regionctl.sim.history import ProbeRecorder

REFRESH = 5.0  # simulated seconds between two checks of a running history

# Every model the checker knows, one by one ("session" is the four session guarantees at once).
CHECKED = tuple(m for m in MODELS if m != "session")


def figure_name(model: str) -> str:
    """A model's name as a field of a condition's record: read-your-writes -> read_your_writes."""
    return model.replace("-", "_")


@dataclass(frozen=True)
class Checked:
    records: int
    at: float
    figures: dict[str, Any]
    results: dict[str, CheckResult]


class ProbeChecks:
    def __init__(self, recorder: ProbeRecorder, promised: dict[str, str | None]) -> None:
        self.recorder = recorder
        self.promised = promised  # cluster -> the model it promises, or None
        self.memo: dict[str, Checked] = {}
        self._views: tuple[tuple[tuple[str, int], ...], tuple[AnomalyView, ...]] = ((), ())

    def anomalies(self) -> tuple[AnomalyView, ...]:
        """The anomalies of each promise as last checked (snapshots read them; no check runs here), in the order
        they became visible. Built again only when a check has run since."""
        checked = [(cluster, self.memo[cluster]) for cluster, model in self.promised.items()
                   if model and cluster in self.memo]
        stamp = tuple((cluster, memo.records) for cluster, memo in checked)  # a new check, a new count
        if stamp != self._views[0]:
            views = [_view(self.promised[cluster] or "", anomaly) for cluster, memo in checked
                     for anomaly in memo.results[self.promised[cluster] or ""].anomalies]
            order = sorted(views, key=lambda v: (v.at, v.cluster, v.kind, [o.index for o in v.operations]))
            self._views = (stamp, tuple(order))
        return self._views[1]

    def history(self, cluster: str | None = None) -> History:
        """Every operation recorded so far (of one cluster), with the run's faults."""
        faults = tuple(Fault(f.fault.spec, f.at, f.healed_at) for f in self.recorder.sim.faults)
        records = self.recorder.records
        return from_records(records if cluster is None else [r for r in records if r["cluster"] == cluster],
                            faults)

    def figures(self, cluster: str, now: float) -> dict[str, Any] | None:
        """The figures a snapshot carries: a promising cluster's, refreshed; another's once checked."""
        if self.promised.get(cluster):
            return self.checked(cluster, now).figures
        memo = self.memo.get(cluster)
        return memo.figures if memo is not None else None

    def checked(self, cluster: str, now: float, final: bool = False) -> Checked:
        memo = self.memo.get(cluster)
        count = len(self.recorder.records)
        if memo is not None and (memo.records == count or (not final and now < memo.at + REFRESH)):
            return memo
        history = self.history(cluster)
        promised = self.promised.get(cluster)
        results = {model: check(history, model) for model in CHECKED}
        if promised == "session":
            results["session"] = check(history, "session")
        judged = results.get(promised) if promised else None
        figures: dict[str, Any] = {
            "model": promised or "none",
            "verdict": judged.verdict if judged is not None else "ok",
            "anomalies": judged.anomalies_found if judged is not None else 0,
            "operations": len(history.operations),
        }
        for model, result in results.items():
            figures[figure_name(model)] = result.anomalies_found
        memo = Checked(count, now, figures, results)
        self.memo[cluster] = memo
        return memo


def _view(model: str, anomaly: Anomaly) -> AnomalyView:
    operations = tuple(OperationView(op.index, op.session, op.op, op.key, op.value, op.start, op.end, op.outcome,
                                     op.node) for op in anomaly.operations)
    return AnomalyView(model, anomaly.kind, anomaly.cluster, anomaly.key, anomaly.session, anomaly.at,
                       anomaly.explanation, operations)
