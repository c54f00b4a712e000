"""`regionctl explore --dask`: the same search on a real Dask cluster (a LocalCluster of two worker processes
started here, on localhost) gives the same findings as the local pool for the same seed and budget."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from regionctl.exit_codes import ExitCode
from tests.realdeps import require

ROOT = Path(__file__).resolve().parent.parent


def regionctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "regionctl", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def without_wall(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if '"wall_seconds"' not in line)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    try:
        from distributed import LocalCluster
    except ImportError:
        require("distributed", "not installed (pip install -e '.[test]' brings distributed==2026.8.0)")
        raise
    cluster: Any = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                host="127.0.0.1")
    try:
        cluster.wait_for_workers(2, timeout=120)  # both worker processes up: the chunks go one to each
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


@pytest.mark.parametrize("goal", [("--objective", "writes-lost"), ("--property", "leader-within:40s")])
def test_dask_and_the_local_pool_give_the_same_findings(scheduler: str, goal: tuple[str, str]) -> None:
    common = ["explore", "active-passive", *goal, "--budget", "64", "--seed", "9", "--findings", "1", "--json"]
    on_dask = regionctl(*common, "--dask", scheduler)
    local = regionctl(*common, "--workers", "2")
    assert on_dask.returncode == local.returncode, on_dask.stderr
    assert on_dask.returncode in (ExitCode.PASSED, ExitCode.FAILED)
    assert without_wall(on_dask.stdout) == without_wall(local.stdout)
    report = json.loads(on_dask.stdout)
    assert report["tried"] == 64


def test_an_unreachable_scheduler_is_a_one_line_error() -> None:
    from regionctl.data import resolve_topology_path
    from regionctl.explore.dask_pool import DaskError, DaskPool
    from regionctl.explore.objective import parse_objective
    from regionctl.loading import load_topology

    topology = load_topology(resolve_topology_path("active-passive"))
    with pytest.raises(DaskError, match=r"^cannot reach a Dask scheduler at tcp://127.0.0.1:9: [^\n]*$"):
        DaskPool("tcp://127.0.0.1:9", topology, 60.0, parse_objective(None, None, None, None), connect_timeout=0.5)

