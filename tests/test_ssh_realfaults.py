"""Real-host fault plans (pure) and the sandbox's delay proxy (real TCP on loopback)."""

from __future__ import annotations

import shlex

from regionctl.backends.ssh.adapters.base import Target
from regionctl.backends.ssh.adapters.postgres import PostgresAdapter
from regionctl.backends.ssh.realfaults import Placement, plan_fault
from regionctl.backends.ssh.targets import ClusterPlan
from regionctl.contract.faults import parse_fault
from regionctl.model.topology import Cluster

NODES = {"pg-1": ("us-east", "10.77.0.1"), "pg-2": ("eu-west", "10.77.0.2"), "pg-3": ("ap-south", "10.77.0.3")}
PLACEMENT = Placement({n: r for n, (r, _) in NODES.items()}, {n: "a" for n in NODES},
                      {n: (a,) for n, (_, a) in NODES.items()})
CLUSTER = Cluster.model_validate({"name": "orders", "engine": "postgres-patroni",
                                  "nodes": [{"name": n, "region": r} for n, (r, _) in NODES.items()]})
PLANS = [ClusterPlan(CLUSTER, PostgresAdapter(),
                     tuple(Target(n, a, a, 5432, data_dir=f"/d/{n}", stop=f"sh /d/{n}/stop.sh",
                                  start=f"sh /d/{n}/start.sh") for n, (_, a) in NODES.items()))]


def plan(spec: str, latency: str | None = None):  # type: ignore[no-untyped-def]
    return plan_fault(parse_fault(spec), PLANS, PLACEMENT, "/sb/bin/nft", latency)


def test_region_outage_stops_its_nodes_and_heals_by_starting_them() -> None:
    fp = plan("region:us-east")
    assert [(s.node, s.command, s.check) for s in fp.inject.steps] == [("pg-1", "sh /d/pg-1/stop.sh", False)]
    assert [(s.node, s.command) for s in fp.heal.steps] == [("pg-1", "sh /d/pg-1/start.sh")]


def test_partition_drops_the_other_sides_addresses_on_both_sides_and_heals_by_deleting_the_table() -> None:
    fp = plan("partition:us-east|ap-south")
    inject = {s.node: shlex.split(s.command) for s in fp.inject.steps}
    assert set(inject) == {"pg-1", "pg-3"}
    script = inject["pg-1"][1]
    table = next(word.rstrip(";") for word in script.split() if word.startswith("regionctl_fault_"))
    assert inject["pg-1"][0] == "/sb/bin/nft" and f"add table inet {table}" in script
    # Named after the spec: another process (recover) rebuilds the same name; another fault gets another.
    assert table in plan("partition:us-east|ap-south").heal.steps[0].command
    assert table in plan("partition:ap-south|us-east").heal.steps[0].command  # the same partition
    assert table not in plan("partition:us-east>ap-south").heal.steps[0].command
    assert "out ip daddr { 10.77.0.3 } drop" in script and "in ip saddr { 10.77.0.3 } drop" in script
    assert "10.77.0.2" not in script  # eu-west is not part of it
    assert "ip saddr { 10.77.0.1 } drop" in inject["pg-3"][1]
    assert {shlex.join(shlex.split(s.command)) for s in fp.heal.steps} == {  # succeeds if already healed too
        f"/sb/bin/nft 'add table inet {table}; delete table inet {table}'"}
    one_way = {s.node: s.command for s in plan("partition:us-east>ap-south").inject.steps}
    assert "daddr" in one_way["pg-1"] and "saddr" not in one_way["pg-1"]
    assert "saddr" in one_way["pg-3"] and "daddr" not in one_way["pg-3"]


def test_partition_refuses_hosts_on_127_0_0_1() -> None:
    local = Placement(PLACEMENT.region, PLACEMENT.zone, {n: ("127.0.0.1",) for n in NODES})
    fp = plan_fault(parse_fault("partition:us-east|eu-west"), PLANS, local, "nft")
    assert "own IP addresses" in fp.inject.refusal


def test_latency_runs_the_declared_command_on_each_side_and_zero_to_heal() -> None:
    assert "not available on real hosts" in plan("latency:us-east|eu-west=300ms").inject.refusal
    fp = plan("latency:us-east|eu-west=300ms", "set-delay {region} {peer} {seconds}")
    assert [s.command for s in fp.inject.steps] == ["set-delay us-east eu-west 0.3", "set-delay eu-west us-east 0.3"]
    assert [s.command for s in fp.heal.steps] == ["set-delay us-east eu-west 0", "set-delay eu-west us-east 0"]
    assert "unknown placeholder" in plan("latency:us-east|eu-west=1s", "x {password}").inject.refusal
    assert "not available" in plan("slow:pg-1=10x").inject.refusal


def test_loss_drops_packets_to_the_other_side_at_egress_only_and_heals_by_deleting_the_table() -> None:
    fp = plan("loss:us-east|ap-south=5%")
    inject = {s.node: shlex.split(s.command)[1] for s in fp.inject.steps}
    assert set(inject) == {"pg-1", "pg-3"}
    table = next(word.rstrip(";") for word in inject["pg-1"].split() if word.startswith("regionctl_fault_"))
    # Each packet judged once, by its sender: 500 in 10,000 to the other side, counted both before and dropped.
    assert "out ip daddr { 10.77.0.3 } numgen random mod 10000 < 500 counter drop" in inject["pg-1"]
    assert "out ip daddr { 10.77.0.1 } numgen random mod 10000 < 500 counter drop" in inject["pg-3"]
    assert "hook input" not in inject["pg-1"] and "saddr" not in inject["pg-1"]
    assert "10.77.0.2" not in inject["pg-1"] + inject["pg-3"]
    # The same table whichever way round, another one than the partition's of the same pair.
    assert table in plan("loss:ap-south|us-east=5%").heal.steps[0].command
    assert table not in plan("partition:us-east|ap-south").heal.steps[0].command
    assert {shlex.join(shlex.split(s.command)) for s in fp.heal.steps} == {
        f"/sb/bin/nft 'add table inet {table}; delete table inet {table}'"}
    assert "< 10000 counter drop" in plan("loss:us-east|ap-south=100%").inject.steps[0].command
    assert "< 5 counter drop" in plan("loss:us-east|ap-south=0.05%").inject.steps[0].command
    assert "drop" not in plan("loss:us-east|ap-south=0%").inject.steps[0].command  # the table alone
    local = Placement(PLACEMENT.region, PLACEMENT.zone, {n: ("127.0.0.1",) for n in NODES})
    refused = plan_fault(parse_fault("loss:us-east|eu-west=5%"), PLANS, local, "nft").inject.refusal
    assert "loss faults need each side's hosts" in refused


def test_pause_runs_the_nodes_pause_command_and_heals_with_resume() -> None:
    targets = tuple(Target(n, a, a, 5432, pause=f"sh /d/{n}/pause.sh", resume=f"sh /d/{n}/resume.sh")
                    for n, (_, a) in NODES.items())
    fp = plan_fault(parse_fault("pause:pg-2"), [ClusterPlan(CLUSTER, PostgresAdapter(), targets)], PLACEMENT, "nft")
    assert [(s.node, s.command) for s in fp.inject.steps] == [("pg-2", "sh /d/pg-2/pause.sh")]
    assert [(s.node, s.command) for s in fp.heal.steps] == [("pg-2", "sh /d/pg-2/resume.sh")]
    # Without the commands (which processes make up a node is the estate's to say): refused, with the reason.
    refused = plan("pause:pg-2").inject.refusal
    assert refused.startswith("pause:pg-2: pg-2: not supported yet without adapter.pause and adapter.resume")
