"""Record every bundled drill, blast, run, lab --check and status `--json` report; compare two recordings.

A refactoring must not change a report: record on the old commit, record on the new one, compare.

    python bench/report_baseline.py record /tmp/before          # in the old checkout (or PYTHONPATH=old)
    python bench/report_baseline.py record /tmp/after
    python bench/report_baseline.py compare /tmp/before /tmp/after

`wall_seconds` is dropped and the journal's temporary directory reads SCRATCH (the only fields that may
differ run to run); everything else must match byte
for byte, including the exit code. The cases: for each bundled topology, a drill and a blast of each
fault below that the topology has (a region, a zone, a node of each cluster, a partition both ways,
latency, slowness, clock skew), each of its runbooks (`run --yes`), `status --at 60s`; every bundled lab
with `--check`. Exit 0 when the recordings match, 1 with the differing cases listed.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

CaseArgs = list[str]


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "wall_seconds"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _faults(topology: Any) -> list[str]:
    regions = [r.name for r in topology.regions]
    out = [f"region:{regions[0]}"]
    first = topology.regions[0]
    if first.zones:
        out.append(f"zone:{first.name}/{first.zones[0]}")
    for cluster in topology.clusters:
        out.append(f"node:{cluster.nodes[0].name}")
    if len(regions) > 1:
        out += [f"partition:{regions[0]}|{regions[1]}", f"partition:{regions[1]}>{regions[0]}",
                f"latency:{regions[0]}|{regions[1]}=300ms"]
    node = topology.clusters[0].nodes[-1].name
    out += [f"slow:{node}=10x", f"clock:{node}=+2s"]
    return out


def cases() -> dict[str, CaseArgs]:
    import regionctl
    from regionctl.model.loader import load_topology

    data = Path(regionctl.__file__).parent / "data"
    out: dict[str, CaseArgs] = {}
    for path in sorted((data / "topologies").glob("*.yaml")):
        name = path.stem
        topology = load_topology(path)
        out[f"status/{name}"] = ["status", name, "--at", "60s", "--json"]
        for fault in _faults(topology):
            out[f"drill/{name}/{fault}"] = ["drill", name, "--fault", f"{fault}@60s+3m", "--duration", "6m",
                                            "--json"]
            out[f"blast/{name}/{fault}"] = ["blast", name, "--fault", fault, "--json"]
        for runbook in topology.runbook_names():
            out[f"run/{name}/{runbook}"] = ["run", name, runbook, "--yes", "--quiet", "--json"]
    for path in sorted((data / "labs").glob("*.yaml")):
        out[f"lab/{path.stem}"] = ["lab", path.stem, "--check", "--json"]
    return out


def run_case(args: CaseArgs, scratch: Path) -> dict[str, Any]:
    from click.testing import CliRunner

    from regionctl.cli.main import cli

    if args[0] == "run":
        args = [*args, "--journal", str(scratch / "journal.jsonl")]
    result = CliRunner().invoke(cli, args, catch_exceptions=True)
    try:
        report = _strip(json.loads(result.stdout.replace(str(scratch), "SCRATCH")))
    except ValueError:
        report = {"stdout": result.stdout, "exception": repr(result.exception)}
    return {"args": args if args[0] != "run" else args[:-2], "exit": result.exit_code, "report": report}


def record(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for key, args in cases().items():
            entry = run_case(args, Path(scratch))
            (Path(scratch) / "journal.jsonl").unlink(missing_ok=True)
            target = directory / (key.replace("/", "__").replace("|", "-").replace(">", "_to_") + ".json")
            target.write_text(json.dumps(entry, indent=1, sort_keys=False) + "\n")
            print(f"{entry['exit']}  {key}", file=sys.stderr)
    return 0


def compare(before: Path, after: Path) -> int:
    old = {p.name: p.read_bytes() for p in before.glob("*.json")}
    new = {p.name: p.read_bytes() for p in after.glob("*.json")}
    differing = sorted(name for name in old.keys() & new.keys() if old[name] != new[name])
    missing = sorted(old.keys() ^ new.keys())
    for name in differing:
        print(f"differs: {name}")
    for name in missing:
        print(f"only in one: {name}")
    print(f"{len(old.keys() & new.keys()) - len(differing)} identical, {len(differing)} differ, "
          f"{len(missing)} in one recording only")
    return 1 if differing or missing else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "record":
        return record(Path(argv[1]))
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
