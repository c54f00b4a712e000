"""The history view (`g`): the whole run's lag, availability or write latency as a chart, with the faults,
heals, failovers and consistency anomalies marked on its time axis; an anomaly opens as a diagram of the
operations that show it. Imported when the view first opens (the first frame does not pay for it).

What it draws comes from the dashboard model's Timeline (regionctl.tui.timeline, kept from the first
snapshot) and regionctl.tui.chart / opsdiagram (no Textual); this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label, Static

from regionctl.contract.snapshot import AnomalyView, Snapshot
from regionctl.tui.chart import (
    GUTTER,
    MARKER_STYLES,
    METRIC_TITLES,
    Cells,
    draw,
    fmt_value,
    legend,
    marker_columns,
)
from regionctl.tui.model import DashboardModel, dur
from regionctl.tui.opsdiagram import diagram, operation_lines
from regionctl.tui.timeline import ESTATE, METRICS, Marker, Metric, Subject, Timeline
from regionctl.tui.widgets import KeysFooter, TextPanel, style_of


class LiveDashboard(Protocol):
    """What the view needs of the dashboard (a Protocol: this module must not import the app, which opens it)."""

    model: DashboardModel
    observers: list[Callable[[Snapshot], None]]
    snapshot: Snapshot

    def clock_text(self) -> str: ...


MODAL_WIDTH = 110  # the anomaly dialog's, at most (a narrower terminal: its width less a margin)

HISTORY_CSS = """
HistoryScreen { layout: vertical; }
#history-head { height: 1; background: $boost; }
#history-chart { height: 1fr; min-height: 8; border: round $accent; }
#history-legend { height: auto; padding: 0 1; }
#history-detail { height: auto; padding: 0 1; }
#anomaly-body { height: auto; }
#anomaly-diagram { height: auto; margin-top: 1; }
#anomaly-operations { color: $text-muted; }
"""


def strip_of(cells: Cells, width: int) -> Strip:
    return Strip([Segment(text, style_of(style)) for text, style in cells]).adjust_cell_length(width)


def text_of(rows: list[Cells]) -> Text:
    out = Text()
    for index, cells in enumerate(rows):
        if index:
            out.append("\n")
        for text, style in cells:
            out.append(text, style)
    return out


class HistoryChart(Widget):
    """The chart on the line API: its rows are drawn again only when the timeline, the size or the choice of
    series changed, then handed out one Strip a line."""

    def __init__(self, timeline: Timeline, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timeline = timeline
        self.metric: Metric = "lag"
        self.subject: Subject = ESTATE
        self.selected: Marker | None = None
        self._key: tuple[object, ...] = ()
        self._strips: list[Strip] = []

    def plot_width(self) -> int:
        return max(1, self.size.width - GUTTER)

    def values(self) -> list[float | None]:
        return self.timeline.columns(self.metric, self.subject, self.plot_width())

    def render_line(self, y: int) -> Strip:
        timeline, (width, height) = self.timeline, self.size
        key = (timeline.samples, timeline.now, len(timeline.markers), width, height, self.metric, self.subject,
               id(self.selected))
        if key != self._key:
            self._key = key
            markers = marker_columns(timeline.markers, timeline.now, self.plot_width(), self.selected)
            rows = draw(self.metric, self.values(), markers, timeline.now, width, height)
            self._strips = [strip_of(cells, width) for cells in rows]
        return self._strips[y] if y < len(self._strips) else Strip.blank(width)

    @property
    def plain_lines(self) -> list[str]:
        """The chart as text (the tests and the tmux check read it)."""
        return [self.render_line(y).text for y in range(self.size.height)]


class HistoryScreen(Screen[None]):
    """The chart, its legend and the latest markers (or the anomaly selected); the dashboard ticks on behind it
    and its keys (f, h, space, r, ?) still work here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g,escape", "close", "close"),
        Binding("m", "metric", "lag/avail/latency"),
        Binding("down", "subject(1)", "next series"),
        Binding("up", "subject(-1)", "previous series", show=False),
        Binding("right", "anomaly(1)", "next anomaly"),
        Binding("left", "anomaly(-1)", "previous anomaly", show=False),
        Binding("enter", "open_anomaly", "open anomaly"),
    ]
    DEFAULT_CSS = HISTORY_CSS

    def __init__(self, dashboard: LiveDashboard) -> None:
        super().__init__()
        self.dashboard = dashboard
        self.timeline = dashboard.model.timeline
        self.chart = HistoryChart(self.timeline, id="history-chart")

    def compose(self) -> ComposeResult:
        yield TextPanel(id="history-head")
        yield self.chart
        yield TextPanel(id="history-legend")
        yield TextPanel(id="history-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.chart.border_subtitle = "m lag/availability/latency · ↑↓ series · ←→ anomaly · Enter open · g close"
        self.dashboard.observers.append(self._ticked)
        self.redraw()

    def on_unmount(self) -> None:
        if self._ticked in self.dashboard.observers:
            self.dashboard.observers.remove(self._ticked)

    def on_resize(self) -> None:
        self.redraw()

    def _ticked(self, snapshot: Snapshot) -> None:
        # Observers hear a snapshot before the model takes it: redraw once this tick is through.
        self.call_later(self.redraw)

    # -- what is shown ---------------------------------------------------------------------------
    def redraw(self) -> None:
        chart = self.chart
        chart.border_title = f"{METRIC_TITLES[chart.metric]} · {self.subject_title()}"
        self.query_one("#history-head", TextPanel).show(self.head())
        self.query_one("#history-legend", TextPanel).show(self.legend())
        self.query_one("#history-detail", TextPanel).show(self.detail())
        chart.refresh()

    def subject_title(self) -> str:
        subject, metric = self.chart.subject, self.chart.metric
        if subject.scope == "node":
            return f"{subject.title()} (of {self._cluster_of(subject.name)})"
        if metric == "lag":
            return subject.title() + " (its worst follower)"
        return subject.title()

    def head(self) -> Text:
        timeline, chart = self.timeline, self.chart
        values = [v for v in chart.values() if v is not None]
        out = Text.assemble(("history ", "bold"), f"t=0 → {dur(timeline.now)}  ")
        if values and timeline.now > 0:
            worst = min(values) if chart.metric == "availability" else max(values)
            out.append(f"{'lowest' if chart.metric == 'availability' else 'highest'} "
                       f"{fmt_value(chart.metric, worst)}  ", "bold")
            out.append(f"a column {dur(timeline.now / chart.plot_width())}  ", "dim")
        else:
            out.append("no samples yet  ", "dim")
        out.append(self.dashboard.clock_text(), "dim")
        return out

    def legend(self) -> Text:
        text = text_of([legend()])
        dropped = sum(self.timeline.dropped.values())
        if dropped:
            text.append(f"  ({dropped:,} markers past the cap not kept)", "dim")
        return text

    def detail(self) -> Text:
        selected = self.chart.selected
        anomalies = self.timeline.anomalies()
        if selected is not None and selected.anomaly is not None:
            anomaly = selected.anomaly
            number = next((i for i, m in enumerate(anomalies) if m is selected), 0) + 1
            where = anomaly.cluster + (f"/{anomaly.key}" if anomaly.key else "")
            out = Text.assemble(("◈ ", "bold magenta"), (f"anomaly {number} of {len(anomalies)}", "bold"),
                                f" · t={dur(anomaly.at)} · {anomaly.kind} on {where}",
                                f" · session {anomaly.session}" if anomaly.session else "",
                                " · ", ("Enter shows its operations", "bold"))
            out.append("\n" + anomaly.explanation)
            return out
        rows = max(2, min(12, self.app.size.height // 5))
        out = Text()
        markers = self.timeline.markers
        others = [m for m in markers if m.kind != "anomaly"]
        shown = others[-(rows - 1):] if anomalies else others[-rows:]
        room = max(10, self.app.size.width - 16)  # one line each: a long label is cut, not wrapped
        for marker in shown:
            style = MARKER_STYLES[marker.kind]
            label = marker.label if len(marker.label) <= room else marker.label[:room - 1] + "…"
            out.append(f"t={marker.at:7.1f}s ", "dim")
            out.append(f"{style.glyph} ", style.style)
            out.append(label + "\n")
        if anomalies:
            first, last = anomalies[0], anomalies[-1]
            out.append(f"◆ {len(anomalies):,} consistency anomal{'y' if len(anomalies) == 1 else 'ies'} "
                       f"(t={dur(first.at)} … {dur(last.at)}) · → selects one, Enter shows its operations", "magenta")
        elif not others:
            out.append("no fault, failover or anomaly yet (f injects a fault)", "dim")
        out.rstrip()
        return out

    def _cluster_of(self, node: str) -> str:
        try:
            return self.dashboard.snapshot.node(node).cluster
        except StopIteration:
            return "?"

    # -- keys -------------------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    def action_metric(self) -> None:
        chart = self.chart
        chart.metric = METRICS[(METRICS.index(chart.metric) + 1) % len(METRICS)]
        if chart.metric != "lag" and chart.subject.scope == "node":
            chart.subject = Subject("cluster", self._cluster_of(chart.subject.name))
        self.redraw()

    def action_subject(self, step: int) -> None:
        chart = self.chart
        # Lag is per node too; availability and write latency are per cluster (the clients' view).
        choices = [s for s in self.timeline.subjects if chart.metric == "lag" or s.scope != "node"]
        at = choices.index(chart.subject) if chart.subject in choices else 0
        chart.subject = choices[(at + step) % len(choices)]
        self.redraw()

    def action_anomaly(self, step: int) -> None:
        anomalies = self.timeline.anomalies()
        if not anomalies:
            self.notify("no consistency anomaly so far (the checks run on clusters with a consistency: promise)")
            return
        chart = self.chart
        at = next((i for i, m in enumerate(anomalies) if m is chart.selected), None)
        chart.selected = anomalies[(at + step) % len(anomalies)] if at is not None else \
            anomalies[0 if step > 0 else -1]
        self.redraw()

    def action_open_anomaly(self) -> None:
        selected = self.chart.selected
        if selected is None or selected.anomaly is None:
            self.notify("select an anomaly first (→ steps to the next one)")
            return
        self.app.push_screen(AnomalyScreen(selected.anomaly))


class AnomalyScreen(ModalScreen[None]):
    """One anomaly: the checker's explanation, the diagram of its operations, each operation in words."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "close", "close")]

    def __init__(self, anomaly: AnomalyView) -> None:
        super().__init__()
        self.anomaly = anomaly

    def compose(self) -> ComposeResult:
        anomaly = self.anomaly
        where = anomaly.cluster + (f"/{anomaly.key}" if anomaly.key else "")
        width = min(MODAL_WIDTH, self.app.size.width - 4)
        body = VerticalScroll(classes="modal", id="anomaly-body")
        body.styles.width = width
        body.styles.padding = (0, 1)  # inline: the dashboard's .modal rule has more (and beats a screen's CSS)
        with body:
            yield Static(f"{anomaly.kind} anomaly on {where} · visible at t={dur(anomaly.at)} "
                         f"(promised: {anomaly.model})", classes="modal-title", id="anomaly-title")
            yield Static(anomaly.explanation, id="anomaly-explanation")
            # Drawn for the dialog's inner width (border, padding and a scrollbar: 6 cells off).
            yield Static(text_of(diagram(anomaly, width - 6)), id="anomaly-diagram")
            yield Static("\n".join(operation_lines(anomaly)), id="anomaly-operations")
            yield Label("Esc close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
