"""Suite-wide: no result depends on the terminal, and skipped real-component tests are summed up at the end."""

from __future__ import annotations

import os
import signal
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from tests.realdeps import ENABLE, PREFIX, REQUIRE_REAL

# Subprocesses (the installed `regionctl`) inherit this: Rich wraps at a width of our choosing,
# not the terminal's (or a CI runner's), and writes no colour codes.
os.environ["COLUMNS"] = "200"
os.environ["LINES"] = "50"
# The validation cache (regionctl.model.check_cache) of this run, not the user's ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="regionctl-test-cache-")
for _name in ("FORCE_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
    os.environ.pop(_name, None)

# A suite started in the background (`make test &`, su, some CI runners) inherits SIGINT ignored, and so
# would every regionctl it starts: the Ctrl-C tests would then wait for a signal nobody hears.
# A Python handler here is reset to the default in each child, so each child hears Ctrl-C again.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

_skipped: Counter[str] = Counter()

# `make test` runs the suite on two workers (pytest-xdist, --dist loadgroup). The tests that drive real
# components (the sandbox's network namespaces, sshd, Redis, etcd, Prometheus, tmux) share machine-wide
# resources and timing margins, so they all go to one worker, one at a time, as in a serial run; the
# simulator's and the dashboard's tests share out the rest. A module is real when it uses these helpers.
REAL_COMPONENT_HELPERS = ("tests.realdeps", "tests.sshhelpers", "tests.killhelpers", "tests.test_tui_tmux",
                          "regionctl.sandbox")
_real_modules: dict[str, bool] = {}


def _drives_real_components(path: Path) -> bool:
    key = str(path)
    if key not in _real_modules:
        source = path.read_text(encoding="utf-8")
        _real_modules[key] = any(helper in source for helper in REAL_COMPONENT_HELPERS)
    return _real_modules[key]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _drives_real_components(item.path):
            item.add_marker(pytest.mark.xdist_group("real-components"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        if reason.startswith(PREFIX):
            _skipped[reason.removeprefix(PREFIX)] += 1


def pytest_unconfigure(config: pytest.Config) -> None:
    """The very last line of the run: what was skipped for want of a real component, and how to run it."""
    if not _skipped:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    count = sum(_skipped.values())
    what = "; ".join(sorted(_skipped))
    reporter.write_line(f"{count} real-component test(s) skipped ({what}); `{ENABLE}` installs the system "
                        f"packages and runs them ({REQUIRE_REAL}=1 makes such skips failures)", yellow=True)
