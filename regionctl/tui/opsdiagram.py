"""An anomaly's operations as a small diagram: one lane per session, each operation an interval from its
invocation to its completion on a shared time axis, labelled with the value written or read and the node
that served it. No Textual (the dialog in historyview.py shows the rows).

    eu-west/orders/1.2  ├─┤  ├─┤                  ├────────────┤
                        w k3=266 @pg-1            r k3=266 @pg-3
                        w k3=268 @pg-1
                        └┬────────┬────────┬────────┬
                        30.6s    31.0s    31.4s    31.8s
"""

from __future__ import annotations

import math

from regionctl.contract.snapshot import AnomalyView, OperationView
from regionctl.tui.chart import Cells, ticks
from regionctl.units import format_duration

OP_STYLE = {"write": "cyan", "read": "green"}
CULPRIT = "bold magenta"  # the operation whose completion made the anomaly visible
MAX_LABEL = 26


def op_label(op: OperationView) -> str:
    """`w k3=268 @pg-1`; `?` marks an unknown outcome, `✗` a failed one, `∅` a read of the initial state."""
    shown = "∅" if op.value is None else str(op.value)
    mark = "" if op.outcome == "ok" else "?" if op.outcome == "unknown" else "✗"
    return f"{op.op[0]} {op.key}={shown}{mark}" + (f" @{op.node}" if op.node else "")


def sessions_of(anomaly: AnomalyView) -> list[str]:
    """The anomaly's own session first, then the others in the order they first acted."""
    order = sorted(anomaly.operations, key=lambda o: o.start)
    names = [anomaly.session] if anomaly.session else []
    names += [o.session for o in order if o.session not in names]
    return [n for n in names if n is not None]


def window(anomaly: AnomalyView) -> tuple[float, float]:
    """The time the diagram spans: every operation, with a margin (an unknown completion runs to the end)."""
    starts = [o.start for o in anomaly.operations]
    ends = [o.end for o in anomaly.operations if o.end is not None]
    first, last = min(starts), max(ends + starts + [anomaly.at])
    margin = max((last - first) * 0.05, 0.005)
    return first - margin, last + margin


def diagram(anomaly: AnomalyView, width: int) -> list[Cells]:
    names = sessions_of(anomaly)
    label_width = min(MAX_LABEL, max(len(n) for n in names)) + 2
    lane = width - label_width
    if lane < 16 or not anomaly.operations:
        return [[("(too narrow for the diagram)", "dim")]]
    start, end = window(anomaly)

    def x(t: float) -> int:
        return max(0, min(lane - 1, round((t - start) / (end - start) * (lane - 1))))

    culprit = max(anomaly.operations, key=lambda o: o.start if o.end is None else o.end)
    rows: list[Cells] = []
    for name in names:
        bars = [(" ", "")] * lane
        labels: list[list[tuple[str, str]]] = [[(" ", "")] * lane]
        for op in sorted((o for o in anomaly.operations if o.session == name), key=lambda o: o.start):
            style = CULPRIT if op is culprit else OP_STYLE.get(op.op, "")
            left = x(op.start)
            right = lane - 1 if op.end is None else max(left, x(op.end))
            for column in range(left, right + 1):
                glyph = "├" if column == left else "┤" if column == right else "─"
                bars[column] = ("│" if left == right else "?" if op.end is None and column == right else glyph, style)
            _place(labels, op_label(op), left, style)
        rows.append([(f"{_cut(name, label_width - 2):<{label_width}}", "bold"), *bars])
        rows.extend([(" " * label_width, ""), *row] for row in labels)
    decimals = _decimals(end - start, lane)
    marks = ticks(start, end, lane, label=lambda t: f"{t:.{decimals}f}s", min_gap=10)
    axis = ["─"] * lane
    text = [" "] * lane
    for column, label in marks:
        axis[column] = "┬"
        at = min(column, lane - len(label))
        if all(c == " " for c in text[max(0, at - 1):at + len(label) + 1]):
            text[at:at + len(label)] = list(label)
    rows.append([(" " * (label_width - 1) + "└" + "".join(axis), "dim")])
    rows.append([(" " * label_width + "".join(text), "dim")])
    return rows


def _place(labels: list[list[tuple[str, str]]], text: str, at: int, style: str) -> None:
    """Write `text` from column `at` in the first label row where it fits (a new row when none has room)."""
    lane = len(labels[0])
    text = text[: max(1, lane - at)]
    for row in labels:
        if all(cell == " " for cell, _ in row[max(0, at - 1):at + len(text) + 1]):
            break
    else:
        row = [(" ", "")] * lane
        labels.append(row)
    for offset, char in enumerate(text):
        row[at + offset] = (char, style)


def _cut(name: str, width: int) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]


def _decimals(span: float, lane: int) -> int:
    """Enough decimals for the axis's steps (a second-long window needs tenths or hundredths)."""
    step = span / max(1, lane // 10)
    return max(0, min(3, -math.floor(math.log10(step)) if step > 0 else 0))


def operation_lines(anomaly: AnomalyView) -> list[str]:
    """Each operation in words, as the history file has it (the diagram's figures, exactly)."""
    out = []
    for op in sorted(anomaly.operations, key=lambda o: o.start):
        value = "∅" if op.value is None else op.value
        done = "? (unknown)" if op.end is None else f"{op.end:.3f}s ({format_duration(op.end - op.start)})"
        out.append(f"#{op.index} {op.session} {op.op} {op.key}={value} {op.outcome} @{op.node or '-'} "
                   f"{op.start:.3f}s → {done}")
    return out
