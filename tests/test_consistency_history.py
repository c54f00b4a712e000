"""The history format at the edge: any line either parses or is a HistoryError naming FILE:LINE."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.consistency.history import (
    Fault,
    History,
    HistoryError,
    Operation,
    format_lines,
    from_records,
    parse_lines,
)

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=8)
FIELDS = ["op", "key", "value", "session", "start", "end", "outcome", "node", "cluster", "region", "format", "version"]
records = st.dictionaries(st.sampled_from(FIELDS), st.one_of(
    json_values, st.sampled_from(["write", "read", "ok", "fail", "unknown", "regionctl-history", 1, 0.5, "k1"])),
    max_size=10)


@settings(max_examples=300, deadline=None)
@given(st.lists(records | json_values, min_size=1, max_size=4))
def test_any_json_lines_parse_or_fail_with_their_line(lines: list[Any]) -> None:
    text = [json.dumps(line) for line in lines]
    try:
        history = parse_lines(text, "h.jsonl")
    except HistoryError as exc:
        assert str(exc).startswith("h.jsonl:")
        number = int(str(exc).split(":")[1])
        assert 1 <= number <= len(lines)
        return
    assert all(isinstance(o, Operation) for o in history.operations)


operations = st.builds(
    lambda i, kind, value, start, length, outcome, session: Operation(
        i, kind, "k", value if kind == "write" else (value if outcome == "ok" else None), session, start,
        None if outcome == "unknown" else start + length, outcome),
    st.just(0), st.sampled_from(["write", "read"]), st.integers(1, 10**12), st.floats(0, 1e6),
    st.floats(0, 100), st.sampled_from(["ok", "fail", "unknown"]), st.sampled_from(["a", "b/c"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(operations, max_size=8))
def test_histories_round_trip_through_their_lines(ops: list[Operation]) -> None:
    seen: set[int | None] = set()
    unique = []
    for i, o in enumerate(ops):
        if o.op == "write" and o.value in seen:
            continue
        seen.add(o.value if o.op == "write" else None)
        unique.append(Operation(i, o.op, o.key, o.value, o.session, o.start, o.end, o.outcome))
    history = History(tuple(Operation(i, o.op, o.key, o.value, o.session, o.start, o.end, o.outcome)
                            for i, o in enumerate(unique)), (Fault("node:a", 1.0, None),), {"seed": 3})
    back = parse_lines(list(format_lines(history)))
    assert back.operations == history.operations and back.faults == history.faults and back.meta == {"seed": 3}


def test_records_from_the_simulator_shape() -> None:
    record = {"op": "write", "key": "k1", "value": 3, "session": "eu-west/orders/1.0", "start": 1.5, "end": 1.6,
              "outcome": "ok", "node": "pg-1", "cluster": "orders", "region": "eu-west"}
    (op,) = from_records([record]).operations
    assert op.object == ("orders", "k1") and op.label() == "w(k1)=3" and op.to_record() == record
