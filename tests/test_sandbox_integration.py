"""The real sandbox: three namespaces, real sshd, PostgreSQL under Patroni, Redis and etcd, driven over SSH.

Started once for the module. `make test` installs the packages as root (scripts/system-packages); without
root or a package the tests skip, and fail under REGIONCTL_REQUIRE_REAL=1 (CI).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from regionctl.backends.ssh.backend import SshBackend
from regionctl.contract.commands import (
    Demote,
    HealFault,
    InjectFault,
    Promote,
    Repoint,
    RunCommand,
)
from regionctl.contract.faults import parse_fault
from regionctl.contract.snapshot import Snapshot
from regionctl.model.loader import load_topology
from regionctl.sandbox import manager, network
from regionctl.sandbox.layout import CTL_NS, REGIONS, USER, rtt
from tests.modelhelpers import REGIONCTL
from tests.realdeps import require, require_root

SANDBOX_DIR = Path(f"/var/tmp/regionctl-sandbox-test-{os.getpid()}")


def _user_processes() -> list[str]:
    """Live processes of the sandbox user (read from /proc: minimal images have no ps)."""
    try:
        uid = str(pwd.getpwnam(USER).pw_uid)
    except KeyError:
        return []
    found = []
    for proc in Path("/proc").iterdir():
        try:
            status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if status.get("Uid", "").split()[:1] == [uid] and status.get("State", "").split()[:1] != ["Z"]:
            found.append(f"{proc.name} {status['Name'].strip()}")
    return found


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Path]:
    require_root("the sandbox (network namespaces)")
    missing = manager.missing_requirements()
    require("the sandbox", f"not installed: {', '.join(missing)}" if missing else None)
    try:
        topology = manager.up(SANDBOX_DIR, log=lambda _m: None)
        yield topology
    finally:
        manager.down(SANDBOX_DIR, log=lambda _m: None)
    # Nothing left behind: no namespace, no process of the sandbox user, no directory.
    assert not [ns for ns in network.namespaces() if ns == CTL_NS or ns in {r.netns for r in REGIONS}]
    assert _user_processes() == []
    assert not SANDBOX_DIR.exists()


async def open_sandbox(topology: Path) -> SshBackend:
    """The backend without probe writes of its own (they would keep replicas busy: lag never settles at 0);
    the CLI runs (`open_ssh_backend`) and the probe-write test write them."""
    backend = SshBackend(load_topology(topology), base_dir=topology.parent)
    await backend.refresh()
    return backend


async def wait_for(backend: SshBackend, check: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check(backend.snapshot()):  # type: ignore[operator]
        assert time.monotonic() < deadline, f"condition not met within {timeout} s: {backend.errors()}"
        await backend.advance(0.2)


async def wait_for_command(backend: SshBackend, node: str, command: str, expected: str,
                           timeout: float = 30.0) -> None:
    """Run `command` on `node` until it prints `expected`."""
    deadline = time.monotonic() + timeout
    while (got := (await backend.apply(RunCommand(node, command))).message) != expected:
        assert time.monotonic() < deadline, f"{node}: `{command}` printed {got!r}, not {expected!r}"
        await backend.advance(0.2)


def test_status_over_ssh_reads_leaders_and_lag(sandbox: Path) -> None:
    done = subprocess.run([REGIONCTL, "status", str(sandbox), "--backend", "ssh", "--json"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["backend"] == "ssh"
    leaders = {c["name"]: c["leader"] for c in status["clusters"]}
    assert leaders["orders"] == "pg-1" and leaders["cache"] == "cache-1"
    assert leaders["config"] == "etcd-1"  # `up` hands Raft leadership to us-east, as the runbooks expect
    assert all(n["health"] == "up" for c in status["clusters"] for n in c["nodes"])
    assert [r["status"] for r in status["regions"]] == ["up", "up", "up"]
    again = subprocess.run([REGIONCTL, "sandbox", "up", "--dir", str(sandbox.parent)], capture_output=True,
                           text=True, check=False, timeout=60)
    assert again.returncode == 0 and again.stdout.strip() == str(sandbox) and "already up" in again.stderr
    state = subprocess.run([REGIONCTL, "sandbox", "status", "--dir", str(sandbox.parent), "--json"],
                           capture_output=True, text=True, check=False, timeout=60)
    assert state.returncode == 0 and json.loads(state.stdout)["up"] is True


# Runs on a region's host: the best of five request/reply round trips to each address's port, in ms.
ROUND_TRIPS = """/usr/bin/python3 -c '
import socket, sys, time
port, request = int(sys.argv[1]), sys.argv[2].encode() + b"\\r\\n"
best = []
for host in sys.argv[3:]:
    conn = socket.create_connection((host, port), timeout=5)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(5):
        start = time.monotonic()
        conn.sendall(request)
        conn.recv(4096)
        times.append(time.monotonic() - start)
    best.append(min(times) * 1000)
print(" ".join(f"{ms:.1f}" for ms in best))' """

# Runs on the etcd leader's host: the quickest of five writes to it, in ms. Raft commits a write once a
# majority has it, so that is at least the round trip to the leader's nearest peer.
ETCD_PUT = """/usr/bin/python3 -c '
import json, sys, time, urllib.request
best = 9.0
for _ in range(5):
    body = json.dumps({"key": "cnR0", "value": "MQ=="}).encode()
    start = time.monotonic()
    urllib.request.urlopen(urllib.request.Request(f"http://{sys.argv[1]}:2379/v3/kv/put", data=body), timeout=5).read()
    best = min(best, time.monotonic() - start)
print(f"{best * 1000:.1f}")' """


async def test_every_region_to_region_connection_gets_the_links_rtt(sandbox: Path) -> None:
    """Not only PostgreSQL's replication: Redis clients and replicas, Sentinel and etcd's Raft peers cross the
    delay proxies too (us-east|eu-west 30 ms, eu-west|ap-south 40 ms, us-east|ap-south 60 ms); within a region
    there is no delay."""
    backend = await open_sandbox(sandbox)
    try:
        done = await backend.apply(RunCommand("cache-1", ROUND_TRIPS + "6379 PING 10.77.0.1 10.77.0.2 10.77.0.3",
                                              timeout=30))
        assert done.ok, done.message
        local, eu_west, ap_south = (float(ms) for ms in done.message.split())
        assert local < 10 and 29 <= eu_west < 60 and 59 <= ap_south < 100, done.message
        # A latency fault adds to one link, every protocol on it, both ways; healing takes it away.
        assert (await backend.apply(InjectFault(parse_fault("latency:us-east|eu-west=50ms")))).ok
        await backend.advance(0.5)  # the proxies re-read their setting every 0.2 s
        done = await backend.apply(RunCommand("cache-1", ROUND_TRIPS + "6379 PING 10.77.0.2 10.77.0.3", timeout=30))
        eu_west, ap_south = (float(ms) for ms in done.message.split())
        assert 129 <= eu_west < 180 and 59 <= ap_south < 100, done.message
        assert (await backend.apply(HealFault(parse_fault("latency:us-east|eu-west=50ms")))).ok
        await backend.advance(0.5)
        done = await backend.apply(RunCommand("cache-1", ROUND_TRIPS + "6379 PING 10.77.0.2", timeout=30))
        assert 29 <= float(done.message) < 60, done.message
        leader = backend.snapshot().cluster("config").leader
        assert leader is not None
        region = next(r for r in REGIONS if r.name == backend.snapshot().node(leader).region)
        nearest = min(rtt(region.name, other.name) for other in REGIONS if other != region) * 1000
        done = await backend.apply(RunCommand(leader, ETCD_PUT + region.address, timeout=30))
        assert done.ok and nearest - 1 <= float(done.message) < nearest + 60, (leader, done.message)
    finally:
        await backend.close()


def test_every_sandbox_runbook_passes_over_ssh(sandbox: Path, tmp_path: Path) -> None:
    """The runbooks `up` wrote, through the one runbook executor, on the real hosts (order matters:
    the switchback needs the failover's end state). The sandbox allows probe writes: the real side reports
    writes lost and RPO, and a run's history of them checks like a simulated one."""
    # The first one also runs on the simulator (--compare): the same runbook, two worlds, side by side.
    compared = subprocess.run([REGIONCTL, "run", str(sandbox), "orders-failover", "--compare", "--yes", "--json"],
                              capture_output=True, text=True, check=False, timeout=120)
    assert compared.returncode == 0, compared.stderr[-1500:]
    both = json.loads(compared.stdout)
    assert both["sim"]["backend"] == "sim" and both["ssh"]["backend"] == "ssh"
    rto = next(row for row in both["comparison"] if row["figure"] == "RTO")
    assert rto["sim"] is not None and rto["ssh"] is not None and 0 < rto["ssh"] < 30
    real = both["ssh"]["metrics"]
    assert real["writes_acked"] > 10 and real["writes_lost"] is not None and real["rpo_seconds"] is not None
    assert set(real["probe_writes"]) == {"orders", "cache", "config"}
    # Each leaves the estate as its precheck wants it: config-leader-loss runs twice.
    for runbook in ("orders-switchback", "cache-failover", "cache-switchback", "config-move-leader",
                    "config-leader-loss", "config-leader-loss"):
        done = subprocess.run([REGIONCTL, "run", str(sandbox), runbook, "--backend", "ssh", "--yes", "--history",
                               str(tmp_path / f"{runbook}.jsonl")],
                              capture_output=True, text=True, check=False, timeout=120)
        assert done.returncode == 0, f"{runbook}: exit {done.returncode}\n{done.stdout[-1500:]}{done.stderr[-500:]}"
    # The probe writes of that run and their read-back, in the checker's format: it reads them (0 or 1, never 2).
    checked = subprocess.run([REGIONCTL, "check", str(tmp_path / "config-leader-loss.jsonl"), "--json"],
                             capture_output=True, text=True, check=False, timeout=120)
    assert checked.returncode in (0, 1), checked.stderr[-800:]  # 2 would be a history the checker cannot read
    result = json.loads(checked.stdout)
    assert result["operations"] > 20, result


async def test_postgres_lag_then_failover_repoint_and_rewind(sandbox: Path) -> None:
    backend = await open_sandbox(sandbox)
    psql = "psql -X -A -t -h {addr} -U postgres -d postgres -c {sql}"
    try:
        before = backend.snapshot().node("pg-1").position
        wrote = await backend.apply(RunCommand("pg-1", psql.format(
            addr="10.77.0.1", sql="'CREATE TABLE t AS SELECT generate_series(1, 50000) AS x'")))
        assert wrote.ok, wrote.message
        assert backend.snapshot().node("pg-1").position > before  # the LSN moved
        await wait_for(backend, lambda s: s.node("pg-2").lag_ops == 0 and s.node("pg-3").lag_ops == 0)

        timeline = backend.snapshot().cluster("orders").term
        assert backend.snapshot().cluster("orders").leader == "pg-1"
        assert (await backend.apply(InjectFault(parse_fault("node:pg-1")))).ok
        assert backend.snapshot().node("pg-1").health == "down"
        # Through Patroni: a failover to pg-2 once pg-1's leader key runs out; pg-3 follows it by itself.
        assert (await backend.apply(Promote("pg-2"))).ok
        # The promote returned once Patroni had done it; the next probe rounds show it (on a loaded machine the
        # round that ended the action may still have seen the key in flight, and a repoint then has no leader).
        await wait_for(backend, lambda s: s.cluster("orders").leader == "pg-2" and s.cluster("orders").writable)
        assert (await backend.apply(Repoint("pg-3", "pg-2"))).ok
        orders = backend.snapshot().cluster("orders")
        assert (orders.leader, orders.term, orders.writable) == ("pg-2", timeline + 1, True)
        assert (await backend.apply(RunCommand("pg-2", psql.format(addr="10.77.0.2",
                                                                   sql="'INSERT INTO t VALUES (-1)'")))).ok
        read = "psql -X -A -t -h 10.77.0.3 -U postgres -d postgres -c 'SELECT count(*) FROM t WHERE x = -1'"
        for _ in range(50):  # pg-3 streams from pg-2 now
            if (await backend.apply(RunCommand("pg-3", read))).message == "1":
                break
            await backend.advance(0.1)
        assert (await backend.apply(RunCommand("pg-3", read))).message == "1"

        # Patroni starts pg-1 again as a standby (rewound), never as a second primary; a demote is then a no-op.
        assert (await backend.apply(HealFault(parse_fault("node:pg-1")))).ok
        assert (await backend.apply(Demote("pg-1"))).ok
        await wait_for(backend, lambda s: s.node("pg-1").role == "follower" and s.node("pg-1").lag_ops == 0)
        assert backend.snapshot().cluster("orders").leader == "pg-2"
    finally:  # pg-1 started again even when the above fails: the later tests share this sandbox
        await backend.apply(HealFault(parse_fault("node:pg-1")))
        await backend.close()


async def test_redis_failover_by_sentinel(sandbox: Path) -> None:
    """Nobody runs REPLICAOF here: the Sentinels see the master die, promote a replica, repoint the other,
    and turn the returning old master into a replica of the new one."""
    backend = await open_sandbox(sandbox)
    cli = "redis-cli -h {addr} -p 6379 {args}"
    address = {n.name: f"10.77.0.{i + 1}" for i, n in enumerate(backend.snapshot().cluster("cache").nodes)}
    # Start from quiet Sentinels: the switchback run before may still be wrapping up its failover.
    await wait_for(backend, lambda s: s.cluster("cache").election == "" and s.cluster("cache").leader is not None,
                   timeout=30)
    old = backend.snapshot().cluster("cache").leader
    epoch = backend.snapshot().cluster("cache").term  # Sentinel's config epoch
    assert old is not None
    seen: list[str] = []  # what the failover column said on the way

    def failed_over(snap: Snapshot) -> bool:
        seen.append(snap.cluster("cache").election)
        return snap.cluster("cache").leader not in (None, old) and snap.cluster("cache").writable

    try:
        assert (await backend.apply(InjectFault(parse_fault(f"node:{old}")))).ok
        await wait_for(backend, failed_over, timeout=30)
        new = backend.snapshot().cluster("cache").leader
        assert new is not None
        # The dashboard showed Sentinel at work (the master unreachable for down-after's 3 s; the down flags and
        # the failover pass quicker than a probe round: test_ssh_adapters reads them from captured outputs) ...
        assert f"{old} unreachable" in seen, seen
        # ... and a newer epoch once done (one more per failover, or more when a Sentinel vote had to be retried)
        await wait_for(backend, lambda s: s.cluster("cache").term > epoch)
        other = next(n for n in address if n not in (old, new))
        # Every Sentinel names the new master once the failover is done, and the other replica follows it.
        for node in address:
            ask = f"redis-cli -h {address[node]} -p 26379 SENTINEL get-master-addr-by-name cache"
            await wait_for_command(backend, node, ask, f"{address[new]}\n6379")
        await wait_for(backend, lambda s: s.node(other).role == "follower" and s.node(other).lag_ops == 0, timeout=30)
        assert (await backend.apply(RunCommand(new, cli.format(addr=address[new], args="SET k after")))).ok
        await wait_for_command(backend, other, cli.format(addr=address[other], args="GET k"), "after")
        # Back as an empty master, for a few seconds.
        assert (await backend.apply(HealFault(parse_fault(f"node:{old}")))).ok
        await wait_for(backend, lambda s: s.node(old).role == "follower" and s.node(old).lag_ops == 0, timeout=30)
        assert backend.snapshot().cluster("cache").leader == new
        # Every Sentinel agrees, nothing under way (the one that led the failover may hold it open a few seconds
        # more, until it has reconfigured every replica).
        await wait_for(backend, lambda s: s.cluster("cache").election == "", timeout=30)
        got = await backend.apply(RunCommand(old, cli.format(addr=address[old], args="GET k")))
        assert got.message == "after"  # resynced from the new master
    finally:
        await backend.close()


async def test_etcd_move_leader_and_leader_crash(sandbox: Path) -> None:
    backend = await open_sandbox(sandbox)
    try:
        config = backend.snapshot().cluster("config")
        target = next(n.name for n in config.nodes if n.name != config.leader)
        moved = await backend.apply(Promote(target))
        assert moved.ok, moved.message
        await wait_for(backend, lambda s: s.cluster("config").leader == target)
        term = backend.snapshot().cluster("config").term
        crash = parse_fault(f"node:{target}")
        assert (await backend.apply(InjectFault(crash))).ok  # Raft elects someone else
        try:
            # In a newer term: the members' answers can name the old term's view for a poll or two (seen once
            # in CI: leader etcd-3 at the crashed leader's term), so wait until they agree.
            await wait_for(backend, lambda s: s.cluster("config").leader not in (None, target)
                           and s.cluster("config").term > term)
        finally:  # healed even when the above fails: the later tests share this sandbox
            assert (await backend.apply(HealFault(crash))).ok
        await wait_for(backend, lambda s: s.node(target).health == "up" and s.node(target).lag_ops == 0)
    finally:
        await backend.close()


async def test_partition_with_nftables_and_its_rollback(sandbox: Path) -> None:
    backend = await open_sandbox(sandbox)
    # `endpoint status` is answered by the member itself (ap-south's etcd-3), leader or not: reachability only.
    probe = ("ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.3:2379 --dial-timeout=1s "
             "--command-timeout=3s endpoint status")

    async def reach(node: str) -> str:
        result = await backend.apply(RunCommand(node, probe, timeout=10))
        return "ok" if result.ok else result.message

    try:
        assert await reach("etcd-1") == "ok"
        assert (await backend.apply(InjectFault(parse_fault("partition:us-east|ap-south")))).ok
        regions = {r.name: r.status for r in backend.snapshot().regions}
        assert regions == {"us-east": "isolated", "eu-west": "up", "ap-south": "isolated"}, backend.errors()
        assert backend.snapshot().node("pg-1").health == "isolated", backend.errors()
        assert await reach("etcd-1") != "ok"  # us-east cannot reach ap-south
        assert await reach("etcd-2") == "ok"  # eu-west still can
        assert (await backend.apply(HealFault(parse_fault("partition:us-east|ap-south")))).ok
        assert await reach("etcd-1") == "ok"
        assert backend.snapshot().to_status_json()["faults"] == []
    finally:
        await backend.close()


async def test_latency_fault_slows_only_that_link_through_the_delay_proxy(sandbox: Path) -> None:
    backend = await open_sandbox(sandbox)
    leader = backend.snapshot().cluster("orders").leader
    assert leader is not None
    leader_region = backend.snapshot().node(leader).region
    address = {"us-east": "10.77.0.1", "eu-west": "10.77.0.2", "ap-south": "10.77.0.3"}[leader_region]
    write = (f"psql -X -A -t -h {address} -U postgres -d postgres "
             "-c 'CREATE TABLE IF NOT EXISTS w (x int)' -c 'INSERT INTO w VALUES (1)'")
    slow = next(n.name for n in backend.snapshot().cluster("orders").nodes
                if n.name != leader and n.region != leader_region)
    spec = f"latency:{leader_region}|{backend.snapshot().node(slow).region}=1s"
    try:
        assert (await backend.apply(InjectFault(parse_fault(spec)))).ok
        await backend.advance(0.5)  # the proxies re-read their setting every 0.2 s
        assert (await backend.apply(RunCommand(leader, write))).ok
        assert backend.snapshot().node(slow).lag_ops > 0  # the WAL is still held by the proxy
        await wait_for(backend, lambda s: s.node(slow).lag_ops == 0)
        assert (await backend.apply(HealFault(parse_fault(spec)))).ok
        assert backend.snapshot().to_status_json()["faults"] == []
        # The second of delay hit every protocol on the link, etcd's heartbeats too (100 ms, election after
        # 1 s): Raft may have lost its leader meanwhile. Healed, every cluster leads and takes writes again.
        await wait_for(backend, lambda s: all(c.leader and c.writable for c in s.clusters), timeout=30)
    finally:
        await backend.close()


def test_recover_heals_what_another_process_left_behind(sandbox: Path, tmp_path: Path) -> None:
    """A run that keeps its faults (or dies) leaves them on the hosts; `recover JOURNAL`, a new process,
    rebuilds each heal from the fault spec and runs it."""
    runbook = tmp_path / "leave-faults.yaml"
    runbook.write_text("""name: leave-faults
steps:
  - {id: cut, kind: fault, fault: "partition:us-east|ap-south"}
  - {id: slow, kind: fault, fault: "latency:us-east|eu-west=200ms"}
  - {id: stop, kind: fault, fault: "node:pg-3"}
""")
    journal = tmp_path / "journal.jsonl"
    done = subprocess.run([REGIONCTL, "run", str(sandbox), str(runbook), "--backend", "ssh", "--yes", "--keep-faults",
                           "--journal", str(journal), "-q"], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-1000:]
    latency = sandbox.parent / "regions" / "us-east" / "proxy" / "latency" / "eu-west"
    assert latency.read_text().strip() == "0.2"
    tables = subprocess.run(["ip", "netns", "exec", "rcsb-us-east", "nft", "list", "tables"], capture_output=True,
                            text=True, check=True).stdout
    assert "regionctl_fault_" in tables
    healed = subprocess.run([REGIONCTL, "recover", str(journal)], capture_output=True, text=True, check=False,
                            timeout=120)
    assert healed.returncode == 0, healed.stdout[-1000:] + healed.stderr[-1000:]
    assert latency.read_text().strip() == "0"
    tables = subprocess.run(["ip", "netns", "exec", "rcsb-us-east", "nft", "list", "tables"], capture_output=True,
                            text=True, check=True).stdout
    assert "regionctl_fault_" not in tables
    status = subprocess.run([REGIONCTL, "status", str(sandbox), "--backend", "ssh", "--json"], capture_output=True,
                            text=True, check=False, timeout=60)
    health = {n["name"]: n["health"] for c in json.loads(status.stdout)["clusters"] for n in c["nodes"]}
    assert health["pg-3"] == "up" and set(health.values()) == {"up"}, health


def test_the_exporter_serves_the_real_hosts(sandbox: Path) -> None:
    """`regionctl exporter SANDBOX --backend ssh`: each tick a probe round, the same metric families."""
    import signal

    from tests.exporterhelpers import read_url, scrape, start

    proc = start("exporter", str(sandbox), "--backend", "ssh", "--port", "0")
    try:
        url = read_url(proc.stdout, proc)
        families = scrape(url)
        snap = json.loads(subprocess.run([REGIONCTL, "status", str(sandbox), "--backend", "ssh", "--json"],
                                         capture_output=True, text=True, check=True, timeout=60).stdout)
        for cluster in snap["clusters"]:
            assert families["regionctl_leader"].value(node=cluster["leader"]) == 1.0, cluster["name"]
        assert sum(families["regionctl_node_up"].samples.values()) == 9.0
        t0 = families["regionctl_backend_time_seconds"].value()
        time.sleep(1.0)
        assert scrape(url)["regionctl_backend_time_seconds"].value() > t0  # live: the hosts are probed again
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert "SIGTERM received" in out


async def test_the_dashboard_runs_on_the_real_hosts(sandbox: Path) -> None:
    """The same screen on real hosts: `regionctl tui SANDBOX --backend ssh` without the terminal."""
    from regionctl.tui.app import Dashboard
    from tests.tuihelpers import SIZE, cell, screen_text

    backend = await open_sandbox(sandbox)
    try:
        app = Dashboard(backend, load_topology(sandbox), seed=1)
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 15
            while cell(app, "leaders", "config", "leader") in ("", "-", "✘ none"):
                assert time.monotonic() < deadline, screen_text(app)
                await pilot.pause(0.25)
            # Earlier tests failed orders over; whoever leads now, the screen shows the real one.
            real = backend.snapshot().cluster("orders").leader
            assert real is not None and cell(app, "leaders", "orders", "leader") == f"★ {real}"
            assert "live" in screen_text(app)
            # Nobody presses a key: a member stopped behind the dashboard's back shows up down, then up again.
            member = next(n for n in backend.snapshot().cluster("config").nodes if n.role != "leader")
            region = next(r for r in REGIONS if r.name == member.region)
            for script, down in (("stop.sh", True), ("start.sh", False)):
                subprocess.run(["ip", "netns", "exec", region.netns, "runuser", "-u", USER, "--", "sh",
                                str(sandbox.parent / "nodes" / member.name / script)], check=True, timeout=60)
                deadline = time.monotonic() + 15
                while ("down" in cell(app, "replication", member.name, "status")) != down:
                    assert time.monotonic() < deadline, cell(app, "replication", member.name, "status")
                    await pilot.pause(0.25)
    finally:
        await backend.close()


async def test_region_outage_fails_postgres_over_through_patroni_by_itself(sandbox: Path) -> None:
    """Nobody promotes: the region of the PostgreSQL primary goes down (its Patroni, PostgreSQL, Redis and etcd
    member stopped), the lost leader's key runs out (ttl), and Patroni elects a replica in another region on a new
    timeline. The adapter reads it all from Patroni's REST API; back up, the old primary rejoins rewound."""
    from regionctl.sandbox.layout import PATRONI_LOOP_WAIT, PATRONI_TTL

    backend = await open_sandbox(sandbox)
    orders = "orders"
    try:
        await wait_for(backend, lambda s: s.cluster(orders).leader is not None and s.cluster(orders).writable
                       and all(n.health == "up" and n.lag_ops == 0 for n in s.cluster(orders).nodes
                               if n.role == "follower"), timeout=60)
        before = backend.snapshot().cluster(orders)
        old = before.leader
        assert old is not None
        region = backend.snapshot().node(old).region
        lost = parse_fault(f"region:{region}")
        started = time.monotonic()
        assert (await backend.apply(InjectFault(lost))).ok
        await wait_for(backend, lambda s: s.cluster(orders).leader not in (None, old) and s.cluster(orders).writable,
                       timeout=PATRONI_TTL + 30)
        took = time.monotonic() - started
        after = backend.snapshot().cluster(orders)
        new = after.leader
        assert new is not None and backend.snapshot().node(new).region != region
        assert after.term > before.term  # the promoted replica's new timeline
        # Not sooner than the lost leader's key could run out, nor much later: Patroni, not a step of ours.
        assert PATRONI_TTL - PATRONI_LOOP_WAIT - 1 <= took <= PATRONI_TTL + 20, took
        # Patroni itself names the new leader and its timeline, and the new primary takes writes.
        address = {"us-east": "10.77.0.1", "eu-west": "10.77.0.2", "ap-south": "10.77.0.3"}
        ask = await backend.apply(RunCommand(new, f"curl -s -m 2 http://{address[backend.snapshot().node(new).region]}"
                                                  ":8008/patroni"))
        own = json.loads(ask.message)
        assert (own["role"], own["state"], own["timeline"]) == ("primary", "running", after.term), own
        psql = f"psql -X -A -t -h {address[backend.snapshot().node(new).region]} -U postgres -d postgres -c "
        assert (await backend.apply(RunCommand(new, psql + "'CREATE TABLE IF NOT EXISTS outage (x int)' "
                                                          "-c 'INSERT INTO outage VALUES (1)'"))).ok
        # The region comes back: its Patroni rewinds the old primary and makes it follow the new one.
        assert (await backend.apply(HealFault(lost))).ok
        await wait_for(backend, lambda s: s.node(old).health == "up" and s.node(old).role == "follower"
                       and s.node(old).lag_ops == 0 and s.cluster(orders).leader == new, timeout=60)
        await wait_for(backend, lambda s: all(c.leader and c.writable for c in s.clusters), timeout=30)
    finally:
        await backend.close()


async def test_probe_writes_count_what_a_redis_failover_lost_and_a_direct_read_confirms(sandbox: Path) -> None:
    """Redis replicates asynchronously and Sentinel does not fence: cut the master's region off, and what the old
    master acknowledges until the Sentinels of the other regions promote a replica is thrown away when it
    rejoins as that replica's follower. The probe writes say how many; reading the new master's keys ourselves
    says the same. Every engine took its probe writes. (In-flight data is not lost in the delay proxies: a
    crash alone, with replication a second behind, still delivers what was sent.)"""
    topology = load_topology(sandbox)
    assert topology.ssh is not None and topology.ssh.probe_writes is not None  # on by default on the sandbox
    settings = dataclasses.replace(topology.ssh.probe_writes, rate=8.0, keep=True)
    topology = dataclasses.replace(topology, ssh=dataclasses.replace(topology.ssh, probe_writes=settings))
    backend = SshBackend(topology, base_dir=sandbox.parent)
    await backend.refresh()
    await wait_for(backend, lambda s: s.cluster("cache").election == "" and s.cluster("cache").leader is not None,
                   timeout=30)
    old = backend.snapshot().cluster("cache").leader
    assert old is not None and backend.probe_writer is not None
    old_region = backend.snapshot().node(old).region
    cuts = [f"partition:{old_region}|{r.name}" for r in REGIONS if r.name != old_region]
    address = {n.name: f"10.77.0.{i + 1}" for i, n in enumerate(backend.snapshot().cluster("cache").nodes)}
    backend.start_probe_writes()
    try:
        await backend.advance(2.0)
        for spec in cuts:
            assert (await backend.apply(InjectFault(parse_fault(spec)))).ok
        await wait_for(backend, lambda s: s.cluster("cache").leader not in (None, old) and s.cluster("cache").writable,
                       timeout=40)
        new = backend.snapshot().cluster("cache").leader
        assert new is not None
        await backend.advance(2.0)  # the new master takes probe writes too
        for spec in cuts:
            assert (await backend.apply(HealFault(parse_fault(spec)))).ok
        await wait_for(backend, lambda s: s.node(old).role == "follower" and s.node(old).lag_ops == 0, timeout=30)
        await backend.settle()
        figures = backend.snapshot().metrics
        ledger = backend.probe_writer.ledger
        cache = figures["probe_writes"]["cache"]
        lost = {w.key for w in ledger.lost("cache")}
        # A direct read-back of the new master, by our own command, not the backend's.
        scan = f"redis-cli -h {address[new]} -p 6379 --scan --pattern 'regionctl-probe/*'"
        present = set((await backend.apply(RunCommand(new, scan))).message.split())
        acked = {w.key for w in ledger.writes["cache"] if w.outcome == "ok"}
        assert lost == acked - present
        assert len(lost) >= 3, (cache, ledger.notes)
        assert cache["writes_lost"] == len(lost) and cache["rpo_seconds"] >= 0.5
        assert any(w.node == new and w.outcome == "ok" for w in ledger.writes["cache"])  # after the failover too
        for other in ("orders", "config"):  # PostgreSQL under Patroni, etcd: written, read back, nothing lost
            assert figures["probe_writes"][other]["writes_acked"] > 10, figures["probe_writes"][other]
            assert figures["probe_writes"][other]["writes_lost"] == 0, ledger.notes
        assert figures["writes_lost"] == len(lost)
        # History in the checker's format: the lost writes are what makes it not linearizable.
        from regionctl.consistency.checker import check
        from regionctl.consistency.history import from_records

        assert check(from_records(ledger.history()), "linearizable").verdict == "violated"
    finally:
        await backend.probe_writer.stop()
        left = await backend.probe_writer.clean()
        await backend.close()
    assert left == []
    leader = backend.snapshot().cluster("cache").leader
    assert leader is not None
    quiet = SshBackend(load_topology(sandbox), base_dir=sandbox.parent)  # no probe writes of its own
    try:
        await quiet.refresh()
        scan = f"redis-cli -h {address[leader]} -p 6379 --scan --pattern 'regionctl-probe/*'"
        got = await quiet.apply(RunCommand(leader, scan))
        assert got.ok and got.message == ""  # removed
    finally:
        await quiet.close()


def _sessions_of(pids: list[int]) -> dict[int, str]:
    """Every live process in the sessions of `pids` or a child of one of them (each PostgreSQL backend leads a
    session of its own) -> its state letter (R, S, T: stopped, ...)."""
    def stat(pid: Path) -> list[str]:
        return (pid / "stat").read_text().rsplit(")", 1)[1].split()  # state ppid pgrp session ...

    sessions = set()
    for pid in pids:
        try:
            sessions.add(stat(Path(f"/proc/{pid}"))[3])
        except (OSError, IndexError):
            continue
    found = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = stat(proc)
            except (OSError, IndexError):
                continue
            if (fields[3] in sessions or int(fields[1]) in pids) and fields[0] != "Z":
                found[int(proc.name)] = fields[0]
    return found


def _stopped_user_processes() -> list[str]:
    return [p for p in _user_processes() if Path(f"/proc/{p.split()[0]}/stat").exists()
            and _sessions_of([int(p.split()[0])]).get(int(p.split()[0])) == "T"]


def _nft_counters(netns: str, table: str) -> list[int]:
    """The packet counts of a table's rules, in order (empty: no such table)."""
    done = subprocess.run(["ip", "netns", "exec", netns, "nft", "list", "table", "inet", table],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return []
    words = done.stdout.split()
    return [int(words[i + 2]) for i, w in enumerate(words) if w == "counter" and words[i + 1] == "packets"]


async def test_loss_drops_that_share_of_the_links_packets_and_tcp_carries_on(sandbox: Path) -> None:
    """loss:us-east|ap-south=20%: each packet either way dropped by its sender's nftables with that probability
    (counted), the engines' TCP connections resend and carry on: requests across the link still succeed, the
    regions are not cut off; the heal deletes the tables."""
    from regionctl.backends.ssh.realfaults import table_name

    backend = await open_sandbox(sandbox)
    fault = parse_fault("loss:us-east|ap-south=20%")
    table = table_name(fault)
    east, south = (next(r.netns for r in REGIONS if r.name == name) for name in ("us-east", "ap-south"))
    probe = ("ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.3:2379 --dial-timeout=10s "
             "--command-timeout=10s endpoint status")
    try:
        assert (await backend.apply(InjectFault(fault))).ok
        answered = 0
        for _ in range(20):
            answered += (await backend.apply(RunCommand("etcd-1", probe, timeout=25))).ok
        await backend.advance(3.0)  # heartbeats, replication and Patroni's DCS calls add to the count
        assert {r.name: r.status for r in backend.snapshot().regions} == {
            "us-east": "up", "eu-west": "up", "ap-south": "up"}
        for netns in (east, south):
            sent, dropped = _nft_counters(netns, table)
            assert sent > 300, (netns, sent)
            assert 0.12 < dropped / sent < 0.28, (netns, sent, dropped)
        assert answered >= 15, answered  # lossy, not cut: TCP resends
    finally:
        assert (await backend.apply(HealFault(fault))).ok
        await backend.close()
    assert _nft_counters(east, table) == [] and _nft_counters(south, table) == []


async def test_pause_freezes_the_etcd_leader_and_it_steps_down_when_it_resumes(sandbox: Path) -> None:
    from regionctl.sandbox.engines import engine_pids
    from regionctl.sandbox.layout import Paths

    backend = await open_sandbox(sandbox)
    try:
        await wait_for(backend, lambda s: s.cluster("config").leader is not None and s.cluster("config").writable)
        old = backend.snapshot().cluster("config").leader
        term = backend.snapshot().cluster("config").term
        assert old is not None
        pid = engine_pids(Paths(SANDBOX_DIR))[old]
        fault = parse_fault(f"pause:{old}")
        started = time.monotonic()
        assert (await backend.apply(InjectFault(fault))).ok
        try:
            assert set(_sessions_of([pid]).values()) == {"T"}  # frozen, not gone: the same process
            await wait_for(backend, lambda s: s.cluster("config").leader not in (None, old)
                           and s.cluster("config").term > term, timeout=30)
            assert backend.snapshot().node(old).health == "down"  # it answers nothing
        finally:
            assert (await backend.apply(HealFault(fault))).ok
        assert "T" not in set(_sessions_of([pid]).values())
        took = time.monotonic() - started
        # Resumed in its old term, it hears the new one and follows: the same process, not a restart.
        await wait_for(backend, lambda s: s.node(old).health == "up" and s.node(old).role == "follower"
                       and s.node(old).lag_ops == 0 and s.cluster("config").leader != old, timeout=30)
        assert engine_pids(Paths(SANDBOX_DIR))[old] == pid
        assert took < 60, took
    finally:
        await backend.close()


async def test_pause_freezes_the_patroni_primary_whose_key_runs_out_and_resumed_it_is_demoted(sandbox: Path) -> None:
    """pause:NODE on the primary: Patroni and its PostgreSQL (every backend) stopped, none killed. Its leader key
    runs out (ttl), a replica takes it; SIGCONT, and the old primary's own Patroni finds another holder and
    demotes it (rewound to follow): a GC pause does not make two primaries for long."""
    from regionctl.sandbox.engines import engine_pids, patroni_pids
    from regionctl.sandbox.layout import PATRONI_TTL, Paths

    backend = await open_sandbox(sandbox)
    orders = "orders"
    try:
        await wait_for(backend, lambda s: s.cluster(orders).leader is not None and s.cluster(orders).writable
                       and all(n.health == "up" and n.lag_ops == 0 for n in s.cluster(orders).nodes
                               if n.role == "follower"), timeout=60)
        old = backend.snapshot().cluster(orders).leader
        assert old is not None
        paths = Paths(SANDBOX_DIR)
        pids = [patroni_pids(paths)[f"patroni@{old}"], engine_pids(paths)[old]]
        fault = parse_fault(f"pause:{old}")
        assert (await backend.apply(InjectFault(fault))).ok
        try:
            frozen = _sessions_of(pids)
            # Patroni, the postmaster and its backends (checkpointer, WAL writer, the WAL senders...): all stopped.
            assert len(frozen) >= 5 and set(frozen.values()) == {"T"}, frozen
            await wait_for(backend, lambda s: s.cluster(orders).leader not in (None, old)
                           and s.cluster(orders).writable, timeout=PATRONI_TTL + 30)
        finally:
            assert (await backend.apply(HealFault(fault))).ok
        assert "T" not in set(_sessions_of(pids).values())
        new = backend.snapshot().cluster(orders).leader
        await wait_for(backend, lambda s: s.node(old).health == "up" and s.node(old).role == "follower"
                       and s.node(old).lag_ops == 0 and s.cluster(orders).leader == new, timeout=90)
        assert _stopped_user_processes() == []
    finally:
        await backend.close()
