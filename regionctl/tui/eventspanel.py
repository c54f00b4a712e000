"""The events panel: the incidents pinned on top (when the fault began, who leads now, the heal),
the event log below it, filtered by cluster and severity, following the latest line unless the
operator scrolled back to read. What is an incident and what a filter keeps: regionctl.tui.incidents.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import RichLog

from regionctl.contract.snapshot import EventView
from regionctl.tui.incidents import Incidents, LogFilter, LogLine, from_event
from regionctl.tui.widgets import TextPanel

MAX_PINNED = 6


class EventsPanel(Vertical):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.incidents = Incidents()
        self.moved = False  # a line was written, or the panel shown again, since the log last followed

    def on_mount(self) -> None:
        self.border_subtitle = "e cluster · w severity · l scroll"

    def compose(self) -> ComposeResult:
        yield TextPanel(id="incidents")
        yield EventLog(id="event-log")

    @property
    def log_(self) -> EventLog:
        return self.query_one("#event-log", EventLog)

    def add(self, events: list[EventView]) -> None:
        """The backend's new events: into the log, and the incidents among them pinned."""
        log = self.log_
        pinned = False
        for event in events:
            line = from_event(event)
            pinned = self.incidents.add(line) or pinned
            log.add(line)
        if pinned or self.moved:
            self.show_incidents()
        if events or self.moved:
            # The latest event in view, unless the operator scrolled back to read (End follows again).
            self.moved = False
            if log.following:
                self.call_after_refresh(log.scroll_end, animate=False)

    def add_lines(self, lines: list[LogLine]) -> None:
        """Lines already judged (the replay's events and command answers, in time order)."""
        log = self.log_
        for line in lines:
            self.incidents.add(line)
            log.add(line)
        self.moved = True
        self.show_incidents()
        if log.following:
            self.call_after_refresh(log.scroll_end, animate=False)

    def reset(self, lines: list[LogLine]) -> None:
        """Start over with these lines (the replay went to another moment)."""
        self.incidents = Incidents()
        log = self.log_
        log.history.clear()
        log.clear()
        log.following = True
        self.add_lines(lines)

    def note(self, line: LogLine) -> None:
        self.log_.add(line)
        self.moved = True

    def room(self) -> int:
        """Pinned lines: a third of the panel's height (the log keeps the rest), one at least."""
        height = self.content_region.height
        return max(1, min(MAX_PINNED, height // 3)) if height else 2

    def show_incidents(self) -> None:
        lines = self.incidents.pinned(self.room(), self.log_.filter.cluster)
        widget = self.query_one("#incidents", TextPanel)
        widget.display = bool(lines)
        text = Text("\n").join(line.pinned_text() for line in lines)
        text.no_wrap, text.overflow = True, "ellipsis"  # one line each: the start of a line says what
        widget.show(text)

    def on_resize(self, event: Resize) -> None:
        self.show_incidents()

    def set_filter(self, log_filter: LogFilter) -> None:
        self.log_.set_filter(log_filter)
        self.border_title = log_filter.label()
        self.show_incidents()  # the pinned lines follow the cluster filter too (not the severity one)

    def cycle_cluster(self, clusters: list[str]) -> None:
        self.set_filter(self.log_.filter.next_cluster(clusters))

    def cycle_severity(self) -> None:
        self.set_filter(self.log_.filter.next_severity())


class EventLog(RichLog):
    """The event log: lines wrap at the log's width, and wrap again when that width changes
    (a RichLog wraps each line once, when it is written: after a resize old lines would be cut).

    It keeps every line and shows those its filter lets through (a new filter rewrites it); it
    follows the latest line unless the operator has scrolled back (End follows again)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_lines=500, markup=False, wrap=True, auto_scroll=False, **kwargs)  # type: ignore[arg-type]
        self.history: deque[LogLine] = deque(maxlen=500)
        self._wrapped_at = 0
        self.filter = LogFilter()
        self.following = True  # at the latest line: new lines keep it there

    def add(self, line: LogLine) -> None:
        self.history.append(line)
        if self.filter.shows(line):
            # At the log's own width (not the console's, which a resize may leave behind).
            width = self._wrapped_at
            self.write(line.wrapped(width) if width else line.text(), width=width or None, scroll_end=False)

    def set_filter(self, log_filter: LogFilter) -> None:
        self.filter = log_filter
        self._rewrite(self._wrapped_at)
        self.following = True
        self.scroll_end(animate=False, immediate=False)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        # Only a scroll moves this (new lines raise max_scroll_y, not scroll_y): back from the end stops
        # following, back at the end follows again.
        self.following = new >= self.max_scroll_y

    def on_resize(self, event: Resize) -> None:
        # At the width the layout settles on (RichLog first writes what waited for a size at the console's).
        self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        width = self.scrollable_content_region.width
        if not width or width == self._wrapped_at:
            return
        self._wrapped_at = width
        self._rewrite(width)
        if self.following:
            self.scroll_end(animate=False, immediate=False)

    def _rewrite(self, width: int) -> None:
        following = self.following
        self.clear()
        for line in self.history:
            if self.filter.shows(line):
                self.write(line.wrapped(width) if width else line.text(), width=width or None, scroll_end=False)
        self.following = following

    @property
    def plain_lines(self) -> list[str]:
        """Every line written, unwrapped and unfiltered (tests read it)."""
        return [line.text().plain for line in self.history]
