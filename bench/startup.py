"""Cold-start benchmark: `regionctl --help` against Chaos Toolkit's `chaos --help`.

Prints figures and asserts nothing. Each figure is the median wall time of whole
processes (interpreter start, imports, help text), after one warm-up run so that both
tools are measured with a warm file cache. The issue's target: regionctl starts no
slower than `chaos --help` on the same machine.

Chaos Toolkit lives in its own virtual environment, `.bench-venv/` (created on first
use with `pip install chaostoolkit`); if that cannot be installed the comparison is
skipped with a message.

    .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".bench-venv"


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


def time_command(argv: list[str], runs: int) -> list[float]:
    """Wall-clock seconds of `runs` whole processes, after one warm-up run."""
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
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

    regionctl = regionctl_executable()
    print(f"regionctl: {regionctl}")
    ours = report("regionctl --help", time_command([str(regionctl), "--help"], args.runs))

    chaos = chaos_executable()
    if chaos is None:
        return
    print(f"chaos:     {chaos}")
    theirs = report("chaos --help", time_command([str(chaos), "--help"], args.runs))
    verdict = "no slower than" if ours <= theirs else "SLOWER than"
    print(f"regionctl --help is {verdict} chaos --help ({ours / theirs:.2f}x)")


if __name__ == "__main__":
    main()
