"""Which panels the dashboard shows at a terminal size: no Textual here, only the decision.

At WIDE and above every panel has room (map beside the leaders, SLOs / blast radius /
runbook side by side, the event log). Below it the screen is compact: the overview keeps
the key figures (header, leaders with the failover countdown, RTO/RPO/writes lost, each
follower's lag, the latest events) one above the other at full width, and `v` switches to
the panels that have no room there (topology, blast radius, runbook), one at a time, above
the latest events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDE = (140, 48)  # columns, rows: the size at which every panel fits side by side, the SLO panel whole

# The compact views, in the order `v` cycles them; each names the panels it shows (the latest events in all).
VIEWS: dict[str, tuple[str, ...]] = {
    "overview": ("leaders", "slo", "replication", "events"),
    "topology": ("map", "leaders", "events"),
    "blast radius": ("blast", "events"),
    "runbook": ("runbook", "events"),
}
PANELS = ("map", "leaders", "replication", "slo", "blast", "runbook", "events")
BOXES = (("top", ("map", "leaders")), ("lower", ("slo", "blast", "runbook")))  # containers of panels


def is_wide(width: int, height: int) -> bool:
    return width >= WIDE[0] and height >= WIDE[1]


@dataclass
class Layout:
    """The layout mode (wide or compact) and, when compact, the view `v` chose."""

    wide: bool = True
    view: str = "overview"

    def fit(self, width: int, height: int) -> bool:
        """Take a new terminal size; True when the mode changed."""
        wide = is_wide(width, height)
        changed = wide != self.wide
        self.wide = wide
        return changed

    def next_view(self) -> str:
        names = list(VIEWS)
        self.view = names[(names.index(self.view) + 1) % len(names)]
        return self.view

    def shown(self) -> set[str]:
        """The panels on screen now."""
        return set(PANELS) if self.wide else set(VIEWS[self.view])

    def classes(self) -> dict[str, bool]:
        """The main screen's CSS classes for this layout (COMPACT_CSS reads them)."""
        return {"-compact": not self.wide, "-detail": not self.wide and self.view != "overview"}

    def apply(self, screen: Any) -> None:
        """Put this layout on the dashboard's main screen (a Textual Screen: its classes, and the
        `-hidden` class on each panel, and on a container whose panels are all hidden)."""
        shown = self.shown()
        for name, on in self.classes().items():
            screen.set_class(on, name)
        for name in PANELS:
            screen.query_one(f"#{name}").set_class(name not in shown, "-hidden")
        for box, inside in BOXES:
            screen.query_one(f"#{box}").set_class(not shown & set(inside), "-hidden")


# Compact: one column at full width; the panels of the other views are hidden (display: none, so
# they cost no layout); a detail view gives its panel most of the height, the latest events the rest.
COMPACT_CSS = """
Screen.-compact #map, Screen.-compact #leaders, Screen.-compact #replication, Screen.-compact #slo,
Screen.-compact #blast, Screen.-compact #runbook, Screen.-compact #events {
    border: none; border-top: round $accent; }
Screen.-compact #top { height: auto; layout: vertical; }
Screen.-compact #map { width: 1fr; }
Screen.-compact #leaders { width: 1fr; max-width: 100%; }
Screen.-compact #lower { height: auto; min-height: 0; }
Screen.-compact #slo { width: 1fr; height: auto; }
Screen.-compact #replication { height: auto; max-height: 12; min-height: 3; }
Screen.-compact #events { height: 1fr; min-height: 2; }
Screen.-compact.-detail #top { height: auto; }
Screen.-compact.-detail #lower { height: 2fr; }
Screen.-compact.-detail #map { height: 1fr; max-height: 100%; }
Screen.-compact.-detail #blast, Screen.-compact.-detail #runbook { width: 1fr; height: 1fr; }
.-hidden { display: none; }
"""
