"""`regionctl tui` and bare `regionctl` on the command line: clean errors (exit 2) and,
outside a terminal, the text status instead of the dashboard."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from regionctl.cli.main import cli


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def test_bare_regionctl_outside_a_terminal_prints_the_simulated_status() -> None:
    code, out = run([])
    assert code == 0
    assert "active-passive (active-passive) · backend sim" in out and "cluster orders" in out
    assert "in a terminal, `regionctl` opens the live dashboard" in out


def test_tui_outside_a_terminal_says_it_needs_one() -> None:
    code, out = run(["tui", "active-passive"])
    assert code == 2
    assert out.strip() == ("regionctl: the dashboard needs a terminal (stdin, stdout and stderr are not all a TTY); "
                           "for scripts use `regionctl status` or `regionctl drill`")


@pytest.mark.parametrize(("args", "message"), [
    (["tui", "--speed", "fast"], "--speed: expected a positive factor like 10x or 0.5x (at most 1000x), found 'fast'"),
    (["tui", "--speed", "0"], "--speed: expected a positive factor like 10x or 0.5x (at most 1000x), found '0'"),
    (["tui", "no-such.yaml"], "no-such.yaml"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out = run(args)
    assert code == 2 and message in out and "Traceback" not in out


def test_metrics_port_outside_a_terminal_binds_nothing() -> None:
    code, out = run(["tui", "--metrics-port", "0"])
    assert code == 2 and "the dashboard needs a terminal" in out


def test_help_lists_the_keys() -> None:
    code, out = run(["tui", "--help"])
    assert code == 0
    assert "f inject a fault" in out and "? help" in out and "--backend [sim|ssh]" in out
