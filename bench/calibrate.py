"""The simulator against real hosts: every sandbox runbook, several times on the sandbox (real PostgreSQL under
Patroni, Redis with Sentinel, etcd, over SSH) and on the simulator (seeds 1..N), side by side.

Prints, per runbook, the RTO of each world (median and range), their difference, and RPO and writes lost (the
real ones from the probe writes), as the Markdown table of docs/fidelity.md's "Simulator against real hosts";
`--write` puts it there, between its markers. Needs root (the sandbox); it brings the sandbox up in a scratch
directory if none is given and takes it down again. The runbooks run in the sandbox's order (each leaves the
estate as the next one's precheck wants it), the whole sequence once per round.

    sudo .venv/bin/python bench/calibrate.py [--runs 5] [--write] [--sandbox DIR]
    .venv/bin/python bench/calibrate.py --reuse bench/calibration.json [--write]

`--reuse` takes the real runs recorded by an earlier calibration (bench/calibration.json) and runs only the
simulator's side again, on the topology the sandbox writes (no root needed): after a simulator change.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGIONCTL = str(Path(sys.executable).with_name("regionctl"))
ORDER = ("orders-failover", "orders-switchback", "cache-failover", "cache-switchback", "config-move-leader",
         "config-leader-loss")
ENGINE = {"orders": "PostgreSQL + Patroni", "cache": "Redis + Sentinel", "config": "etcd"}
START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"
WITHIN = 0.25  # RTOs within 25% of each other agree


def regionctl(*args: str) -> dict[str, Any]:
    """A run's --json report; a run that printed none (a usage error, a crash) becomes a report saying so."""
    done = subprocess.run([REGIONCTL, *args], capture_output=True, text=True, cwd=ROOT, check=False, timeout=900)
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"calibrate: regionctl {' '.join(args)} exited {done.returncode} without a report: "
              f"{done.stderr[-500:]}", file=sys.stderr)
        return {"result": f"exit {done.returncode}", "metrics": {}, "reason": done.stderr[-200:]}
    return report


def figures(report: dict[str, Any]) -> dict[str, Any]:
    m = report.get("metrics", {})
    return {"result": report["result"], "rto": m.get("rto_seconds"), "rpo": m.get("rpo_seconds"),
            "lost": m.get("writes_lost"), "acked": m.get("writes_acked"), "reason": report.get("reason", "")}


def spread(values: list[float | None], unit: str = "s") -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    med = statistics.median(known)
    text = f"{med:.1f}{unit}" if unit else f"{med:g}"
    if min(known) != max(known):
        text += f" ({min(known):.1f}–{max(known):.1f})" if unit else f" ({min(known):g}–{max(known):g})"
    if len(known) < len(values):
        text += f", {len(values) - len(known)} n/a"
    return text


def table(real: dict[str, list[dict[str, Any]]], sim: dict[str, list[dict[str, Any]]], runs: int) -> str:
    lines = ["| runbook | engine | RTO real | RTO simulated | difference | RPO real | RPO simulated | "
             "writes lost real | writes lost simulated |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in ORDER:
        r, s = real[name], sim[name]
        # Every run that got to measure counts (a runbook's check failing after the failover does not void it).
        real_rto = [x["rto"] for x in r if x["result"] in ("pass", "fail")]
        sim_rto = [x["rto"] for x in s if x["result"] in ("pass", "fail")]
        if not sim_rto:
            why = next((x["reason"] for x in s if x["reason"]), "")
            diff = "not comparable: " + ("the simulator starts from the file's state, this runbook from the state "
                                         "the one before leaves" if "precheck" in why else why or "no pass")
        elif not real_rto or None in real_rto or None in sim_rto:
            diff = "n/a"
        else:
            a, b = statistics.median(real_rto), statistics.median(sim_rto)
            ratio = (b - a) / a if a else 0.0
            diff = f"{ratio * 100:+.0f}% " + ("✔ within 25%" if abs(ratio) <= WITHIN else "✘ beyond 25%")
        failed = [f"{sum(1 for x in runs if x['result'] == 'fail')} {side}"
                  for side, runs in (("real", r), ("simulated", s))
                  if any(x["result"] == "fail" for x in runs)]
        if failed:
            diff += f" ({' and '.join(failed)} run(s) failed a later check)"
        cluster = name.split("-")[0]
        lines.append(f"| `{name}` | {ENGINE[cluster]} | {spread(real_rto)} | {spread(sim_rto)} | {diff} | "
                     f"{spread([x['rpo'] for x in r])} | {spread([x['rpo'] for x in s])} | "
                     f"{spread([x['lost'] for x in r], '')} of {spread([x['acked'] for x in r], '')} | "
                     f"{spread([x['lost'] for x in s], '')} of {spread([x['acked'] for x in s], '')} |")
    stamp = time.strftime("%Y-%m-%d", time.gmtime())
    lines.append("")
    lines.append(f"{runs} real runs and {runs} simulated runs (seeds 1–{runs}) of each, {stamp}, generated by "
                 "`sudo .venv/bin/python bench/calibrate.py --write`. Medians, with the range in brackets; "
                 "writes lost are of the writes acknowledged (real: the probe writes, 2 a second per cluster; "
                 "simulated: the topology's client traffic).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds of the whole sequence (default 5)")
    parser.add_argument("--write", action="store_true", help="put the table into docs/fidelity.md")
    parser.add_argument("--sandbox", help="a sandbox already up (its directory); default: bring one up")
    parser.add_argument("--reuse", help="the real runs of an earlier calibration (its JSON): simulate only")
    args = parser.parse_args()
    if args.reuse:
        simulate_only(Path(args.reuse), args.runs, args.write)
        return
    if os.geteuid() != 0:
        sys.exit("calibrate: the sandbox needs root (sudo)")
    own = args.sandbox is None
    # (Not a mkdtemp: the sandbox user must reach the directory.)
    directory = Path(args.sandbox or f"/var/tmp/regionctl-calibrate-{os.getpid()}")
    if own and subprocess.run([REGIONCTL, "sandbox", "up", "--dir", str(directory)], cwd=ROOT).returncode != 0:
        sys.exit("calibrate: the sandbox did not come up (above: why)")
    topology = str(directory / "sandbox.yaml")
    real: dict[str, list[dict[str, Any]]] = {name: [] for name in ORDER}
    sim: dict[str, list[dict[str, Any]]] = {name: [] for name in ORDER}
    try:
        for round_ in range(1, args.runs + 1):
            for name in ORDER:
                started = time.monotonic()
                real[name].append(figures(regionctl("run", topology, name, "--backend", "ssh", "--yes", "--json",
                                                    "-q")))
                sim[name].append(figures(regionctl("run", topology, name, "--seed", str(round_), "--yes", "--json",
                                                   "-q")))
                print(f"round {round_}/{args.runs} {name:<20} real {real[name][-1]['result']:<8} "
                      f"RTO {real[name][-1]['rto']}  sim RTO {sim[name][-1]['rto']}  "
                      f"({time.monotonic() - started:.0f}s)", flush=True)
    finally:
        if own:
            subprocess.run([REGIONCTL, "sandbox", "down", "--dir", str(directory)], check=False, cwd=ROOT)
    (ROOT / "bench" / "calibration.json").write_text(json.dumps({"real": real, "sim": sim}, indent=1) + "\n")
    publish(table(real, sim, args.runs), args.write)


def simulate_only(recorded: Path, runs: int, write: bool) -> None:
    import yaml

    from regionctl.sandbox.layout import Paths, postgres_bin, topology

    real = json.loads(recorded.read_text())["real"]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "sandbox.yaml"
        path.write_text(yaml.safe_dump(topology(Paths(Path("/var/tmp/regionctl-sandbox")), postgres_bin()),
                                       sort_keys=False))
        sim = {name: [figures(regionctl("run", str(path), name, "--seed", str(seed), "--yes", "--json", "-q"))
                      for seed in range(1, runs + 1)] for name in ORDER}
    recorded.write_text(json.dumps({"real": real, "sim": sim}, indent=1) + "\n")
    publish(table(real, sim, runs), write)


def publish(text: str, write: bool) -> None:
    print(text)
    if write:
        doc = ROOT / "docs" / "fidelity.md"
        content = doc.read_text(encoding="utf-8")
        head, _, rest = content.partition(START)
        _, _, tail = rest.partition(END)
        doc.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")
        print(f"written to {doc.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
