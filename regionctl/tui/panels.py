"""The dashboard's panels, composed once for every screen that shows them (the live dashboard, a lab's, a
replay's): the same ids, the same arrangement, the same titles."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget

from regionctl.tui.eventspanel import EventsPanel
from regionctl.tui.render import LEADER_COLUMNS, REPLICATION_COLUMNS
from regionctl.tui.widgets import KeyedTable, LineTable, TextPanel, TopologyMap

TITLES = {"map": "topology", "replication": "replication (followers)", "leaders": "leaders",
          "slo": "traffic & SLOs", "blast": "blast radius", "runbook": "runbook", "events": "events"}


def compose_panels(runbook: Widget) -> ComposeResult:
    """Everything between the header and the footer; `runbook` is the lower right panel (id `runbook`)."""
    with Horizontal(id="top"):
        yield TopologyMap(id="map")
        yield KeyedTable(LEADER_COLUMNS, id="leaders", wrap=True, stretch="failover")
    yield LineTable(REPLICATION_COLUMNS, id="replication")
    with Horizontal(id="lower"):
        yield TextPanel(id="slo")
        yield TextPanel(id="blast")
        yield runbook
    yield EventsPanel(id="events")


def set_titles(screen: Widget, **overrides: str) -> None:
    """Each panel's border title (a replay calls its lower right panel the session)."""
    for widget_id, title in {**TITLES, **overrides}.items():
        screen.query_one(f"#{widget_id}").border_title = title
