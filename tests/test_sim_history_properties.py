"""Properties of the probe sessions' histories over generated topologies and fault schedules.

What a Raft cluster (etcd) answers is linearizable whatever the faults: a write acknowledged to a
client was committed by a majority, and linearizable reads go through the leader. Histories of clusters that
promise less are not judged here; the labs show them breaking.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from regionctl.consistency import Fault, check, from_records
from regionctl.sim.history import ProbeSettings
from regionctl.sim.simulator import Simulation
from tests.simgen import Scenario, scenarios

EXAMPLES = max(10, int(os.environ.get("REGIONCTL_FUZZ_EXAMPLES", "200")) // 4)
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("REGIONCTL_FUZZ_EXAMPLES"),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(scenarios(engines=["etcd"]))
def test_what_an_etcd_cluster_answers_is_linearizable_under_any_faults(scenario: Scenario) -> None:
    # Reads from a local member are etcd's serializable reads, stale by design, not promised: every client here
    # reads through the leader (rewritten rather than filtered out: most generated topologies read locally).
    topology = scenario.topology.model_copy(update={"traffic": [t.model_copy(update={"reads_from": "leader"})
                                                                for t in scenario.topology.traffic]})
    sim = Simulation(topology, seed=scenario.seed)
    probes = sim.enable_probes(ProbeSettings(sessions=2, keys=3, interval=0.1))
    for fault, at, duration in scenario.schedule:
        sim.schedule_fault(fault, at, duration)
    sim.run_until(120.0)
    faults = [Fault(f.fault.spec, f.at, f.healed_at) for f in sim.faults]
    for name, cluster in sim.clusters.items():
        if cluster.spec.engine != "etcd":
            continue
        history = from_records([r for r in probes.records if r["cluster"] == name], faults)
        result = check(history, "linearizable")
        assert result.verdict != "violated", (scenario.faults(), [a.explanation for a in result.anomalies[:3]])
