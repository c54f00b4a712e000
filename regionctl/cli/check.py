"""`regionctl check FILE [--model M]... [--json] [--budget N]`"""

from __future__ import annotations

import sys

import click

from regionctl.consistency.checker import ALIASES, MODELS
from regionctl.consistency.linearizable import DEFAULT_BUDGET
from regionctl.exit_codes import ExitCode

MODEL_HELP = "\n".join(f"  {name:20} {text}" for name, text in MODELS.items())


@click.command(epilog="\b\nModels:\n" + MODEL_HELP + "\n  sequential-session   the same as session")
@click.argument("history", metavar="FILE")
@click.option("--model", "models", multiple=True, type=click.Choice([*MODELS, *ALIASES]),
              help="The model the history must satisfy (default linearizable); repeat to check several.")
@click.option("--json", "as_json", is_flag=True, help='Print {"history": ..., "checks": [...]} as JSON.')
@click.option("--budget", type=click.IntRange(min=1), default=DEFAULT_BUDGET, show_default=True,
              help="Linearizability search steps allowed per key before the answer is `unknown`.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Anomalies shown per model in the text output (JSON lists them all).")
def check(history: str, models: tuple[str, ...], as_json: bool, budget: int, limit: int) -> None:
    """Check a history of probe operations against a consistency model.

    FILE is a JSONL history (docs/history.md; `-` reads standard input): one
    operation per line, as the simulator's probe sessions and real-host probe
    writes record them. Each anomaly comes with the fewest operations that show
    it, its time relative to the faults in the header, and one sentence.

    \b
    Exit codes: 0 the model holds, 1 it is violated, 2 invalid input,
    3 unknown (the search budget ran out before an answer).

    \b
    Example:
      $ regionctl check drill-history.jsonl --model linearizable --model read-your-writes
       VIOLATED   linearizable  23,313 operations · 16 keys · 12 sessions ...
      #1 t=75.463s (15.463s after region:us-east)  linearizability  orders/k4
          eu-west/orders/1.0 read 216 from k4 at 75.462s, yet the write of 218 ...
    """
    from regionctl.cli.common import fail, print_json
    from regionctl.consistency.checker import check as run_check
    from regionctl.consistency.files import read_history
    from regionctl.consistency.history import HistoryError

    try:
        loaded = read_history(history)
    except HistoryError as exc:
        fail(str(exc))
    results = [run_check(loaded, m, budget) for m in (models or ("linearizable",))]
    if as_json:
        print_json({"history": history, "operations": len(loaded.operations),
                    "faults": [f.to_json() for f in loaded.faults], "checks": [r.to_json() for r in results]})
    else:
        from regionctl.report.consistency_view import render_consistency
        from regionctl.report.console import report_console

        report_console().print(render_consistency([r.to_json() for r in results], limit))
    if any(r.verdict == "violated" for r in results):
        sys.exit(int(ExitCode.FAILED))
    if any(r.verdict == "unknown" for r in results):
        sys.exit(int(ExitCode.ABORTED))
