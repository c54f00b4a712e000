"""Which panels the dashboard shows at a terminal size: no Textual here, only the decision.

Wide (WIDE_COLUMNS and the rows every panel needs, which depend on the topology: its clusters
and followers): every panel has room (map beside the leaders, SLOs / blast radius / runbook side
by side, the event log). Short (as wide, but too few rows for the map): the same without the
map, and `v` shows the topology in place of the lower panels. Below that the screen is compact:
the overview keeps the key figures (header, leaders with the failover countdown, RTO/RPO/writes
lost, each follower's lag, the latest events) one above the other at full width, and `v`
switches to the panels that have no room there (topology, blast radius, runbook), one at a
time, above the latest events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDE_COLUMNS = 140  # every panel side by side, the SLO panel whole
MAP_ROWS = 14  # the topology map at most (it scrolls beyond)
# The rows of the parts whose height does not depend on the topology: header, the SLO / blast / runbook row
# (the SLO panel whole), the event log at its smallest, the footer.
FIXED_ROWS = 1 + 12 + 6 + 1
COMPACT_FOLLOWERS = 10  # the replication table's rows when compact (COMPACT_CSS: 12 with its header and border)
# Compact: the rows the header, the footer, the SLO lines and the latest events keep whatever the estate's size.
COMPACT_KEPT = 1 + 1 + 5 + 3
FAILOVER_COLUMN_AT = 50  # compact: the leaders table's failover column has the screen's width less this

# The compact views, in the order `v` cycles them; each names the panels it shows (the latest events in all).
VIEWS: dict[str, tuple[str, ...]] = {
    "overview": ("leaders", "slo", "replication", "events"),
    "topology": ("map", "leaders", "events"),
    "blast radius": ("blast", "events"),
    "runbook": ("runbook", "events"),
}
# Short: every panel but the map, or (`v`) the map in place of the lower row.
SHORT_VIEWS: dict[str, tuple[str, ...]] = {
    "overview": ("leaders", "replication", "slo", "blast", "runbook", "events"),
    "topology": ("map", "leaders", "replication", "events"),
}
PANELS = ("map", "leaders", "replication", "slo", "blast", "runbook", "events")
BOXES = (("top", ("map", "leaders")), ("lower", ("slo", "blast", "runbook")))  # containers of panels


@dataclass(frozen=True)
class Rows:
    """What the topology puts in the panels whose height follows it."""

    clusters: int = 2  # the leaders table: a row each (16 rows at most with its header and border)
    followers: int = 4  # the replication table: a row each (30% of the screen at most)

    def needed(self, height: int, with_map: bool) -> int:
        leaders = min(self.clusters + 3, 16)
        replication = max(6, min(self.followers + 3, height * 3 // 10))
        return FIXED_ROWS + max(MAP_ROWS if with_map else 0, leaders) + replication


def compact_limits(height: int, rows: Rows, wrapped: int = 0) -> tuple[int, int]:
    """The rows of the leaders and of the followers tables on a compact screen `height` rows high, so that
    the header, the SLO lines and the latest events stay on it (each table adds a header and a border;
    `wrapped`: the extra lines of failover countdowns that wrap)."""
    budget = max(8, height - COMPACT_KEPT - wrapped)
    clusters = min(rows.clusters, max(2, budget // 3))
    followers = min(COMPACT_FOLLOWERS, max(2, budget - (clusters + 2) - 2))
    return clusters, followers


def mode_for(width: int, height: int, rows: Rows) -> str:
    if width >= WIDE_COLUMNS and height >= rows.needed(height, with_map=True):
        return "wide"
    if width >= WIDE_COLUMNS and height >= rows.needed(height, with_map=False):
        return "short"
    return "compact"


def is_wide(width: int, height: int, rows: Rows | None = None) -> bool:
    return mode_for(width, height, rows or Rows()) == "wide"


@dataclass
class Layout:
    """The layout mode (wide, short or compact) and, below wide, the view `v` chose."""

    mode: str = "wide"
    view: str = "overview"
    rows: Rows = Rows()

    @property
    def wide(self) -> bool:
        """Every panel at its full size (the map may be hidden): the SLO panel shows its long form."""
        return self.mode != "compact"

    def fit(self, width: int, height: int) -> bool:
        """Take a new terminal size; True when the mode changed."""
        mode = mode_for(width, height, self.rows)
        changed = mode != self.mode
        self.mode = mode
        if changed and self.view not in self.views():
            self.view = "overview"
        return changed

    def views(self) -> dict[str, tuple[str, ...]]:
        return SHORT_VIEWS if self.mode == "short" else VIEWS

    def next_view(self) -> str:
        names = list(self.views())
        self.view = names[(names.index(self.view) + 1) % len(names)]
        return self.view

    def shown(self) -> set[str]:
        """The panels on screen now."""
        return set(PANELS) if self.mode == "wide" else set(self.views()[self.view])

    def classes(self) -> dict[str, bool]:
        """The main screen's CSS classes for this layout (COMPACT_CSS reads them)."""
        compact = self.mode == "compact"
        return {"-compact": compact, "-short": self.mode == "short",
                "-detail": compact and self.view != "overview"}

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
Screen.-short #leaders { width: 1fr; }
Screen.-short #map { width: 1fr; }
.-hidden { display: none; }
"""
