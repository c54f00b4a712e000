"""`regionctl blast TOPOLOGY --fault SPEC [--fault SPEC]...`"""

from __future__ import annotations

import click

from regionctl.contract.faults import FAULT_HELP


@click.command(epilog="\b\nFault specs:\n" + FAULT_HELP)
@click.argument("topology")
@click.option("--fault", "faults", multiple=True, required=True, metavar="SPEC",
              help="The fault to assess; repeat to assess several injected together.")
@click.option("--at", "at", default="30s", show_default=True,
              help="Simulated time to fork at (the steady state the fault would strike).")
@click.option("--horizon", default="5m", show_default=True, help="How long to run the fault forward.")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same answer.")
@click.option("--json", "as_json", is_flag=True, help='Print {"blast_radius": {...}, ...} as JSON.')
def blast(topology: str, faults: tuple[str, ...], at: str, horizon: str, seed: int, as_json: bool) -> None:
    """Predict what a fault would reach, before injecting it.

    The simulator runs TOPOLOGY to --at, forks, injects the fault(s) into the fork
    and runs them forward: the answer is what a drill would observe, not an estimate.
    It names the regions, zones and nodes reached, the clusters that lose their
    leader or quorum, the services and tenants affected, the share of traffic that
    sees errors, the acknowledged writes not yet replicated (data at risk) and the
    RTO the failover policy gives.

    \b
    Exit codes: 0 answered, 2 invalid input.

    \b
    Example:
      regionctl blast active-passive --fault region:us-east
    """
    from regionctl.cli.common import duration_or_exit, fail, faults_or_exit, load_topology_or_exit, print_json

    model, _ = load_topology_or_exit(topology)
    fork_at = duration_or_exit("--at", at)
    run_for = duration_or_exit("--horizon", horizon)
    if run_for <= 0:
        fail("--horizon: expected a positive duration such as 5m")
    schedule = faults_or_exit(faults, model)
    for item in schedule:
        if item.at or item.duration is not None:
            fail(f"--fault {item.fault.spec}: blast injects every fault at --at and keeps it; "
                 "drop the @T/+D part")

    from regionctl.analysis.blast import predict

    result = predict(model, [item.fault for item in schedule], at=fork_at, seed=seed, horizon=run_for)
    if as_json:
        print_json(result.to_json())
    else:
        from regionctl.report.blast_view import print_blast

        print_blast(result)
