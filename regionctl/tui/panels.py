"""The dashboard's panels, composed once for every screen that shows them (the live dashboard, a lab's, a
replay's): the same ids, the same arrangement, the same titles."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Size
from textual.widget import Widget

from regionctl.analysis.reach import current_reach
from regionctl.contract.snapshot import Snapshot
from regionctl.model.topology import Topology
from regionctl.tui.eventspanel import EventsPanel
from regionctl.tui.layout import FAILOVER_COLUMN_AT, Layout, Rows, compact_limits
from regionctl.tui.model import DashboardModel
from regionctl.tui.render import (
    LEADER_COLUMNS,
    REPLICATION_COLUMNS,
    header_text,
    leader_rows,
    reach_text,
    replication_rows,
    slo_compact,
    slo_text,
    wrapped_lines,
)
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


def layout_for(topology: Topology) -> Layout:
    """A layout that knows how many rows the estate's tables want (which decides compact or not)."""
    return Layout(rows=Rows(clusters=len(topology.clusters),
                            followers=sum(len(c.nodes) - 1 for c in topology.clusters)))


def paint_panels(screen: Widget, layout: Layout, model: DashboardModel, topology: Topology, snapshot: Snapshot,
                 *, clock: str, paused: bool, size: Size, runbook: Callable[[], None]) -> None:
    """The header and each panel on screen get the snapshot (each redraws only what changed); hidden ones
    wait until a view shows them. The event log is the caller's: the live dashboard appends, a replay
    rewrites it on a seek. `runbook` paints the lower right panel, which differs per screen."""
    shown = layout.shown()
    slo = model.slo()
    screen.query_one("#header", TextPanel).show(header_text(snapshot, clock=clock, paused=paused, slo=slo,
                                                            width=size.width))
    if "map" in shown:
        screen.query_one("#map", TopologyMap).show(snapshot, model.links())
    # Compact: the tables keep the rows the screen has for them, the worst first and a sum of the rest.
    clusters, followers = (None, None) if layout.wide else compact_limits(
        size.height, layout.rows, wrapped_lines(snapshot, size.width - FAILOVER_COLUMN_AT))
    if "replication" in shown:
        screen.query_one("#replication", LineTable).sync(replication_rows(snapshot, model, followers))
    if "leaders" in shown:
        screen.query_one("#leaders", KeyedTable).sync(leader_rows(snapshot, clusters))
    if "slo" in shown:
        screen.query_one("#slo", TextPanel).show(slo_text(slo) if layout.wide else slo_compact(slo))
    if "blast" in shown:
        active = [f.spec for f in snapshot.faults if f.healed_at is None]
        screen.query_one("#blast", TextPanel).show(reach_text(current_reach(topology, snapshot), active,
                                                              snapshot.observed_blast_radius))
    if "runbook" in shown:
        runbook()
