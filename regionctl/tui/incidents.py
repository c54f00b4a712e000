"""The event log's lines, judged: how severe each is, which incident it marks (fault, detection,
promotion, reroute, heal), the filters the operator cycles, and the incidents pinned above the log.

No Textual here: the log widget and the pinned panel render what this decides. Events carry no
severity or kind (the simulator writes sentences for people), so both are read from the wording
the engines use (Patroni, Sentinel, Raft, orchestrator, DNS health checks), first match wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rich.text import Text

from regionctl.contract.snapshot import EventView

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
SEVERITY_LABEL = {"info": "every severity", "warning": "warnings and errors", "error": "errors only"}
SEVERITY_STYLE = {"info": "", "warning": "yellow", "error": "bold red"}

# incident kind -> (mark, the wording that starts one)
INCIDENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fault": ("⚡", ("fault injected:",)),
    "heal": ("✔", ("fault healed:",)),
    "promotion": ("★", ("promoted to leader",)),
    "detection": ("!", ("+odown", "failover decided", "campaigns for term", "stops taking writes",
                        "stepped down: heard from no majority", "failover blocked")),
    "reroute": ("↪", ("traffic shifted", "health check passes", "health check fails", "+switch-master")),
}
ERRORS = ("fault injected:", "refuses writes", "commits blocked", "failover blocked", "stops taking writes",
          "-failover-abort", "fenced (STONITH)", "fenced: cut off")
WARNINGS = ("+sdown", "+odown", "failover decided", "promoted to leader", "acquired the leader key",
            "+switch-master", "demoted", "rewound", "stepped down", "campaigns for term", "falling back to async",
            "traffic shifted", "health check fails", "restarts as a replica")


def incident_of(message: str) -> str | None:
    for kind, (_, wording) in INCIDENTS.items():
        if any(w in message for w in wording):
            return kind
    return None


def severity_of(message: str) -> Severity:
    if any(w in message for w in ERRORS):
        return "error"
    if any(w in message for w in WARNINGS):
        return "warning"
    return "info"


@dataclass(frozen=True)
class LogLine:
    """One line of the dashboard's event log."""

    at: float
    source: str  # a cluster's name, "" for the estate, or who wrote a note (operator, runbook, lab)
    message: str
    severity: Severity = "info"
    incident: str | None = None
    cluster: str = ""  # the cluster it concerns; "" for the estate's own lines (they concern every cluster)
    style: str = ""  # of the message
    source_style: str = "cyan"

    def text(self) -> Text:
        return Text.assemble((f"t={self.at:8.1f}s ", "dim"), (f"{self.source:<10} ", self.source_style),
                             (self.message, self.style or SEVERITY_STYLE[self.severity]))

    def wrapped(self, width: int) -> Text:
        """`text()` in rows of `width`, the message's continuation rows indented under its first: a log
        scrolled to its end may begin mid-line, and such a row then reads as the rest of the one above."""
        import textwrap

        head = Text.assemble((f"t={self.at:8.1f}s ", "dim"), (f"{self.source:<10} ", self.source_style))
        room = max(12, width - head.cell_len)
        rows = textwrap.wrap(self.message, room, break_on_hyphens=False) or [""]
        style = self.style or SEVERITY_STYLE[self.severity]
        head.append(rows[0], style)
        for row in rows[1:]:
            head.append("\n" + " " * (width - room if width > room else 0))
            head.append(row, style)
        return head

    def pinned_text(self) -> Text:
        mark = INCIDENTS[self.incident][0] if self.incident else "·"
        return Text.assemble((f"{mark} ", SEVERITY_STYLE[self.severity] or "green"), (f"t={self.at:.1f}s ", "bold"),
                             (f"{self.source} " if self.source else "", "cyan"), self.message)


def from_event(event: EventView) -> LogLine:
    """A backend's event (its source is the cluster it concerns, or "" for the estate)."""
    return LogLine(event.at, event.source, event.message, severity_of(event.message), incident_of(event.message),
                   cluster=event.source)


def from_note(at: float, message: str, style: str, source: str) -> LogLine:
    """A line the dashboard writes itself (a command's answer, a runbook's progress): severe as it is styled."""
    severity: Severity = "error" if "red" in style else "warning" if "yellow" in style else "info"
    return LogLine(at, source, message, severity, style=style, source_style="magenta")


@dataclass(frozen=True)
class LogFilter:
    """What the scrolling log shows: one cluster's lines (with the estate's) or all; the least severe shown."""

    cluster: str | None = None
    severity: Severity = "info"

    def shows(self, line: LogLine) -> bool:
        if SEVERITIES.index(line.severity) < SEVERITIES.index(self.severity):
            return False
        return self.cluster is None or line.cluster in ("", self.cluster)

    def next_cluster(self, clusters: list[str]) -> LogFilter:
        """all → each cluster in turn → all."""
        order: list[str | None] = [None, *clusters]
        at = order.index(self.cluster) if self.cluster in order else 0
        return LogFilter(order[(at + 1) % len(order)], self.severity)

    def next_severity(self) -> LogFilter:
        return LogFilter(self.cluster, SEVERITIES[(SEVERITIES.index(self.severity) + 1) % len(SEVERITIES)])

    def label(self) -> str:
        """The panel's title: `events`, then what the filters leave out."""
        parts = ["events"]
        if self.cluster is not None:
            parts.append(f"{self.cluster} only")
        if self.severity != "info":
            parts.append(SEVERITY_LABEL[self.severity])
        return " · ".join(parts)


@dataclass
class Incidents:
    """The incidents of the run, in order, and where the current one began (the first fault injected
    while none was active): that line stays pinned, the latest others fill the room left."""

    lines: list[LogLine] = field(default_factory=list)
    began: int | None = None  # index in lines of the fault that opened the current incident
    _active: int = 0

    def add(self, line: LogLine) -> bool:
        """Take a line; True when it is an incident (the pinned panel changes)."""
        if line.incident is None:
            return False
        if line.incident == "fault":
            if self._active == 0:
                self.began = len(self.lines)
            self._active += 1
        elif line.incident == "heal":
            self._active = max(0, self._active - 1)
        self.lines.append(line)
        if len(self.lines) > MAX_INCIDENTS:  # a long session: the oldest go (the current one's start stays)
            drop = len(self.lines) - MAX_INCIDENTS
            if self.began is not None and self.began < drop:
                self.lines = [self.lines[self.began], *self.lines[drop + 1:]]
                self.began = 0
            else:
                del self.lines[:drop]
                if self.began is not None:
                    self.began -= drop
        return True

    def pinned(self, room: int, cluster: str | None = None) -> list[LogLine]:
        """At most `room` lines, oldest first: when the current incident began, then the latest (of one
        cluster and the estate, when the log is filtered to it). When they do not all fit, a cluster's line
        gives way to a later one of the same kind and its detection to its promotion, then what matters
        most stays: faults and heals, then promotions (who leads now), reroutes, detections."""
        if room <= 0:
            return []
        lines = [line for line in self.lines if cluster is None or line.cluster in ("", cluster)]
        if len(lines) <= room:
            return lines
        if self.began is None:
            return _fit(_latest_story(lines), room)
        anchor = self.lines[self.began]  # the estate's own line: never filtered out
        at = next(i for i, line in enumerate(lines) if line is anchor)
        chosen = [anchor, *_fit(_latest_story(lines[at + 1:]), room - 1)]
        if len(chosen) < room:  # room left: the incidents before this one
            chosen = _fit(_latest_story(lines[:at]), room - len(chosen)) + chosen
        return chosen


MAX_INCIDENTS = 500
RANK = {"fault": 3, "heal": 3, "promotion": 2, "reroute": 1, "detection": 0}


def _latest_story(lines: list[LogLine]) -> list[LogLine]:
    """Without the lines a later one of the same cluster supersedes (same kind; a promotion after a
    detection). Faults and heals all stay. One pass from the end."""
    kept: list[LogLine] = []
    seen: set[tuple[str, str | None]] = set()
    for line in reversed(lines):
        superseded = (line.cluster, line.incident) in seen or (
            line.incident == "detection" and (line.cluster, "promotion") in seen)
        if not superseded or line.incident in ("fault", "heal"):
            kept.append(line)
        seen.add((line.cluster, line.incident))
    return kept[::-1]


def _fit(lines: list[LogLine], room: int) -> list[LogLine]:
    """The `room` lines that matter most (by kind, then the latest), in their order."""
    if room <= 0:
        return []
    if len(lines) <= room:
        return lines
    best = sorted(range(len(lines)), key=lambda i: (RANK.get(lines[i].incident or "", 0), i))[-room:]
    return [lines[i] for i in sorted(best)]
