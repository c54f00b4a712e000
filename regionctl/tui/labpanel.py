"""The lab panel: the step's text, progress, what to do, the check, hints, the explanation.

It renders a LabSession (regionctl.labs.session) and holds no state of its own; each
part is redrawn only when its text changed, so the 4 Hz tick costs little.
"""

from __future__ import annotations

from typing import Any

from rich.markdown import Markdown
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from regionctl.labs.session import DoItem, LabSession
from regionctl.tui.model import dur
from regionctl.tui.widgets import TextPanel


class MarkdownPanel(Static):
    """A Static showing Markdown; `source` is the text as written (tests read it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.source: str | None = None

    def show(self, source: str) -> None:
        if source != self.source:
            self.source = source
            self.update(Markdown(source) if source else "")
            self.display = bool(source)


def _item_line(item: DoItem, running: bool) -> Text:
    if item.done:
        mark, style = "✔", "green"
    elif running:
        mark, style = "▶", "bold yellow"
    else:
        mark, style = "☐", "bold"
    line = Text.assemble(("  " + mark + " ", style), (item.label(), "" if not item.done else "dim"))
    if item.shown:
        line.append("  (shown)", "dim")
    elif not item.done and item.kind == "action":
        line.append("  no key: s shows it", "dim")
    return line


class LabPanel(VerticalScroll):
    def compose(self) -> Any:
        yield TextPanel(id="lab-head")
        yield MarkdownPanel(id="lab-text")
        yield TextPanel(id="lab-do")
        yield TextPanel(id="lab-check")
        yield MarkdownPanel(id="lab-hints")
        yield MarkdownPanel(id="lab-explain")
        yield TextPanel(id="lab-keys")

    def show(self, session: LabSession, showing: set[str] | None) -> None:
        """`showing`: the executor steps "show me" is running (None when it is not running)."""
        state = session.current
        lab = session.compiled.lab
        total = len(session.steps)
        dots = "".join("●" if s.held else "◉" if i == session.index else "○" for i, s in enumerate(session.steps))
        head = Text.assemble((lab.title, "bold"), "\n", (f"step {session.index + 1} of {total}", "bold cyan"),
                             (f" · {state.step.id}  ", "dim"), (dots, "cyan"), (f"  {lab.level}", "dim"))
        self.query_one("#lab-head", TextPanel).show(head)
        self.query_one("#lab-text", MarkdownPanel).show(state.step.text)

        todo = Text()
        if state.items:
            todo.append("You do\n", "bold underline")
            running = showing or set()
            todo.append_text(Text("\n").join(_item_line(item, any(p.id in running for p in item.planned))
                                              for item in state.items))
        self.query_one("#lab-do", TextPanel).show(todo)

        check = Text.assemble(("Check", "bold underline"), "  ")
        expect = state.step.expect or "(nothing to prove: read, then go on)"
        if state.held:
            check.append(f"✔ holds (at t={dur(state.held_at)})", "bold green")
            check.append(f"\n  {expect}", "green")
        else:
            waiting = state.waiting_for
            check.append("○ waiting for you" if waiting is not None else "○ not yet", "bold yellow")
            check.append(f"\n  {expect}", "")
            if state.values:
                check.append(f"\n  now: {state.values}", "dim")
        self.query_one("#lab-check", TextPanel).show(check)

        hints = state.hints()[:state.hints_shown] if not state.held else []  # the explanation takes over
        self.query_one("#lab-hints", MarkdownPanel).show(
            "**Hints**\n\n" + "\n".join(f"{n}. {h}" for n, h in enumerate(hints, 1)) if hints else "")
        explain = state.step.explain if state.held else ""
        if state.held and session.last and session.complete:
            explain += ("\n\n---\n\n**Lab complete.** Your progress is saved: `regionctl lab` lists the labs "
                        "with it. `q` quits.")
        self.query_one("#lab-explain", MarkdownPanel).show(("**Why**\n\n" + explain) if explain else "")

        keys = Text()
        if state.held and not session.last:
            keys.append(" N ", "bold reverse green")
            keys.append(" next step   ", "bold green")
        keys.append("t", "bold cyan")
        keys.append(f" hint ({state.hints_shown}/{len(state.hints())}) · ")
        keys.append("s", "bold cyan")
        keys.append(" show me · ")
        if not session.last and not state.held:
            keys.append("N", "bold cyan")
            keys.append(" next step · ")
        if session.last and state.held:
            keys.append("q", "bold cyan")
            keys.append(" quit · ")
        keys.append("?", "bold cyan")
        keys.append(" all keys")
        self.query_one("#lab-keys", TextPanel).show(keys)
