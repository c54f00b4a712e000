"""What `regionctl run` does once its options are read: plan, journal, backend, executor, report."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from regionctl.cli.common import duration_or_exit, fail, print_json
from regionctl.contract.commands import Backend, ClosableBackend, PacedBackend
from regionctl.contract.report import RunReport
from regionctl.exit_codes import ExitCode
from regionctl.model.topology import Topology
from regionctl.runbook.plan import Plan

if TYPE_CHECKING:
    import asyncio


@dataclass(frozen=True)
class RunRequest:
    """`regionctl run`'s options, as given (checked and parsed by `execute`)."""

    topology: str
    runbook: str
    backend: str = "sim"
    seed: int = 1
    warmup: str = "30s"
    speed: float | None = None
    compare: bool = False
    variables: tuple[str, ...] = ()
    dry_run: bool = False
    yes: bool = False
    approvals: tuple[str, ...] = ()
    keep_faults: bool = False
    journal_path: str | None = None
    resume_path: str | None = None
    as_json: bool = False
    junit: str | None = None
    metrics_port: int | None = None
    quiet: bool = False
    history_path: str | None = None
    keep_probes: bool = False


def parse_vars(variables: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in variables:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"--var {item!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


def load_plan(topology_value: str, runbook_value: str,
              given: dict[str, str]) -> tuple[Topology, Plan, str, Path]:
    """The topology and the checked plan of the runbook; on any problem print FILE:LINE:COL and exit 2."""
    from regionctl.data import resolve_topology_path
    from regionctl.loading import load_topology
    from regionctl.model.diagnostics import InputError
    from regionctl.runbook.plan import PlanError, build_plan

    def read_yaml_file(path: str | Path, keep_going: bool) -> Any:  # (YAML only for a file, or a problem)
        from regionctl.model.yaml_source import read_yaml_file as read

        return read(path, keep_going=keep_going)

    def bail(diagnostics: list[Any]) -> None:
        for diag in diagnostics:
            click.echo(diag.format(), err=True)
        sys.exit(int(ExitCode.INVALID_INPUT))

    path = resolve_topology_path(topology_value)
    try:
        topology = load_topology(path)  # from the validation cache when the file was found valid before
    except InputError as exc:
        bail(exc.diagnostics)
    names = topology.runbook_names()
    if runbook_value in names:
        index = names.index(runbook_value)
        prefix: tuple[str | int, ...] = ("runbooks", index)
        raw, doc = topology.runbooks[index], None  # the file's positions are read only to report a problem
        source = f"{path} (runbook {runbook_value})"
    elif Path(runbook_value).is_file():
        try:
            doc = runbook_doc = read_yaml_file(runbook_value, keep_going=False)
        except InputError as exc:
            bail(exc.diagnostics)
        if not isinstance(runbook_doc.data, dict):
            fail(f"{runbook_value}: expected a runbook (a mapping with name and steps)")
        raw, prefix, source = runbook_doc.data, (), runbook_value
    else:
        listed = ", ".join(names) or "none"
        fail(f"no runbook {runbook_value!r} in {path.name} (its runbooks: {listed}), and no such file")
    try:
        plan = build_plan(raw, topology, given)
    except PlanError as exc:
        from regionctl.runbook.diagnostics import plan_diagnostics

        bail(plan_diagnostics(doc or read_yaml_file(path, keep_going=True), prefix, exc.problems))
    return topology, plan, source, path.resolve()


def _predicted_blast(topology: Topology, plan: Plan, seed: int, at: float) -> dict[str, dict[str, Any]]:
    """Each fault step's reach, predicted on the simulator (alone, from a steady state): a dry run
    on real hosts also gets it, and connects to nothing."""
    from regionctl.analysis.blast import predict_blast
    from regionctl.contract.commands import InjectFault

    out: dict[str, dict[str, Any]] = {}
    for planned in plan.steps:
        if isinstance(planned.command, InjectFault) and planned.command.spec not in out:
            prediction = predict_blast(topology, [planned.command.fault], at=max(at, 30.0), seed=seed)
            out[planned.command.spec] = prediction["blast_radius"]
    return out


def default_journal_path(runbook: str) -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    folder = base / "regionctl" / "journals"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = folder / f"{runbook}-{stamp}-{os.getpid()}.jsonl"
    n = 1
    while path.exists():  # two runs of one process in one second (run --compare): each its own journal
        n += 1
        path = folder / f"{runbook}-{stamp}-{os.getpid()}-{n}.jsonl"
    return path


def _check_new_journal(target: str) -> None:
    """Before anything is touched: a new run's journal is a new (or empty) regular file, never another
    run's journal or a file that is not a journal (a topology, /dev/null)."""
    import stat

    try:
        found = os.lstat(target)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(found.st_mode):
        fail(f"--journal {target}: exists and is not a regular file (a journal is one); give a new path")
    if found.st_size > 0:
        fail(f"--journal {target}: already exists; a new run never writes into an existing file (it may be "
             f"another run's journal, or not a journal at all). Give a new path, or --resume {target} to "
             f"continue the run it records")


def execute(request: RunRequest) -> None:
    for option, given in (("--resume", request.resume_path), ("--journal", request.journal_path),
                          ("--junit", request.junit)):
        if given is not None and not given.strip():  # `--resume ""` must not quietly start a fresh run
            fail(f"{option}: expected the path of a file, found an empty string")
    topology, plan, source, topology_path = load_plan(request.topology, request.runbook,
                                                      parse_vars(request.variables))
    warmup = duration_or_exit("--warmup", request.warmup) if request.backend == "sim" else 0.0
    if request.speed is not None and request.backend != "sim":
        fail("--speed is only for --backend sim (real hosts run in real time)")
    if request.keep_probes and (request.backend == "sim" and not request.compare):
        fail("--keep-probes is for real hosts (--backend ssh, or --compare): the simulator writes nothing")
    if request.keep_probes and topology.ssh is not None and topology.ssh.probe_writes is not None:
        settings = dataclasses.replace(topology.ssh.probe_writes, keep=True)
        topology = dataclasses.replace(topology, ssh=dataclasses.replace(topology.ssh, probe_writes=settings))
    if request.history_path is not None and request.compare:
        fail("--history records one backend's operations: use it without --compare")
    if request.history_path is not None and request.backend != "sim" and (
            topology.ssh is None or topology.ssh.probe_writes is None):
        fail("--history on real hosts records the probe writes, and this topology allows none: set "
             "ssh.probe_writes (they write to your data stores; see `regionctl schema topology`)")
    unknown = [a for a in request.approvals if a not in {p.id for p in plan.steps if p.step.kind == "approve"}]
    if unknown:
        fail(f"--approve {unknown[0]}: the runbook has no approval gate of that id")
    for option, target in (("--junit", request.junit), ("--journal", request.journal_path)):
        if target and not Path(target).resolve().parent.is_dir():
            fail(f"{option} {target}: the directory {Path(target).resolve().parent} does not exist")
    if request.journal_path and not request.dry_run:
        _check_new_journal(request.journal_path)
    if request.dry_run:
        blast = _predicted_blast(topology, plan, request.seed, warmup)
        if request.as_json:
            from regionctl.cli.run_plan import plan_json

            print_json(plan_json(topology, plan, request.backend, source, blast))
        else:
            from regionctl.report.run_view import print_plan

            print_plan(topology, plan, request.backend, source, blast)
        sys.exit(int(ExitCode.PASSED))
    if request.compare:
        _compare(request, topology, topology_path, plan, warmup)
    code, report = _drive(request, _run(request, topology, topology_path, plan, warmup))
    if request.junit:
        from regionctl.report.junit import write_junit

        try:
            write_junit(report, request.junit)
        except OSError as exc:  # the run happened: report it, and say what could not be written
            click.echo(f"regionctl: --junit {request.junit}: {exc.strerror}", err=True)
    if request.as_json:
        print_json(report.to_json())
    else:
        from regionctl.report.run_view import print_run

        print_run(report)
    sys.exit(int(code))


def _inline(request: RunRequest) -> bool:
    """A headless run on the simulator, unpaced and unexported, awaits nothing real: it runs with no
    event loop (contract/inline.py), and so without importing asyncio."""
    return request.backend == "sim" and request.speed is None and request.metrics_port is None


def _drive(request: RunRequest, run: Coroutine[Any, Any, tuple[ExitCode, RunReport]]) -> tuple[ExitCode, RunReport]:
    if _inline(request):
        from regionctl.contract.inline import run_inline

        return run_inline(run)
    import asyncio

    return asyncio.run(run)


def _on_signals(request: RunRequest, handler: Callable[[str], None]) -> Callable[[], None]:
    """SIGINT and SIGTERM call `handler` (with the signal's name) until the returned function is called."""
    signals = (signal.SIGINT, signal.SIGTERM)
    if not _inline(request):
        import asyncio

        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.add_signal_handler(sig, handler, sig.name)

        def restore_loop() -> None:
            for sig in signals:
                loop.remove_signal_handler(sig)

        return restore_loop
    # Inline, a Python signal handler runs between two bytecodes of whatever runs then (a write to
    # stderr, say): it only queues the handler, which runs at the simulator's next yield (contract/inline.py).
    from regionctl.contract.inline import at_next_yield

    def queue(number: int, _frame: object) -> None:
        at_next_yield(lambda: handler(signal.Signals(number).name))

    before = {sig: signal.signal(sig, queue) for sig in signals}

    def restore() -> None:
        for sig, old in before.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)  # (None: set from outside Python)

    return restore


async def _run(request: RunRequest, topology: Topology, topology_path: Path, plan: Plan,
               warmup: float) -> tuple[ExitCode, RunReport]:
    from regionctl.backends.factory import BackendUnavailable, close_backend, open_backend
    from regionctl.report.run_view import progress_printer
    from regionctl.runbook.executor import RunbookExecutor
    from regionctl.runbook.journal import Journal, JournalError, journal_state, load_journal, redact, resolve_secrets
    from regionctl.runbook.plan import secret_params_of
    from regionctl.runbook.resume import check_matches, replay

    state = None
    if request.resume_path:
        try:
            loaded = load_journal(request.resume_path)
            if loaded.torn_line is not None:
                click.echo(f"{request.resume_path}:{loaded.torn_line}: a torn last line (the run died while "
                           "writing it) was ignored", err=True)
            secret = secret_params_of(plan)
            records, _ = resolve_secrets(loaded.records, {name: value for name, (value, _) in secret.items()}, {})
            state = journal_state(records)
            check_matches(state, plan.name, topology.name, request.backend, request.seed,
                          redact(plan.params, plan.secrets, {value: name for name, (value, _) in secret.items()}))
        except JournalError as exc:
            fail(f"--resume: {exc}")
    try:
        backend = await open_backend(request.backend, topology, seed=request.seed, base_dir=topology_path.parent,
                                     probe_writes=True)
    except BackendUnavailable as exc:
        fail(str(exc), ExitCode.STEP_ERROR)
    from regionctl.backends.sim_backend import SimBackend

    sim = backend.sim if request.history_path is not None and isinstance(backend, SimBackend) else None
    if sim is not None:
        sim.enable_probes()  # the topology's `probes` settings, from the start of the warm-up
    # Opened once the backend is there: a run that could not start leaves no empty journal.
    journal_file = Path(request.resume_path or request.journal_path or default_journal_path(plan.name))
    try:
        journal = Journal(journal_file, plan.secrets, resume=state is not None,
                          durable=request.backend != "sim")  # (fsync guards real hosts' steps against power loss)
    except JournalError as exc:
        await close_backend(backend)
        fail(str(exc))
    if not request.quiet:
        click.echo(f"journal: {journal_file}", err=True)
    try:
        if state is not None and request.backend == "sim":
            await backend.advance(warmup)
            try:
                count = await replay(backend, state)
            except JournalError as exc:
                fail(f"--resume: {exc}")
            if not request.quiet:
                click.echo(f"resumed: replayed {count} journaled command(s) on a fresh simulation", err=True)
        elif state is None and warmup > 0:
            await backend.advance(warmup)
        executor = RunbookExecutor(
            backend, topology, plan, on_event=None if request.quiet else progress_printer(),
            keep_faults=request.keep_faults, journal=journal, yes=request.yes,
            approved=frozenset(request.approvals), seed=request.seed if request.backend == "sim" else None,
            completed=state.completed if state else None, undo=_owed(request, state) if state else None,
            resumed=state is not None, topology_path=str(topology_path),
            stopping=(ExitCode(state.stopping[0]), state.stopping[1]) if state and state.stopping else None,
            rollback_done=state.rollback_done if state else frozenset())
        metrics, server = _metrics(request, plan, backend)
        speed = request.speed if request.speed is not None else (1.0 if metrics and request.backend == "sim" else None)
        pacer = _start_pacer(backend, speed, metrics.update if metrics else None)
        if metrics is not None:
            executor.on_event = _with_metrics(executor.on_event, metrics, plan.name)
            if server is not None:  # even with -q: with port 0, this is the only way to learn the URL
                click.echo(f"metrics: {server.url}" + (f" (paced at {speed:g}x)" if speed else ""), err=True)
        interrupts = {"count": 0}

        def on_signal(signame: str) -> None:
            interrupts["count"] += 1
            if interrupts["count"] == 1:
                click.echo(f"\n{signame}: stopping; rolling back what this run changed...", err=True)
                executor.cancel()
            else:
                click.echo(f"{signame}: already rolling back; wait for it (the journal records every step)",
                           err=True)

        restore_signals = _on_signals(request, on_signal)
        try:
            outcome = await executor.run()
        finally:
            restore_signals()
            if pacer is not None:
                pacer.cancel()
            if server is not None:
                server.close()
        return outcome.exit_code, dataclasses.replace(outcome.typed, journal=str(journal_file))
    finally:
        journal.close()
        if sim is not None and sim.probe_checks is not None and request.history_path is not None:
            from regionctl.cli.common import write_history

            write_history(request.history_path, sim.probe_checks.history(), topology=topology.name,
                          seed=request.seed, runbook=plan.name)
        try:
            if request.history_path is not None and request.backend != "sim":
                _write_probe_history(request.history_path, backend, topology.name, plan.name)
        finally:
            await close_backend(backend)  # even when the history cannot be written


def _write_probe_history(path: str, backend: Any, topology: str, runbook: str) -> None:
    """Real hosts: the probe writes and their read-back, in the simulator's history format."""
    from regionctl.backends.ssh.backend import SshBackend
    from regionctl.cli.common import write_history
    from regionctl.consistency.history import Fault, from_records

    if not isinstance(backend, SshBackend) or backend.probe_writer is None:
        return
    faults = [Fault(f.fault.spec, f.at, f.healed_at) for f in backend.snapshot().faults]
    write_history(path, from_records(backend.probe_writer.ledger.history(), faults), topology=topology,
                  backend="ssh", runbook=runbook)


def _owed(request: RunRequest, state: Any) -> list[Any]:
    from regionctl.runbook.resume import sim_owed

    return sim_owed(state) if request.backend == "sim" else list(state.undo)


def _compare(request: RunRequest, topology: Topology, topology_path: Path, plan: Plan, warmup: float) -> None:
    """The same runbook on the simulator and on the real hosts, figures side by side."""
    import dataclasses

    from regionctl.report.compare_view import comparison, print_comparison
    from regionctl.runbook.executor import exit_for

    if request.resume_path or request.journal_path or request.speed is not None or request.junit:
        fail("--compare runs twice with journals of its own: drop --resume, --journal, --speed and --junit")
    reports = {}
    codes = []
    for backend in ("sim", "ssh"):
        if not request.quiet:
            click.echo(f"--- {backend}: {'simulator' if backend == 'sim' else 'real hosts over SSH'}", err=True)
        one = dataclasses.replace(request, backend=backend, compare=False)
        code, report = _drive(one, _run(one, topology, topology_path, plan, warmup if backend == "sim" else 0.0))
        reports[backend] = report.to_json()
        codes.append(code)
        if backend == "sim" and code == ExitCode.INTERRUPTED:  # Ctrl-C meant stop: the real hosts stay untouched
            fail("interrupted during the simulator's run; nothing was done on the real hosts", ExitCode.INTERRUPTED)
    rows = comparison(reports["sim"], reports["ssh"])
    if request.as_json:
        print_json({"comparison": rows, "sim": reports["sim"], "ssh": reports["ssh"]})
    else:
        print_comparison(plan.name, rows, reports["sim"], reports["ssh"])
    # The exit code is what happened to the real hosts; the simulator's column is its prediction. (The
    # simulator starts from the topology file's state; a runbook written for a later state aborts there.)
    sys.exit(int(exit_for(codes[1:])))


def _start_pacer(backend: Backend, speed: float | None,
                 publish: Callable[[Any], None] | None) -> asyncio.Task[None] | None:
    """With --speed (or --metrics-port on the simulator), time is paced in real time by one tick
    source, as in the dashboard; on real hosts the tick source only publishes snapshots."""
    on_snapshot = publish or (lambda _snapshot: None)
    if speed is None and publish is None:
        return None
    import asyncio

    if speed is not None and isinstance(backend, PacedBackend):
        backend.speed = speed
        task: asyncio.Task[None] = asyncio.ensure_future(backend.play(on_snapshot, hz=20.0))
        return task
    if publish is None or not isinstance(backend, ClosableBackend):
        return None

    async def poll() -> None:
        while True:
            publish(backend.snapshot())
            await asyncio.sleep(0.25)

    return asyncio.ensure_future(poll())


def _metrics(request: RunRequest, plan: Plan, backend: Any) -> tuple[Any, Any]:
    if request.metrics_port is None:
        return None, None
    from regionctl.cli.metrics_option import serve_metrics_or_exit
    from regionctl.exporter import MetricsExporter

    metrics = MetricsExporter(backend.snapshot())
    metrics.runbook_steps(plan.name, [p.id for p in plan.steps])
    return metrics, serve_metrics_or_exit(metrics, request.metrics_port)


def _with_metrics(on_event: Any, metrics: Any, runbook: str) -> Callable[[Any], None]:
    from regionctl.exporter import RUNBOOK_STATUSES

    def both(event: Any) -> None:
        if on_event is not None:
            on_event(event)
        if event.step and event.status in RUNBOOK_STATUSES and event.kind in ("step-started", "step-ended"):
            metrics.runbook_step(runbook, event.step, event.status)

    return both
