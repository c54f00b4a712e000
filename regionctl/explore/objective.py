"""What an exploration looks for, judged from a drill's JSON report: a figure to maximise (writes lost, RPO,
RTO, SLO budget burned, split-brain seconds) or a property to break (no acknowledged write lost, the SLOs, a
leader within N seconds, a consistency model). A property is searched by the figure that leads to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from regionctl.units import UnitError, parse_duration

OBJECTIVES = ("writes-lost", "rpo", "rto", "slo-burn", "split-brain")
PROPERTIES = ("no-writes-lost", "slo", "slo:NAME", "leader-within:DURATION", "consistency", "consistency:MODEL")
SLO_NAMES = ("availability", "rpo", "rto", "write_latency_p99", "read_latency_p99")
MODELS = ("linearizable", "causal", "read-your-writes", "monotonic-reads", "monotonic-writes", "writes-follow-reads")
DEFAULT_AVAILABILITY = 0.999  # the SLO budget of a topology that sets no availability target
UNITS = {"writes-lost": "writes", "rpo": "s", "rto": "s", "slo-burn": "x budget", "split-brain": "s",
         "anomalies": "anomalies", "failed-slos": "SLOs"}


class ObjectiveError(ValueError):
    """An objective or property that does not exist (one line, for `regionctl: --option: ...`)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """One drill judged: the score searched for (higher is worse), and whether the property broke."""

    score: float
    violated: bool
    figures: tuple[tuple[str, float | None], ...]  # the headline figures, for the findings table and JSON


@dataclass(frozen=True, slots=True)
class Objective:
    """`figure` is what is maximised; `prop` the property whose violation is a finding (None: any score > 0)."""

    figure: str
    prop: str | None = None
    cluster: str | None = None  # figures of this cluster only
    limit: float = 0.0  # leader-within's N seconds
    slo: str = ""  # slo:NAME's objective
    model: str = ""  # consistency:MODEL's model
    availability_target: float = DEFAULT_AVAILABILITY

    @property
    def needs_probes(self) -> bool:
        return self.figure == "anomalies"

    @property
    def name(self) -> str:
        return self.prop if self.prop is not None else self.figure

    @property
    def unit(self) -> str:
        return UNITS[self.figure]

    def judge(self, report: dict[str, Any]) -> Verdict:
        metrics = report["metrics"]
        scope = metrics["clusters"][self.cluster] if self.cluster else metrics
        duration = float(report["sim_seconds"])
        figures: dict[str, float | None] = {
            "writes_lost": float(scope.get("writes_lost", 0)),
            "rpo": scope.get("rpo_seconds"),
            "rto": worst_rto(metrics, self.cluster, duration),
            "split_brain": float(scope.get("split_brain_seconds", 0.0)),
            "slo_burn": burn(scope.get("availability"), self.availability_target),
        }
        failed = [c["name"] for c in report["slo"] if not c["ok"]]
        anomalies = anomaly_count(report.get("consistency"), self.cluster, self.model)
        if self.needs_probes:
            figures["anomalies"] = float(anomalies)
        score = {"writes-lost": figures["writes_lost"], "rpo": figures["rpo"], "rto": figures["rto"],
                 "slo-burn": figures["slo_burn"], "split-brain": figures["split_brain"],
                 "anomalies": float(anomalies), "failed-slos": float(len(failed))}[self.figure] or 0.0
        if self.figure == "failed-slos":
            score += min(figures["slo_burn"] or 0.0, 0.99)  # among equal counts, the deeper burn leads
        violated = score > 0
        if self.prop == "slo" or (self.prop and self.prop.startswith("slo:")):
            violated = bool(failed) if not self.slo else self.slo in failed
        elif self.prop and self.prop.startswith("leader-within:"):
            violated = score > self.limit
        shown = tuple((k, None if v is None else round(v, 6)) for k, v in figures.items())
        return Verdict(round(float(score), 6), violated, shown)


def worst_rto(metrics: dict[str, Any], cluster: str | None, duration: float) -> float:
    """The longest recovery; a cluster still down at the end counts the whole drill. An outage no live client
    saw (`unobserved`: its RTO is unknown) counts nothing: it is no evidence of a slow recovery."""
    worst = 0.0
    for name, c in metrics["clusters"].items():
        if cluster and name != cluster:
            continue
        rto = c.get("rto_seconds")
        if rto is None and c.get("outage") == "ongoing":
            rto = duration
        worst = max(worst, float(rto or 0.0))
    return worst  # not rounded: leader-within compares it with its limit as measured


def burn(availability: float | None, target: float) -> float:
    """How many times the drill's window burned its error budget (1.0: exactly the budget)."""
    if availability is None:
        return 0.0
    return round(max(0.0, 1.0 - availability) / max(1.0 - target, 1e-9), 6)


def anomaly_count(section: dict[str, Any] | None, cluster: str | None, model: str) -> int:
    if not section:
        return 0
    total = 0
    for name, c in section.items():
        if not isinstance(c, dict) or (cluster and name != cluster):
            continue
        if model:
            total += int(c["models"].get(model, {}).get("anomalies", 0))
        elif c.get("promised"):
            total += int(c["models"].get(c["promised"], {}).get("anomalies", 0))
        # A cluster that promises nothing breaks no promise (`consistency:MODEL` names one to hold it to).
    return total


def parse_objective(objective: str | None, prop: str | None, cluster: str | None,
                    availability_target: float | None) -> Objective:
    """`--objective NAME` or `--property P` (not both); raises ObjectiveError with one line."""
    from regionctl.model.suggest import did_you_mean

    target = availability_target if availability_target is not None else DEFAULT_AVAILABILITY
    if prop is None:
        name = objective or "writes-lost"
        if name not in OBJECTIVES:
            raise ObjectiveError(f"--objective: unknown objective {name!r}{did_you_mean(name, OBJECTIVES)} "
                                 f"(expected one of {', '.join(OBJECTIVES)})")
        return Objective(name, None, cluster, availability_target=target)
    if objective is not None:
        raise ObjectiveError("--property: a property is searched by its own figure; drop --objective")
    head, _, arg = prop.partition(":")
    if prop == "no-writes-lost":
        return Objective("writes-lost", prop, cluster, availability_target=target)
    if head == "slo":
        if arg and arg not in SLO_NAMES:
            raise ObjectiveError(f"--property: unknown SLO {arg!r}{did_you_mean(arg, SLO_NAMES)} "
                                 f"(expected slo or slo:NAME, NAME one of {', '.join(SLO_NAMES)})")
        figure = {"rpo": "rpo", "rto": "rto", "availability": "slo-burn"}.get(arg, "failed-slos")
        return Objective(figure, prop, cluster, slo=arg, availability_target=target)
    if head == "leader-within":
        try:
            limit = parse_duration(arg)
        except UnitError as exc:
            raise ObjectiveError(f"--property {prop}: {exc} (the form is leader-within:30s)") from None
        if limit <= 0:
            raise ObjectiveError(f"--property {prop}: expected a limit above 0s (the form is leader-within:30s)")
        return Objective("rto", prop, cluster, limit=limit, availability_target=target)
    if head == "consistency":
        if arg and arg not in MODELS:
            raise ObjectiveError(f"--property: unknown consistency model {arg!r}{did_you_mean(arg, MODELS)} "
                                 f"(expected one of {', '.join(MODELS)})")
        return Objective("anomalies", prop, cluster, model=arg, availability_target=target)
    heads = [p.split(":")[0] for p in PROPERTIES]
    raise ObjectiveError(f"--property: unknown property {prop!r}{did_you_mean(head, heads)} "
                         f"(expected one of {', '.join(PROPERTIES)})")
