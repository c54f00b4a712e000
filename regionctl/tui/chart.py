"""The history chart as rows of (text, style) cells: a series in block characters under a marker row and
over a time axis. No Textual: the widget (historyview.py) only turns rows into Strips.

    ◆      ★ ✘                      the marker row: one glyph per column that holds a marker
 45.2s ┤   ┊█│┃ ▃▅▇                 lag, availability or write latency, eighth blocks (8 levels a row)
       │  ▂┊█│┃█████▆▄▂            a marker's line runs down the column above the series
    0s ┤▁▁██│┃███████████▁▁▁
       └┬─────────┬─────────┬       t=0 to now, nice steps
       0s        1m00s     2m00s
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from regionctl.tui.model import lag_level
from regionctl.tui.timeline import Marker, MarkerKind, Metric
from regionctl.units import format_duration

Cells = list[tuple[str, str]]  # one row: (text, style) runs
EIGHTHS = " ▁▂▃▄▅▆▇█"
GUTTER = 8  # the y axis: a label of up to 6 cells, a space, the axis


@dataclass(frozen=True)
class MarkerStyle:
    glyph: str  # in the marker row
    line: str  # down the column
    style: str
    word: str  # in the legend


MARKER_STYLES: dict[MarkerKind, MarkerStyle] = {
    "fault": MarkerStyle("✘", "┃", "bold red", "fault injected"),
    "heal": MarkerStyle("✔", "┆", "green", "healed"),
    "failover": MarkerStyle("★", "│", "bold yellow", "failover"),
    "anomaly": MarkerStyle("◆", " ", "magenta", "anomaly"),  # no line: there may be one in every column
}
SELECTED = MarkerStyle("◈", "┊", "bold reverse magenta", "selected")
# Several markers in one column: the one shown (faults and failovers are the story; anomalies may be many).
PRIORITY: tuple[MarkerKind, ...] = ("fault", "failover", "heal", "anomaly")
NICE_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400,
              21600, 43200, 86400)
ROUND_DURATIONS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600,
                   1200, 1800, 3600, 7200, 14400, 28800, 86400)
METRIC_TITLES: dict[Metric, str] = {"lag": "replication lag", "availability": "availability",
                                    "latency": "write latency"}


def fmt_value(metric: Metric, value: float) -> str:
    if metric == "availability":
        percent = value * 100
        return f"{percent:.0f}%" if percent in (0, 100) or percent >= 10 else f"{percent:.1f}%"
    return "0s" if value <= 0 else format_duration(value)


def bar_style(metric: Metric, value: float) -> str:
    if metric == "lag":
        return lag_level(value)[2]
    if metric == "availability":
        return "green" if value >= 0.999 else "yellow" if value >= 0.9 else "red"
    return "cyan"


def scale_top(metric: Metric, values: Sequence[float | None]) -> float:
    """The top of the y axis: availability 0-100 %; a round duration over the highest (its half is round too)."""
    if metric == "availability":
        return 1.0
    highest = max((v for v in values if v is not None), default=0.0)
    floor = 1.0 if metric == "lag" else 0.001  # a quiet run's lag stays low on a one-second axis
    return next((top for top in ROUND_DURATIONS if top >= max(highest, floor)), max(highest, floor))


def held(values: Sequence[float | None]) -> list[float | None]:
    """A column no sample fell in (the ticks are sparser than the columns) shows the one before it."""
    out: list[float | None] = []
    last: float | None = None
    for value in values:
        last = value if value is not None else last
        out.append(last)
    return out


def time_label(t: float) -> str:
    return "0s" if abs(t) < 1e-9 else format_duration(t)


def ticks(start: float, end: float, width: int, label: Callable[[float], str] = time_label,
          min_gap: int = 9) -> list[tuple[int, str]]:
    """(column, label) of round times between start and end over `width` columns, at least min_gap apart."""
    span = end - start
    if span <= 0 or width <= 1:
        return [(0, label(start))]
    step = next((s for s in NICE_STEPS if s / span * width >= min_gap), NICE_STEPS[-1])
    out = []
    t = math.ceil(start / step - 1e-9) * step
    while t <= end + 1e-9:
        out.append((min(width - 1, round((t - start) / span * (width - 1))), label(t)))
        t += step
    return out


def marker_columns(markers: Sequence[Marker], now: float, width: int,
                   selected: Marker | None = None) -> dict[int, MarkerStyle]:
    """The marker each column shows (the selected anomaly first, then by PRIORITY)."""
    chosen: dict[int, tuple[int, MarkerStyle]] = {}
    for marker in markers:
        column = column_of(marker.at, now, width)
        rank = -1 if marker is selected else PRIORITY.index(marker.kind)
        if column not in chosen or rank < chosen[column][0]:
            chosen[column] = (rank, SELECTED if marker is selected else MARKER_STYLES[marker.kind])
    return {column: style for column, (_, style) in chosen.items()}


def column_of(at: float, now: float, width: int) -> int:
    return 0 if now <= 0 else max(0, min(width - 1, int(at / now * width)))


def draw(metric: Metric, values: Sequence[float | None], markers: dict[int, MarkerStyle], now: float,
         width: int, height: int) -> list[Cells]:
    """The chart in `width` x `height` cells: the marker row, the plot, the axis and its labels."""
    plot_width, plot_height = width - GUTTER, height - 3
    if plot_width < 8 or plot_height < 2:
        return [[("(too small for the chart)", "dim")]]
    shown = held(values[:plot_width])
    top = scale_top(metric, shown)
    rows: list[Cells] = [[(" " * GUTTER, ""), *runs([(markers[c].glyph, markers[c].style) if c in markers else (" ", "")
                                                     for c in range(plot_width)])]]
    eighths = [0 if v is None else round(max(0.0, min(v, top)) / top * plot_height * 8) for v in shown]
    styles = ["" if v is None else bar_style(metric, v) for v in shown]  # once a column, not once a cell
    labels = {0: fmt_value(metric, top), plot_height // 2: fmt_value(metric, top / 2),
              plot_height - 1: fmt_value(metric, 0.0)}
    for row in range(plot_height):
        floor = (plot_height - 1 - row) * 8
        axis = "┤" if row in labels else "│"
        cells: list[tuple[str, str]] = []
        for column in range(plot_width):
            level = eighths[column] - floor
            if level > 0:
                cells.append((EIGHTHS[min(8, level)], styles[column]))
            elif column in markers and markers[column].line != " ":
                cells.append((markers[column].line, markers[column].style))
            elif floor == 0 and shown[column] is not None:  # a figure at (or near) zero: the baseline, not a gap
                cells.append(("▁", styles[column]))
            else:
                cells.append((" ", ""))
        rows.append([(f"{labels.get(row, ''):>{GUTTER - 2}} ", "dim"), (axis, "dim"), *runs(cells)])
    axis_cells = ["─"] * plot_width
    label_cells = [" "] * (plot_width + GUTTER)
    for column, text in ticks(0.0, now, plot_width):
        axis_cells[column] = "┬"
        start = GUTTER + min(column, plot_width - len(text))
        if all(c == " " for c in label_cells[max(0, start - 1):start + len(text) + 1]):
            label_cells[start:start + len(text)] = list(text)
    rows.append([(" " * (GUTTER - 1) + "└" + "".join(axis_cells), "dim")])
    rows.append([("".join(label_cells), "dim")])
    return rows


def runs(cells: Sequence[tuple[str, str]]) -> Cells:
    """Neighbouring cells of one style as one run: a row of the chart is a few Segments, not one per cell."""
    out: Cells = []
    text: list[str] = []
    style = None
    for char, cell_style in cells:
        if cell_style != style and text:
            out.append(("".join(text), style or ""))
            text = []
        style = cell_style
        text.append(char)
    if text:
        out.append(("".join(text), style or ""))
    return out


def legend() -> Cells:
    cells: Cells = []
    for style in (*MARKER_STYLES.values(), SELECTED):
        cells += [((style.glyph + style.line).strip(), style.style), (f" {style.word}  ", "")]
    return cells
