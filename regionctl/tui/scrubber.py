"""The replay's time scrubber: a bar from t=0 to the session's end, the current position on it, a mark
for each command (faults injected ⚡, healed ✔, others ◆) and a tick for each event the simulation
logged; below it what the position is and what [ and ] step to. Rendering only (Rich text), no widgets.
"""

from __future__ import annotations

from rich.text import Text

from regionctl.replay.replayer import Mark, Position, Replayer
from regionctl.units import format_duration

COMMAND_MARK = {"inject": ("↯", "bold red"), "heal": ("✔", "green"), "heal-all": ("✔", "green")}


def _column(t: float, end: float, width: int) -> int:
    return 0 if end <= 0 else min(width - 1, int(t / end * (width - 1) + 0.5))


def bar(replayer: Replayer, position: Position, width: int) -> Text:
    """One line: ├───↯──·──◆───●──✔───┤ (events as ·, commands by kind, ● the position)."""
    width = max(10, width)
    inner = width - 2
    cells: list[tuple[str, str]] = [("─", "dim")] * inner
    end = replayer.end
    for mark in replayer.events:
        cells[_column(mark.at.t, end, inner)] = ("·", "yellow")
    for mark in replayer.commands:
        entry = replayer.entries[mark.at.applied - 1]
        cells[_column(mark.at.t, end, inner)] = COMMAND_MARK.get(entry.do, ("◆", "bold cyan"))
    if not replayer.indexed:  # not simulated yet: the part of the bar the index has not reached
        for i in range(_column(replayer.indexed_until, end, inner) + 1, inner):
            if cells[i][0] == "─":
                cells[i] = ("┄", "dim")
    cells[_column(position.t, end, inner)] = ("●", "bold reverse")
    text = Text("├", "dim")
    for char, style in cells:
        text.append(char, style)
    text.append("┤", "dim")
    return text


def status_line(replayer: Replayer, position: Position, *, playing: bool, speed: float) -> Text:
    performed = position.applied
    total = len(replayer.entries)
    text = Text.assemble(("▶ playing" if playing else "⏸ replay", "bold green" if playing else "bold yellow"),
                         f" t={format_duration(position.t)} of {format_duration(replayer.end)}",
                         f" ×{speed:g}" if playing else "",
                         f" · {performed} of {total} command(s) performed")
    if not replayer.indexed:
        share = replayer.indexed_until / replayer.end if replayer.end else 1.0
        text.append(f" · indexing {share:.0%}", "dim")
    if replayer.divergences:
        text.append(f" · ✘ {len(replayer.divergences)} command(s) answered otherwise than live", "bold red")
    return text


def _describe(mark: Mark | None, arrow: str) -> Text:
    if mark is None:
        return Text(f"{arrow} (none)", "dim")
    return Text.assemble((f"{arrow} ", "bold"), (f"t={format_duration(mark.at.t)} ", "bold"),
                         (mark.text, "cyan" if mark.kind == "command" else ""))


def steps_line(replayer: Replayer, position: Position, width: int) -> Text:
    """What [ and ] would step to."""
    half = max(10, (width - 3) // 2)
    back = _describe(replayer.previous_mark(position), "[")
    ahead = _describe(replayer.next_mark(position), "]")
    for part in (back, ahead):
        part.truncate(half, overflow="ellipsis")
    return Text.assemble(back, " " * max(1, half - back.cell_len + 3), ahead)


def scrubber_text(replayer: Replayer, position: Position, width: int, *, playing: bool, speed: float) -> Text:
    lines = [status_line(replayer, position, playing=playing, speed=speed), bar(replayer, position, width),
             steps_line(replayer, position, width)]
    for line in lines:
        line.no_wrap, line.overflow = True, "ellipsis"
    return Text("\n").join(lines)


def session_lines(replayer: Replayer, position: Position, room: int) -> Text:
    """The session panel: its commands, the last performed marked ▶, those still to come dimmed."""
    entries = replayer.entries
    if not entries:
        return Text("no commands in this session: the simulation ran on its own", "dim")
    current = position.applied - 1
    first = max(0, min(current - room // 2, len(entries) - room))
    text = Text()
    for i, entry in enumerate(entries[first:first + max(1, room)], start=first):
        mark = "▶ " if i == current else "  "
        style = "bold" if i == current else "dim" if i > current else ""
        if not entry.ok:
            style += " red"
        if text:
            text.append("\n")
        text.append(f"{mark}t={format_duration(entry.t):>7} {entry.label()}", style.strip())
    return text
