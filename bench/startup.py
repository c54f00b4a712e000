"""Whole-process benchmark: regionctl commands against Chaos Toolkit in the same run.

Prints figures and asserts nothing. Each figure is the median wall time of whole
processes (interpreter start, imports, work, output), after one warm-up run so that both
tools are measured with a warm file cache; the commands are timed in turns, so a busy
moment of the machine falls on both. Rows:
- `regionctl --help` against `chaos --help`;
- `regionctl validate` of the bundled topologies, a 1 s `drill` and a failover `run` on the
  simulator, each against `chaos run` of a one-probe experiment (bench/chaos-one-probe.json).
The target: each ratio <= 1.0.

Chaos Toolkit lives in its own virtual environment, `.bench-venv/` (created on first
use with `pip install chaostoolkit`); if that cannot be installed the comparison is
skipped with a message.

    .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".bench-venv"
# The runs' journals go to a scratch state directory, not the user's.
ENV = {**os.environ, "XDG_STATE_HOME": tempfile.mkdtemp(prefix="regionctl-bench-")}


def regionctl_executable() -> Path:
    """The regionctl console script of the environment running this script (the venv's)."""
    beside = Path(sys.executable).with_name("regionctl")
    if beside.exists():
        return beside
    venv = ROOT / ".venv" / "bin" / "regionctl"
    if venv.exists():
        return venv
    found = shutil.which("regionctl")
    if found is None:
        sys.exit("bench: no regionctl executable (run `make run` or `pip install -e .` first)")
    return Path(found)


def chaos_executable() -> Path | None:
    chaos = BENCH_VENV / "bin" / "chaos"
    if chaos.exists():
        return chaos
    print(f"bench: installing chaostoolkit into {BENCH_VENV.relative_to(ROOT)}/ (once) ...", flush=True)
    try:
        python = shutil.which("python3") or sys.executable
        subprocess.run([python, "-m", "venv", str(BENCH_VENV)], check=True, timeout=300)
        subprocess.run([str(BENCH_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                        "chaostoolkit"], check=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"bench: skipping the chaos comparison: could not install chaostoolkit ({exc})")
        return None
    return chaos if chaos.exists() else None


def compile_regionctl() -> None:
    """Byte-compile regionctl, as pip does for every package it installs (Chaos Toolkit's included).

    An editable install is never compiled by pip, and with PYTHONDONTWRITEBYTECODE set (as in some
    shells and CI runners) Python never writes the cache itself: every regionctl process would then
    compile its ~150 modules from source (~150 ms) while chaos loads its precompiled ones.
    `regionctl.precompile` (which the Makefile runs after installing) does that, and also fills the
    table of dataclass methods that a first start-up would compile (regionctl/_codecache.py)."""
    subprocess.run([sys.executable, "-m", "regionctl.precompile"], check=False, stdout=subprocess.DEVNULL)


def time_once(argv: list[str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=ROOT,
                          env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"bench: {' '.join(argv)} exited {done.returncode}")
    return elapsed


def time_in_turns(commands: dict[str, tuple[list[str], tuple[int, ...]]], runs: int) -> dict[str, list[float]]:
    """Wall-clock seconds of `runs` whole processes of each command, interleaved, after a warm-up."""
    for argv, ok in commands.values():
        time_once(argv, ok)
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, (argv, ok) in commands.items():
            samples[label].append(time_once(argv, ok))
    return samples


def report(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    print(f"{label:<22} median {median * 1000:7.1f} ms   min {min(samples) * 1000:7.1f} ms   "
          f"max {max(samples) * 1000:7.1f} ms   ({len(samples)} runs)")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="processes timed per command (default 15)")
    args = parser.parse_args()

    regionctl = str(regionctl_executable())
    compile_regionctl()
    print(f"regionctl: {regionctl}")
    topologies = "regionctl/data/topologies"
    ours: dict[str, tuple[list[str], tuple[int, ...]]] = {
        "regionctl --help": ([regionctl, "--help"], (0,)),
        "validate topologies/": ([regionctl, "validate", topologies], (0,)),
        # A drill that judges SLOs exits 1 when one is missed; a second of region outage misses one.
        "drill 1s": ([regionctl, "drill", f"{topologies}/active-passive.yaml", "--fault", "region:us-east@0s",
                      "--duration", "1s"], (0, 1)),
        "run failover": ([regionctl, "run", f"{topologies}/active-passive.yaml", "failover-to-eu-west", "--yes",
                          ], (0,)),
    }
    chaos = chaos_executable()
    commands = dict(ours)
    if chaos is not None:
        print(f"chaos:     {chaos}")
        commands["chaos --help"] = ([str(chaos), "--help"], (0,))
        journal = os.path.join(ENV["XDG_STATE_HOME"], "chaos-journal.json")
        commands["chaos run (1 probe)"] = ([str(chaos), "--no-log-file", "run", "--journal-path", journal,
                                            "bench/chaos-one-probe.json"], (0,))
    samples = time_in_turns(commands, args.runs)
    medians = {label: report(label, runs) for label, runs in samples.items()}
    if chaos is None:
        return
    print()
    pairs = [("regionctl --help", "chaos --help")] + [
        (label, "chaos run (1 probe)") for label in ("validate topologies/", "drill 1s", "run failover")]
    for label, theirs in pairs:
        ratio = medians[label] / medians[theirs]
        verdict = "met" if ratio <= 1.0 else "NOT met"
        print(f"{label:<22} / {theirs:<20} {ratio:5.2f}x   (target <= 1.00x: {verdict})")


if __name__ == "__main__":
    main()
