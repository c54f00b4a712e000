"""Real components (sshd, PostgreSQL, Redis, etcd, nftables, Prometheus, tmux, root) for the integration tests.

Where one is missing the test skips with one reason, and the run ends with a line naming what was
skipped and the command that enables it. CI sets REGIONCTL_REQUIRE_REAL=1 (.ci/run): there every
such skip is a failure, so CI can never go green by skipping.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_REAL = "REGIONCTL_REQUIRE_REAL"
PREFIX = "real component missing: "
ENABLE = "sudo make test"  # runs scripts/system-packages as root (apt-get), then the whole suite
PACKAGES_SCRIPT = "scripts/system-packages"


def require(what: str, problem: str | None) -> None:
    """Skip (or, under REGIONCTL_REQUIRE_REAL=1, fail) the test when `problem` is not None."""
    if problem is None:
        return
    reason = f"{PREFIX}{what}: {problem}"
    if os.environ.get(REQUIRE_REAL) == "1":
        pytest.fail(f"{reason} ({REQUIRE_REAL}=1: real-component tests must run, not skip; "
                    f"`{PACKAGES_SCRIPT}` installs what they need)", pytrace=False)
    pytest.skip(reason)


def require_root(what: str) -> None:
    require(what, None if os.geteuid() == 0 else "needs root")


def require_program(what: str, path: str | None, package: str) -> None:
    require(what, None if path else f"not installed (Debian package {package})")
