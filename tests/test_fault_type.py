"""The typed Fault: parsed once at the edge, canonical identity, carried as is to the report."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from regionctl.analysis.blast import predict_blast
from regionctl.backends.sim_backend import SimBackend
from regionctl.contract.commands import HealFault, InjectFault
from regionctl.contract.faults import FAULT_KINDS, Fault, FaultKind, FaultSpecError, parse_fault
from regionctl.runbook.journal import command_from_json, command_to_json
from regionctl.sim.simulator import Simulation
from tests.simhelpers import bundled

SPECS = ["node:pg-1", "region:us-east", "zone:us-east/a", "partition:us-east|eu-west", "partition:eu-west>us-east",
         "latency:us-east|eu-west=300ms", "slow:pg-2=10x", "clock:pg-2=+2s", "clock:pg-2=-500ms",
         "loss:us-east|eu-west=5%", "loss:us-east|eu-west=0.5%", "pause:pg-2"]


@pytest.mark.parametrize("spec", SPECS)
def test_the_spec_round_trips(spec: str) -> None:
    fault = parse_fault(spec)
    assert isinstance(fault.kind, FaultKind)
    assert fault.spec == spec
    assert parse_fault(fault.spec) == fault


def test_every_kind_has_an_example() -> None:
    assert sorted({parse_fault(s).kind.value for s in SPECS}) == sorted(FAULT_KINDS)


def test_symmetric_pairs_are_one_fault_and_keep_the_order_given_for_display() -> None:
    ab, ba = parse_fault("partition:us-east|eu-west"), parse_fault("partition:eu-west|us-east")
    assert ab == ba and hash(ab) == hash(ba) and len({ab, ba}) == 1
    assert ab.spec == "partition:us-east|eu-west" and ba.spec == "partition:eu-west|us-east"
    assert parse_fault("latency:a|b=300ms") == parse_fault("latency:b|a=0.3s")
    assert parse_fault("latency:a|b=300ms") != parse_fault("latency:a|b=301ms")
    # One way is one way; and a one-way cut is not the two-way cut.
    assert parse_fault("partition:a>b") != parse_fault("partition:b>a")
    assert parse_fault("partition:a>b") != parse_fault("partition:a|b")
    assert parse_fault("clock:n=+2s") == parse_fault("clock:n=+2000ms")
    assert Fault(FaultKind.NODE, "a") != Fault(FaultKind.REGION, "a")


def test_the_fault_is_frozen() -> None:
    fault = parse_fault("region:us-east")
    with pytest.raises(AttributeError):
        fault.a = "eu-west"  # type: ignore[misc]


@pytest.mark.asyncio
async def test_a_partition_heals_whichever_way_round_it_is_written() -> None:
    # The bug: injected as us-east|eu-west, healing eu-west|us-east answered "no active fault".
    backend = SimBackend(bundled("active-passive"))
    await backend.advance(10)
    assert (await backend.apply(InjectFault(parse_fault("partition:us-east|eu-west")))).ok
    await backend.advance(5)
    healed = await backend.apply(HealFault(parse_fault("partition:eu-west|us-east")))
    assert healed.ok, healed.message
    assert healed.message == "healed partition:us-east|eu-west"
    assert not [f for f in backend.snapshot().faults if f.healed_at is None]
    # A one-way cut is healed only by its own direction.
    assert (await backend.apply(InjectFault(parse_fault("partition:us-east>eu-west")))).ok
    assert not (await backend.apply(HealFault(parse_fault("partition:eu-west>us-east")))).ok


@pytest.mark.asyncio
async def test_the_snapshot_carries_the_typed_fault() -> None:
    backend = SimBackend(bundled("active-passive"))
    fault = parse_fault("latency:eu-west|us-east=300ms")
    assert (await backend.apply(InjectFault(fault))).ok
    (view,) = backend.snapshot().faults
    assert view.fault == fault and view.spec == "latency:eu-west|us-east=300ms"
    assert view.to_json() == {"spec": "latency:eu-west|us-east=300ms", "at": 0.0, "healed_at": None}


@pytest.mark.parametrize("spec", SPECS)
def test_the_journal_keeps_the_spec(spec: str) -> None:
    for command in (InjectFault(parse_fault(spec)), HealFault(parse_fault(spec))):
        data = command_to_json(command)
        assert data == {"type": type(command).__name__, "spec": spec}
        assert command_from_json(data) == command


def test_blast_on_a_running_active_active_simulation() -> None:
    # The leaderless cluster once keyed its books by id(), which a fork's deep copy does not remap:
    # this raised KeyError (the fault picker showed "prediction failed: 140412954659136").
    sim = Simulation(bundled("active-active"), seed=3)
    sim.run_until(45.0)
    before = sim.metrics()
    node = sim.topology.clusters[0].nodes[0].name
    for spec in ("region:us-east", "partition:us-east|eu-west", f"node:{node}"):
        result = predict_blast(sim, [parse_fault(spec)], horizon=120.0)
        assert result["faults"] == [spec]
        assert result["blast_radius"]["nodes"]
    assert sim.metrics() == before and sim.now == 45.0
    sim.run_until(90.0)  # the original goes on unharmed


# Where code may branch on a fault's kind: the fault type, the simulator and the SSH backend
# (docs/extending.md lists the places a new kind touches). Everything else asks Fault.info.
KIND_AWARE = ("regionctl/contract/faults.py", "regionctl/sim/", "regionctl/backends/ssh/")


def _branches_on_fault_kind(node: ast.AST) -> bool:
    if not isinstance(node, ast.Compare):
        return False
    operands = [node.left, *node.comparators]
    if not any((isinstance(o, ast.Attribute) and o.attr == "kind") or
               (isinstance(o, ast.Call) and isinstance(o.func, ast.Name) and o.func.id == "str") for o in operands):
        return False
    for operand in operands:
        for leaf in ast.walk(operand):
            if isinstance(leaf, ast.Constant) and leaf.value in FAULT_KINDS:
                return True
            if isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name) and leaf.value.id == "FaultKind":
                return True
    return False


def test_only_the_fault_type_the_simulator_and_ssh_branch_on_a_fault_kind() -> None:
    root = Path(__file__).resolve().parent.parent
    found = []
    for path in sorted((root / "regionctl").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name.startswith(KIND_AWARE):
            continue
        for node in ast.walk(ast.parse(path.read_text(), name)):
            if _branches_on_fault_kind(node):
                found.append(f"{name}:{node.lineno}")  # type: ignore[attr-defined]
    assert found == [], "branch on Fault.info (targets, value, effect) instead: " + ", ".join(found)


def test_a_fork_copies_plain_data_only() -> None:
    # No closure in the event heap (a deep copy cannot rebind one) and no books keyed by id().
    import inspect

    from regionctl.sim import operator

    sim = Simulation(bundled("active-passive"), seed=2)
    sim.run_until(20.0)
    sim.inject(parse_fault("region:us-east"))
    operator.shift_traffic(sim, "eu-west", None, None)
    sim.run_until(20.5)  # the clients' moves are still due (the operator schedules them)
    fork = sim.fork()
    assert any(getattr(c, "__name__", "") == "move_source" for _, _, c, _ in fork.loop._heap)
    for _, _, callback, args in fork.loop._heap:
        function = getattr(callback, "__func__", callback)
        assert getattr(function, "__closure__", None) is None, f"a closure in the heap: {callback!r}"
        assert not inspect.isfunction(function) or "<locals>" not in function.__qualname__, callback
        owner = getattr(callback, "__self__", None)
        if owner is not None:  # a bound method: bound to the fork's own objects, not the original's
            assert owner is not sim and all(owner is not c for c in sim.clusters.values())
        for arg in args:
            assert all(arg is not c for c in sim.clusters.values()), f"{callback!r} holds the original's {arg!r}"
    for source in (Path(__file__).resolve().parent.parent / "regionctl" / "sim").glob("*.py"):
        assert "[id(" not in source.read_text() and "{id(" not in source.read_text().replace("{id(o): o", ""), \
            f"{source.name} keys something by id(): a deep copy does not remap it"


def test_loss_is_a_probability_of_a_symmetric_pair_and_pause_names_a_node() -> None:
    assert parse_fault("loss:a|b=5%") == parse_fault("loss:b|a=5.0%")
    assert parse_fault("loss:a|b=5%").value == 0.05 and parse_fault("loss:a|b=5%") != parse_fault("loss:a|b=6%")
    assert parse_fault("loss:a|b=0.05%").spec == "loss:a|b=0.05%"
    for bad, why in (("loss:a|b", "expected a value after '=' such as loss:us-east|eu-west=5%"),
                     ("loss:a>b=5%", "expected loss:A|B=PERCENT"),
                     ("loss:a|b=5", "expected a percentage like 99.95%"),
                     ("loss:a|b=101%", "between 0% and 100%")):
        with pytest.raises(FaultSpecError, match=re.escape(why)):
            parse_fault(bad)
    pause = parse_fault("pause:pg-2")
    assert pause.kind == FaultKind.PAUSE and pause.target == "pg-2" and pause.info.effect == "frozen"
