"""Probe writes on real hosts, the pure part: what the ledger counts from writes and their read-back (lost,
RPO, unknown never counted as lost), over generated runs; the history it writes is checked like any other.
The engines' own commands run against real PostgreSQL, Redis and etcd in tests/test_sandbox_integration.py."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from regionctl.backends.ssh.connections import RunResult
from regionctl.backends.ssh.probe_writes import ProbeLedger, ProbeWrite, ProbeWriter
from regionctl.backends.ssh.targets import cluster_plans
from regionctl.consistency.checker import check
from regionctl.consistency.history import from_records
from regionctl.model.topology import Topology

outcomes = st.sampled_from(["ok", "ok", "ok", "fail", "unknown"])


@st.composite
def runs(draw: st.DrawFn) -> tuple[ProbeLedger, set[str]]:
    """A cluster's writes one after another (each start after the last end), and which keys survived."""
    ledger = ProbeLedger()
    t = 0.0
    present: set[str] = set()
    for seq in range(1, draw(st.integers(0, 40)) + 1):
        t += draw(st.floats(0.01, 1.0))
        outcome = draw(outcomes)
        took = draw(st.floats(0.001, 0.5))
        write = ProbeWrite("c", seq, f"p/c/{seq:08d}", "n1", t, None if outcome == "unknown" else t + took, outcome)
        ledger.record(write)
        t += took
        if outcome in ("ok", "unknown") and draw(st.booleans()):
            present.add(write.key)
    ledger.present["c"] = present
    ledger.read_back_at = t + 1.0
    return ledger, present


@settings(max_examples=300, deadline=None)
@given(runs())
def test_lost_writes_are_the_acknowledged_ones_the_survivor_lacks(run: tuple[ProbeLedger, set[str]]) -> None:
    ledger, present = run
    writes = ledger.writes.get("c", [])
    figures = ledger.cluster_figures("c") if writes else None
    if figures is None:
        assert ledger.figures() == {}
        return
    assert figures["writes_attempted"] == len(writes)
    assert figures["writes_acked"] + figures["writes_failed"] + figures["writes_unknown"] == len(writes)
    lost = [w for w in writes if w.outcome == "ok" and w.key not in present]
    assert figures["writes_lost"] == len(lost)  # unknown and failed writes are never lost writes
    if not lost:
        assert figures["rpo_seconds"] == 0.0
    else:
        # From where the histories part (the last survivor acknowledged before the oldest lost write, else
        # that write's start) to the newest lost acknowledgement: never less than the lost writes' own span.
        newest = max(w.end or 0.0 for w in lost)
        oldest = min(w.start for w in lost)
        kept = [w.end or 0.0 for w in writes if w.outcome == "ok" and w.key in present and (w.end or 0.0) <= oldest]
        assert figures["rpo_seconds"] == round(newest - (max(kept) if kept else oldest), 3)
        assert figures["rpo_seconds"] >= round(newest - oldest, 3) > 0.0


@settings(max_examples=200, deadline=None)
@given(runs())
def test_the_history_shows_a_lost_write_to_the_checker(run: tuple[ProbeLedger, set[str]]) -> None:
    ledger, _ = run
    history = from_records(ledger.history())
    result = check(history, "linearizable")
    lost = ledger.lost("c")
    # Each key is written once and read once at the end: a lost acknowledged write is a read of nothing
    # after an acknowledged write, which no linearizable register allows; anything else is linearizable.
    assert (result.verdict == "violated") == bool(lost), (result.verdict, lost)


def test_without_a_read_back_lost_writes_and_rpo_stay_unknown() -> None:
    ledger = ProbeLedger()
    ledger.record(ProbeWrite("c", 1, "p/c/1", "n1", 0.0, 0.1, "ok"))
    assert "writes_lost" not in ledger.figures()
    ledger.read_back_at, ledger.present["c"] = 1.0, None  # no leader to read from
    assert "writes_lost" not in ledger.figures()
    ledger.present["c"] = set()
    assert ledger.figures()["writes_lost"] == 1


TOPOLOGY = Topology.model_validate({
    "name": "t", "kind": "single-region", "regions": [{"name": "r"}],
    "clusters": [{"name": "cache", "engine": "redis-sentinel", "nodes": [
        {"name": "r1", "region": "r", "role": "leader", "host": "h1"},
        {"name": "r2", "region": "r", "host": "h2"}]}]})


def test_the_writer_sorts_answers_into_acked_failed_and_unknown() -> None:
    """Through a fake runner (the real one is SSH: the sandbox test): OK is acknowledged, an error reply or
    no connection failed, a timeout unknown; with no leader nothing is sent."""
    answers = iter([RunResult(True, 0, "OK\n"), RunResult(True, 0, "(error) NOREPLICAS Not enough good replicas\n"),
                    # never sent (the host is gone; the text says "timed out", what counts is that it never ran)
                    RunResult(False, None, error="h1 unreachable: timed out", sent=False),
                    RunResult(True, None, error="h1: timed out after 2 s: redis-cli"),
                    RunResult(False, None, error="h1 connection lost: reset"),
                    RunResult(True, 1, "", "Error: Server closed the connection\n")])
    sent: list[tuple[str, str]] = []
    leader: list[str | None] = ["r1"]

    async def run(node: str, command: str, timeout: float) -> RunResult:
        sent.append((node, command))
        return next(answers)

    writer = ProbeWriter(cluster_plans(TOPOLOGY), run, lambda _c: leader[0], lambda: 1.0, "RUN", 5.0, 2.0)

    async def five_then_none() -> None:
        cp = writer.plans[0]
        for seq in range(1, 7):
            await writer._write_one(cp, seq, {"r1": "r"})
        leader[0] = None
        await writer._write_one(cp, 7, {})

    asyncio.run(five_then_none())
    assert [w.outcome for w in writer.ledger.writes["cache"]] == ["ok", "fail", "fail", "unknown", "unknown",
                                                                  "unknown", "fail"]
    assert [w.end is None for w in writer.ledger.writes["cache"]] == [False, False, False, True, True, True, False]
    assert len(sent) == 6 and all("SET regionctl-probe/RUN/cache/0000000" in c for _, c in sent)
    assert writer.ledger.writes["cache"][6].node is None


def test_engines_without_probe_writes_are_named() -> None:
    topology = Topology.model_validate({
        "name": "t", "kind": "single-region", "regions": [{"name": "r"}],
        "clusters": [{"name": "box", "engine": "generic", "adapter": {"kind": "command", "probe": "true"},
                      "nodes": [{"name": "n1", "region": "r", "role": "leader", "host": "h1"}]}]})

    async def never(node: str, command: str, timeout: float) -> RunResult:
        raise AssertionError("nothing may be sent")

    writer = ProbeWriter(cluster_plans(topology), never, lambda _c: "n1", lambda: 0.0, "RUN", 5.0, 2.0)
    assert writer.plans == [] and writer.unsupported == ["command"]
    assert writer.ledger.notes == ["no probe writes for command (not supported yet)"]


def test_adapters_read_back_and_clean_exactly_the_records_and_say_when_they_cannot() -> None:
    from regionctl.backends.ssh.adapters.base import ParseError, Target
    from regionctl.backends.ssh.adapters.redis import RedisAdapter

    redis, t = RedisAdapter(), Target("r1", "h1", "10.0.0.1", 6379)
    keys = [f"regionctl-probe/RUN/cache/{i:08d}" for i in range(1, 1203)]
    read = redis.probe_read(t, "regionctl-probe/RUN/cache/", keys)
    assert read.count(" MGET ") == 3 and "--scan" not in read  # the known keys, in batches: no keyspace scan
    output = "\n".join("" if i % 3 == 0 else str(i) for i in range(1, 1203)) + "\n"
    present = redis.parse_probe_read(output, "", keys)
    assert len(present) == 1202 - 1202 // 3 and keys[2] not in present and keys[0] in present
    try:
        redis.parse_probe_read("Could not connect to Redis\n", "", keys)
    except ParseError:
        pass
    else:
        raise AssertionError("a connection error must not read as 'nothing survived'")
    cleans = redis.probe_clean(t, "regionctl-probe/RUN/cache/", keys)
    assert len(cleans) == 3 and all(" DEL regionctl-probe/RUN/cache/" in c and "grep -q" in c for c in cleans)
