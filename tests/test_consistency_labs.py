"""The consistency labs bite on every seed, and their control runs never do.

Each lab's expectations come from the checker's verdict on probe sessions' histories; a lab that
held for one seed only would teach luck. `make fuzz` runs many more seeds.
"""

from __future__ import annotations

import os

import pytest

from regionctl.exit_codes import ExitCode
from regionctl.labs.check import check_lab
from regionctl.labs.compile import bundled_labs, compile_lab
from regionctl.loading import load_file
from regionctl.model.lab import Lab
from regionctl.runbook.checks import RECORD_FIELDS
from regionctl.sim.probe_checks import CHECKED, figure_name

LABS = {p.stem: p for p in bundled_labs()}
CONSISTENCY_LABS = ("read-your-writes", "monotonic-reads", "quorum-reads", "linearizable-under-partition",
                    "causal-multi-leader", "read-your-writes-failover")
SEEDS = range(2, 2 + max(3, int(os.environ.get("REGIONCTL_FUZZ_EXAMPLES", "150")) // 50))


def load(name: str) -> Lab:
    model = load_file(LABS[name], "lab").model
    assert isinstance(model, Lab)
    return model


@pytest.mark.parametrize("name", CONSISTENCY_LABS)
async def test_a_consistency_lab_teaches_on_every_seed(name: str) -> None:
    for seed in SEEDS:
        lab = load(name).model_copy(update={"seed": seed})
        code, report = await check_lab(compile_lab(lab, LABS[name]))
        assert code == ExitCode.PASSED, (seed, [e for e in report["expectations"] if not e["held"]])
        control_code, _ = await check_lab(compile_lab(lab, LABS[name], control=True), control=True)
        assert control_code == ExitCode.FAILED, seed


def test_conditions_know_every_figure_the_probe_checks_produce() -> None:
    fields = set(RECORD_FIELDS["consistency"])
    assert {figure_name(m) for m in CHECKED} | {"name", "model", "verdict", "anomalies", "operations"} == fields
