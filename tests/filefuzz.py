"""Mutating the bundled files as a hostile user would, and running whatever `validate` accepts.

`mutations(seed, count)` yields (name, mutated YAML text, kind) with a fixed random.Random(seed).
Each mutation changes one (mostly) to three places of one bundled topology or lab: another value of
the same file or an edge value in place of a scalar (durations 0s, 1us, 99999h, 30d...; numbers 0,
-1, 1e308; text '', '(((', '${nope}', 'not ' x 500...), a key deleted, a list emptied or an item
repeated. `run_file(path, kind)` runs, in this process, what a user would after `validate` said ok:
drill, blast and `run --dry-run` of each runbook for a topology, `lab --check` for a lab.
`python -m tests.filefuzz FILE KIND` does that for one file and exits 1 on a traceback;
tests/test_file_fuzz.py calls it in a subprocess with a deadline, so that a hang fails too.
"""

from __future__ import annotations

import copy
import random
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "regionctl" / "data"
FILES = sorted((DATA / "topologies").glob("*.yaml")) + sorted((DATA / "labs").glob("*.yaml"))
DURATIONS = ["0s", "0ms", "1us", "1ms", "10ms", "100ms", "1s", "59m", "1h", "24h", "99999h", "100000000h", "30d",
             "720h", "1e-7ms", "-1s", "5"]
NUMBERS: list[Any] = [0, -1, 1, 2, 3, 1000, 10**9, 1e308, 0.5, True, "x", None]
TEXTS: list[Any] = ["", "x", "(((", "pg-1", "us-east", "region:us-east", "${nope}", "a" * 300, None,
                    "not " * 500 + "x", "(" * 200 + "x" + ")" * 200, "node:pg-1", "elapsed > 1s", 0]


def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*here, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*here, i))


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def _edge(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return rng.choice([not value, None, "yes"])
    if isinstance(value, (int, float)):
        return rng.choice(NUMBERS)
    if isinstance(value, str):
        looks_like_duration = value[:1].isdigit() and value.rstrip("0123456789.") in ("s", "ms", "m", "h", "d", "us")
        return rng.choice(DURATIONS if looks_like_duration or rng.random() < 0.2 else TEXTS)
    return rng.choice(TEXTS + NUMBERS)


def mutate(data: Any, rng: random.Random) -> Any:
    data = copy.deepcopy(data)
    scalars = [v for v in (_get(data, p) for p in _paths(data)) if not isinstance(v, (dict, list))]
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        paths = [p for p in _paths(data) if p]
        path = rng.choice(paths)
        parent, last = _get(data, path[:-1]), path[-1]
        value = parent[last]
        roll = rng.random()
        if roll < 0.3 and not isinstance(value, (dict, list)):
            parent[last] = rng.choice(scalars)  # another value of the same file: plausible, often wrong
        elif roll < 0.7 and not isinstance(value, (dict, list)):
            parent[last] = _edge(value, rng)
        elif roll < 0.8 and isinstance(parent, dict):
            del parent[last]
        elif isinstance(value, list) and value and roll < 0.9:
            value.append(copy.deepcopy(rng.choice(value)))
        elif isinstance(value, list):
            value.clear()
        else:
            parent[last] = _edge(value if not isinstance(value, (dict, list)) else "", rng)
    return data


def mutations(seed: int, count: int) -> Iterator[tuple[str, str, str]]:
    rng = random.Random(seed)
    originals = [(f, yaml.safe_load(f.read_text(encoding="utf-8"))) for f in FILES]
    for i in range(count):
        path, data = originals[i % len(originals)]
        kind = "lab" if path.parent.name == "labs" else "topology"
        yield f"{i:04d}-{path.stem}", yaml.safe_dump(mutate(data, rng), sort_keys=False, width=200), kind


def validates(path: Path, kind: str) -> bool:
    from regionctl.loading import load_file
    from regionctl.model.diagnostics import InputError

    try:
        load_file(path, kind)  # type: ignore[arg-type]
    except InputError:
        return False
    return True


def commands(path: Path, kind: str) -> list[list[str]]:
    if kind == "lab":
        return [["lab", str(path), "--check"]]
    from regionctl.loading import load_topology

    topology = load_topology(path)
    region = topology.regions[0].name
    out = [["drill", str(path), "--duration", "5m", "--fault", f"region:{region}@60s+2m"],
           ["blast", str(path), "--fault", f"region:{region}"]]
    out += [["run", str(path), name, "--dry-run"] for name in topology.runbook_names()]
    return out


def run_file(path: Path, kind: str) -> list[str]:
    """The tracebacks (as text) of what a user would run after `validate` said ok."""
    from click.testing import CliRunner

    from regionctl.cli.main import cli

    problems = []
    for args in commands(path, kind):
        result = CliRunner().invoke(cli, args, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            text = "".join(traceback.format_exception(result.exception))
            problems.append(f"regionctl {' '.join(args)}: exit {result.exit_code}\n{text}")
        elif "Traceback" in result.output:
            problems.append(f"regionctl {' '.join(args)}: a traceback in the output\n{result.output[-3000:]}")
    return problems


if __name__ == "__main__":
    found = run_file(Path(sys.argv[1]), sys.argv[2])
    for problem in found:
        print(problem, file=sys.stderr)
    sys.exit(1 if found else 0)
