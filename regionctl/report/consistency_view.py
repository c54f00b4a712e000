"""Human summary of consistency checks (rich), from their JSON form (`CheckResult.to_json()`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

_BADGE = {"ok": (" OK ", "bold black on green"), "violated": (" VIOLATED ", "bold white on red"),
          "unknown": (" UNKNOWN ", "bold black on yellow")}


def _relative(rel: dict[str, Any] | None) -> str:
    if rel is None:
        return ""
    seconds = rel["seconds"]
    healed = ", healed" if rel["healed"] else ""
    return f" ({abs(seconds):.3f}s {'after' if seconds >= 0 else 'before'} {rel['fault']}{healed})"


def _op(o: dict[str, Any]) -> Text:
    value = "∅" if o["value"] is None else str(o["value"])
    mark = {"ok": "", "unknown": "?", "fail": "✗"}[o["outcome"]]
    end = "?" if o["end"] is None else f"{o['end']:.3f}"
    node = f" @{o['node']}" if o.get("node") else ""
    return Text.assemble((f"{o['op'][0]}({o['key']})={value}{mark}", "bold"),
                         f" {o['session']}{node} [{o['start']:.3f}, {end}]", (_relative(o.get("relative")), "dim"))


def render_anomaly(number: int, a: dict[str, Any]) -> RenderableType:
    where = a["key"] if not a["cluster"] else f"{a['cluster']}/{a['key']}"
    head = Text.assemble((f"#{number} ", "bold"), f"t={a['at']:.3f}s", (_relative(a.get("relative")), "cyan"),
                         "  ", (a["kind"], "bold red"), f"  {where}")
    lines: list[RenderableType] = [head, Padding(Text(a["explanation"]), (0, 0, 0, 4), expand=False)]
    lines.extend(Padding(_op(o), (0, 0, 0, 4), expand=False) for o in a["operations"])
    return Group(*lines)


def render_check(result: dict[str, Any], limit: int = 20) -> Group:
    label, style = _BADGE[result["verdict"]]
    cost = ""
    if result["budget"] is not None:
        cost = (f" · search {result['steps']:,} steps, at most {result['budget_used']:,} of "
                f"{result['budget']:,} on one key")
    head = Text.assemble((label, style), ("  " + result["model"], "bold"),
                         f"  {result['ops_checked']:,} operations · {result['objects']} keys · "
                         f"{result['sessions']} sessions{cost}")
    parts: list[RenderableType] = [head]
    found = result["anomalies_found"]
    if found:
        shown = min(limit, len(result["anomalies"]))
        more = f", the first {shown} shown" if found > shown else ""
        parts.append(Text(f"{found:,} anomal{'y' if found == 1 else 'ies'}{more}" + (":" if shown else "")))
    for number, anomaly in enumerate(result["anomalies"][:limit], start=1):
        parts.append(render_anomaly(number, anomaly))
    if result["unknown"]:
        parts.append(Text(f"the search budget ran out on {', '.join(result['unknown'])}: no answer there "
                          "(raise --budget)", style="yellow"))
    parts.extend(Text(note, style="dim") for note in result["notes"])
    return Group(*parts)


def render_consistency(results: Sequence[dict[str, Any]], limit: int = 20) -> Group:
    """The `consistency` section: one block per model checked."""
    return Group(*(render_check(r, limit) for r in results))
