"""The dashboard's panels. Each takes derived data and redraws only what changed:
tables by keyed cell diffs, text panels only when their text differs, and the
topology map on the line API (one Strip per line, no widget per node).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable, Footer, Static
from textual.widgets._footer import FooterKey
from textual.widgets.data_table import ColumnKey

from regionctl.contract.snapshot import Snapshot
from regionctl.tui.model import HEALTH, REGION, ROLE, Link, dur

Cell = tuple[str, str]  # (text, style): compared cheaply before any Rich object is built


class KeyedTable(DataTable[Text]):
    """A DataTable fed whole rows by key; only cells whose (text, style) changed are updated.

    With `wrap`, a cell longer than its column wraps onto more lines instead of being cut; with
    `stretch`, that column takes the width the others leave (so the table fits its panel).
    """

    MIN_STRETCH = 12

    def __init__(self, columns: Sequence[tuple[str, int]], *, wrap: bool = False, stretch: str | None = None,
                 **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._columns = columns
        self._widths = dict(columns)
        self._rows: dict[str, tuple[Cell, ...]] = {}
        self._wrap = wrap
        self._stretch = stretch

    def _tall(self, cells: tuple[Cell, ...]) -> tuple[bool, ...]:
        return tuple(len(text) > self._widths[label] for (text, _), (label, _) in zip(cells, self._columns,
                                                                                      strict=True))

    def on_mount(self) -> None:
        for label, width in self._columns:
            self.add_column(label, width=width, key=label)

    def on_resize(self) -> None:
        if self._stretch is None or not self.size.width:
            return
        others = sum(w + 2 for label, w in self._columns if label != self._stretch)
        width = max(self.MIN_STRETCH, self.scrollable_content_region.width - others - 2)
        if width == self._widths[self._stretch]:
            return
        self._widths[self._stretch] = width
        self.columns[ColumnKey(self._stretch)].width = width
        rows, self._rows = self._rows, {}
        self.sync(rows)  # rebuilt: row heights follow the new width

    def sync(self, rows: dict[str, tuple[Cell, ...]]) -> int:
        """Bring the table to `rows` (ordered); returns how many cells were touched."""
        touched = 0
        # A row's height is measured when it is added: a change to a cell that wraps (or did) rebuilds.
        reshaped = self._wrap and any(cells != self._rows[key] and any(self._tall(cells) + self._tall(self._rows[key]))
                                      for key, cells in rows.items() if key in self._rows)
        if list(rows) != list(self._rows) or reshaped:
            # Membership or order changed (a new topology, a node set change), or a row's height: rare, rebuild.
            self.clear()
            for key, cells in rows.items():
                self.add_row(*(Text(t, style=s) for t, s in cells), key=key,
                             height=None if self._wrap and any(self._tall(cells)) else 1)
            touched = sum(len(c) for c in rows.values())
        else:
            for key, cells in rows.items():
                old = self._rows[key]
                for (label, _), new, was in zip(self._columns, cells, old, strict=True):
                    if new != was:
                        self.update_cell(key, label, Text(new[0], style=new[1]))
                        touched += 1
        self._rows = dict(rows)
        return touched


class LineTable(ScrollView):
    """A keyed table on the line API, for tables that grow with the estate (one row per node).

    A row's Strip is rebuilt only when one of its cells changed, and render_line hands out
    cached Strips, so a 4 Hz refresh of a hundred rows costs the changed rows only (a
    DataTable re-renders every visible row after any cell update). The header stays on top.
    """

    def __init__(self, columns: Sequence[tuple[str, int]], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._columns = columns
        self._width = sum(width + 2 for _, width in columns)
        self._bounds = [sum(w + 2 for _, w in columns[:i + 1]) for i in range(len(columns))]
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._strips: dict[str, Strip] = {}
        self._order: list[str] = []
        self._header = self._strip(tuple((label, "bold") for label, _ in columns))

    def _strip(self, cells: tuple[Cell, ...]) -> Strip:
        segments: list[Segment] = []
        for (text, style), (_, width) in zip(cells, self._columns, strict=True):
            segments.append(Segment(" " + text[:width].ljust(width) + " ", style_of(style)))
        return Strip(segments, self._width)

    def sync(self, rows: dict[str, tuple[Cell, ...]]) -> int:
        touched = 0
        for key, cells in rows.items():
            if self._cells.get(key) != cells:
                self._strips[key] = self._strip(cells)
                touched += 1
        for key in set(self._cells) - set(rows):
            del self._strips[key]
        self._cells = dict(rows)
        if list(rows) != self._order:
            self._order = list(rows)
            self.virtual_size = Size(self._width, len(self._order) + 1)
        if touched:
            self.refresh()
        return touched

    def get_cell(self, row: str, column: str) -> str:
        index = next(i for i, (label, _) in enumerate(self._columns) if label == column)
        return self._cells[row][index][0]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            strip = self._header
        else:
            index = y - 1 + scroll_y
            strip = self._strips[self._order[index]] if index < len(self._order) else Strip.blank(self._width)
        if scroll_x == 0 and width < self._width:
            # Too narrow for every column: show the columns that fit whole, never half a figure.
            end = max((b for b in self._bounds if b <= width), default=width)
            return strip.crop_extend(0, end, None).extend_cell_length(width)
        return strip.crop_extend(scroll_x, scroll_x + width, None)


class TextPanel(Static):
    """A Static that re-renders only when its text changes."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._last: tuple[str, tuple[object, ...]] | None = None

    def show(self, text: Text) -> None:
        key = (text.plain, tuple((s.start, s.end, str(s.style)) for s in text.spans))
        if key != self._last:
            self._last = key
            self.update(text)


def style_of(name: str) -> Style:
    return Style.parse(name) if name else Style()


class TopologyMap(ScrollView):
    """Regions side by side with their nodes, then the links between regions.

    Line API: the map is a list of Strips rebuilt per snapshot (only when its input
    changed), and render_line hands out one line, so 100 nodes cost 100 segments,
    not 100 widgets.
    """

    COLUMN = 34
    MAX_HEIGHT = 14

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lines: list[Strip] = []
        self._key: tuple[object, ...] | None = None
        self._input: tuple[Snapshot, list[Link]] | None = None

    def show(self, snapshot: Snapshot, links: list[Link]) -> None:
        self._input = (snapshot, links)
        self._rebuild()

    def _rebuild(self) -> None:
        if self._input is None:
            return
        snapshot, links = self._input
        width = max(self.size.width, self.COLUMN)
        key = (width, tuple((r.name, r.status) for r in snapshot.regions),
               tuple((n.name, n.role, n.health, n.term) for c in snapshot.clusters for n in c.nodes), tuple(links))
        if key == self._key:
            return
        self._key = key
        self._lines = self._layout(snapshot, links, width)
        self.virtual_size = Size(width, len(self._lines))
        self.styles.height = min(len(self._lines) + 2, self.MAX_HEIGHT)  # + the border
        self.refresh()

    def _layout(self, snapshot: Snapshot, links: list[Link], width: int) -> list[Strip]:
        per_band = max(1, min(len(snapshot.regions), width // self.COLUMN))
        col = max(self.COLUMN, width // per_band)
        nodes_by_region: dict[str, list[list[Segment]]] = {r.name: [] for r in snapshot.regions}
        for cluster in snapshot.clusters:
            for node in cluster.nodes:
                hsym, hword, hstyle = HEALTH.get(node.health, ("?", node.health, ""))
                role = ROLE.get(node.role, "?")
                bold = "bold " if node.role == "leader" else ""
                nodes_by_region.setdefault(node.region, []).append([
                    Segment(f" {role} ", style_of(bold + ("yellow" if node.role == "leader" else ""))),
                    Segment(f"{node.name:<11.11}", style_of(bold)),
                    Segment(f"{cluster.name:<9.9}", style_of("dim")),
                    Segment(f"t{node.term:<3}", style_of("dim")),
                    Segment(f"{hsym} {hword}", style_of(hstyle)),
                ])
        lines: list[Strip] = []
        regions = list(snapshot.regions)
        for start in range(0, len(regions), per_band):
            band = regions[start:start + per_band]
            height = max(len(nodes_by_region.get(r.name, [])) for r in band)
            for row in range(-1, height):
                segments: list[Segment] = []
                for region in band:
                    if row < 0:
                        sym, style = REGION.get(region.status, ("?", ""))
                        cell = [Segment(f"{sym} {region.name} ", style_of("bold " + style)),
                                Segment(region.status, style_of(style))]
                    else:
                        members = nodes_by_region.get(region.name, [])
                        cell = members[row] if row < len(members) else []
                    segments.extend(Strip(cell).adjust_cell_length(col))
                lines.append(Strip(segments))
            lines.append(Strip([]))
        link_cells = []
        for link in links:
            sym, style = {"ok": ("⇄", "green"), "slow": ("⇄", "yellow"), "lossy": ("⇢", "yellow"),
                          "partitioned": ("✘", "red"), "one-way": ("→", "red"),
                          "down": ("✘", "red")}.get(link.state, ("?", ""))
            text = f" {link.a} {sym} {link.b} {dur(link.rtt)} "
            state = link.state if not link.detail else f"{link.state}: {link.detail}"
            link_cells.append([Segment(text, style_of(style)), Segment(state, style_of("dim" if link.state == "ok"
                                                                                           else style))])
        # In columns while the links fit them; a longer one (a partition's detail) takes the room it needs,
        # on a line of its own if need be: a link's state is never cut.
        link_col = max(self.COLUMN + 14, col)
        segments = []
        used = 0
        for cell in link_cells:
            need = Strip(cell).cell_length + 1
            span = max(link_col, -(-need // link_col) * link_col) if need > link_col else link_col
            if segments and used + span > width:
                lines.append(Strip(segments))
                segments, used = [], 0
            segments.extend(Strip(cell).adjust_cell_length(span))
            used += span
        if segments:
            lines.append(Strip(segments))
        return lines

    def render_line(self, y: int) -> Strip:
        if self._input is not None and self._key is not None and self._key[0] != max(self.size.width, self.COLUMN):
            self._rebuild()  # laid out before the widget knew its width, or resized since
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        if index >= len(self._lines):
            return Strip.blank(self.size.width)
        return self._lines[index].crop_extend(scroll_x, scroll_x + self.size.width, None)

    @property
    def plain_lines(self) -> list[str]:
        """The map as text (tests and the tmux check read it)."""
        return [strip.text for strip in self._lines]


class KeysFooter(Footer):
    """Textual's footer, recomposed only when the keys it would show change, with only the keys that fit.

    The stock footer rebuilds its ~25 key widgets whenever its screen's bindings are updated, which
    includes a dialog opening over the dashboard (focus leaves the dashboard) and closing: about half of
    `f`'s cost at 200 columns, to redraw the same keys dimmed behind the picker. And it cuts the keys that
    do not fit mid-word (`r ▏` at 80 columns): here those are left out whole (the help screen, `?`,
    lists every key), and the command palette's stays at the right."""

    _shown: tuple[tuple[str, str, bool, str], ...] | None = None

    def _keys(self) -> tuple[tuple[str, str, bool, str], ...]:
        return tuple((binding.key, binding.description, enabled, tooltip)
                     for (_, binding, enabled, tooltip) in self.screen.active_bindings.values() if binding.show)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys()
        widgets = list(super().compose())
        self._fit([w for w in widgets if isinstance(w, FooterKey)], self.size.width or self.app.size.width)
        yield from widgets

    def on_resize(self) -> None:
        self._fit(list(self.query(FooterKey)), self.size.width)

    def _fit(self, keys: list[FooterKey], width: int) -> None:
        """Show the keys that fit whole; hiding keys (not recomposing) leaves every other panel be."""
        if not keys or width <= 0:
            return
        labels = [(k.key_display, k.description, k.has_class("-command-palette")) for k in keys]
        for key, shown in zip(keys, keys_shown(labels, width), strict=True):
            if key.display != shown:
                key.display = shown

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self._shown is not None and self.is_attached and screen is self.screen and self._keys() == self._shown:
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)


Label = tuple[str, str, bool]  # a footer key's (key shown, description, is the command palette's)
ALWAYS = ("?", "q")  # help (which lists every key) and quit: shown at any width, wherever they come


def keys_shown(labels: Sequence[Label], width: int) -> list[bool]:
    """Which keys fit `width` whole: the command palette's, help and quit always, then the others in order
    until one does not fit (a key takes its key, its description and three cells of padding)."""
    always = [palette or key in ALWAYS for key, _, palette in labels]
    pairs = list(zip(labels, always, strict=True))
    budget = width - sum(len(key) + len(text) + 3 for (key, text, _), fixed in pairs if fixed)
    out = []
    for (key, text, _), fixed in pairs:
        if not fixed:
            budget -= len(key) + len(text) + 3  # never back above 0: after the first that does not fit, none
        out.append(fixed or budget >= 0)
    return out
