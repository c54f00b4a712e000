"""The SSH backend against a real OpenSSH sshd on loopback, with the generic command adapter
(state files written by real commands over real SSH)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from regionctl.backends.ssh import open_ssh_backend
from regionctl.backends.ssh.adapters.base import Plan
from regionctl.backends.ssh.backend import SshBackend
from regionctl.contract.commands import (
    CommandResult,
    Fence,
    HealFault,
    InjectFault,
    Promote,
    Repoint,
    RunCommand,
    ShiftTraffic,
)
from regionctl.contract.faults import parse_fault
from regionctl.contract.snapshot import Snapshot
from regionctl.model.loader import load_topology
from regionctl.runbook.journal import read_journal
from tests.sshhelpers import LoopbackSshd, loopback_sshd_fixture  # noqa: F401  (the fixture)

TOPOLOGY = """\
name: loopback
kind: active-passive
regions:
  - {{name: east}}
  - {{name: west}}
ssh:
  user: {user}
  port: {port}
  known_hosts: {known_hosts}
  identity: [{key}]
  connect_timeout: {connect_timeout}
clusters:
  - name: kv
    engine: generic
    adapter:
      kind: command
      probe: cat {work}/state-$(hostname >/dev/null; echo {{node}})
      stop: rm -f {work}/up
      start: touch {work}/up
      actions:
        promote: "printf 'role=leader\\nterm=2\\nposition=10\\n' > {work}/{{node}}.state"
        repoint: "printf 'role=follower\\nposition=10\\nupstream=%s\\n' {{leader}} > {work}/{{node}}.state"
    nodes:
      - {{name: n1, region: east, role: leader, host: 127.0.0.1, adapter: {{probe: cat {work}/n1.state}}}}
      - {{name: n2, region: west, host: 127.0.0.1, adapter: {{probe: cat {work}/n2.state}}}}
      - {{name: n3, region: west, host: 127.0.0.1, ssh_port: {dead_port}, adapter: {{probe: cat {work}/n3.state}}}}
"""


def write_topology(server: LoopbackSshd, tmp_path: Path, known_hosts: Path | None = None,
                   n3_port: int | None = None, connect_timeout: str = "5s") -> Path:
    from regionctl.sandbox.sshd import free_port

    (server.work / "n1.state").write_text("role=leader\nterm=1\nposition=10\n")
    (server.work / "n2.state").write_text("role=follower\nterm=1\nposition=7\n")
    for name in ("n1.state", "n2.state"):
        shutil.chown(server.work / name, server.user)
    path = tmp_path / "loopback.yaml"
    path.write_text(TOPOLOGY.format(user=server.user, port=server.port, known_hosts=known_hosts or server.known_hosts,
                                    key=server.key, work=server.work, dead_port=n3_port or free_port(),
                                    connect_timeout=connect_timeout))
    return path


async def open_backend(server: LoopbackSshd, tmp_path: Path, known_hosts: Path | None = None) -> SshBackend:
    path = write_topology(server, tmp_path, known_hosts)
    return await open_ssh_backend(load_topology(path), base_dir=path.parent)


async def test_snapshot_has_the_simulator_shape_with_real_probes(loopback_sshd: LoopbackSshd,
                                                                 tmp_path: Path) -> None:
    backend = await open_backend(loopback_sshd, tmp_path)
    try:
        snap = backend.snapshot()
        kv = snap.cluster("kv")
        assert (snap.backend, kv.leader, kv.term, kv.writable) == ("ssh", "n1", 1, True)
        assert [(n.name, n.role, n.health, n.lag_ops) for n in kv.nodes] == [
            ("n1", "leader", "up", 0), ("n2", "follower", "up", 3), ("n3", "follower", "down", 0)]
        assert "unreachable" in backend.errors()["n3"]  # nothing listens on n3's port
        assert {r.name: r.status for r in snap.regions} == {"east": "up", "west": "degraded"}
        assert set(snap.to_status_json()) >= {"topology", "backend", "regions", "clusters", "faults"}
    finally:
        await backend.close()


async def test_services_and_tenants_follow_the_one_rule(loopback_sshd: LoopbackSshd, tmp_path: Path) -> None:
    # n3 is unreachable: kv is writable with a node lost, so what needs it is degraded, as on the simulator
    # (the SSH backend once called such a tenant ok, and had no services).
    path = write_topology(loopback_sshd, tmp_path)
    path.write_text(path.read_text() + "services:\n  - {name: api, depends_on: [kv]}\n"
                    "tenants:\n  - {name: acme, model: pool, services: [api]}\n"
                    "  - {name: globex, model: silo, clusters: [kv]}\n")
    backend = await open_ssh_backend(load_topology(path), base_dir=path.parent)
    try:
        snap = backend.snapshot()
        assert [(s.name, s.status, s.reason) for s in snap.services] == [("api", "degraded", "cluster kv lost a node")]
        assert {t.name: t.status for t in snap.tenants} == {"acme": "degraded", "globex": "degraded"}
    finally:
        await backend.close()


async def test_steady_state_refresh_reuses_the_connection(loopback_sshd: LoopbackSshd, tmp_path: Path) -> None:
    backend = await open_backend(loopback_sshd, tmp_path)
    try:
        first = backend.pool.handshakes
        for _ in range(5):
            await backend.refresh()
        assert first == 1 and backend.pool.handshakes == 1  # n1 and n2 share a host; n3's never connects
    finally:
        await backend.close()


async def test_fan_out_beyond_max_sessions_is_capped_not_refused(loopback_sshd: LoopbackSshd,
                                                                 tmp_path: Path) -> None:
    backend = await open_backend(loopback_sshd, tmp_path)
    try:  # sshd allows 10 sessions per connection; 40 commands at once must all succeed
        results = await asyncio.gather(*(backend.apply(RunCommand("n1", f"echo {i}; sleep 0.05")) for i in range(40)))
        assert [r.message for r in results] == [str(i) for i in range(40)]
        assert backend.pool.handshakes == 1
    finally:
        await backend.close()


async def test_actions_run_declared_commands_with_quoted_arguments(loopback_sshd: LoopbackSshd,
                                                                  tmp_path: Path) -> None:
    backend = await open_backend(loopback_sshd, tmp_path)
    try:
        assert (await backend.apply(Promote("n2"))).ok
        assert (await backend.apply(Repoint("n1", "n2"))).ok
        kv = backend.snapshot().cluster("kv")
        assert kv.leader == "n2" and kv.term == 2
        assert "upstream=n2" in (loopback_sshd.work / "n1.state").read_text()
        odd = await backend.apply(RunCommand("n1", "printf '%s' \"$0\"; echo ' x;y'"))
        assert odd.ok and odd.message.endswith("x;y")
        refused = await backend.apply(ShiftTraffic("west"))
        assert not refused.ok and "entry point" in refused.message
        assert not (await backend.apply(Fence("nope"))).ok
    finally:
        await backend.close()


async def test_node_fault_runs_stop_and_heal_runs_start(loopback_sshd: LoopbackSshd, tmp_path: Path) -> None:
    backend = await open_backend(loopback_sshd, tmp_path)
    up = loopback_sshd.work / "up"
    try:
        up.touch()
        assert (await backend.apply(InjectFault(parse_fault("node:n1")))).ok
        assert not up.exists() and [f.spec for f in backend.snapshot().faults] == ["node:n1"]
        assert (await backend.apply(HealFault(parse_fault("node:n1")))).ok
        assert up.exists() and backend.snapshot().to_status_json()["faults"] == []
        latency = await backend.apply(InjectFault(parse_fault("latency:east|west=50ms")))
        assert not latency.ok and "not available on real hosts" in latency.message
    finally:
        await backend.close()


async def test_unknown_host_key_is_refused(loopback_sshd: LoopbackSshd, tmp_path: Path) -> None:
    other = tmp_path / "other_known_hosts"
    other.write_text(f"[127.0.0.1]:{loopback_sshd.port} ssh-ed25519 "
                     "AAAAC3NzaC1lZDI1NTE5AAAAIHJlZ2lvbmN0bC10ZXN0LW5vdC10aGUtcmVhbC1rZXk\n")
    backend = await open_backend(loopback_sshd, tmp_path, known_hosts=other)
    try:
        assert all(n.health == "down" for n in backend.snapshot().cluster("kv").nodes)
        assert "host key" in backend.errors()["n1"]
        assert backend.pool.handshakes == 0
    finally:
        await backend.close()


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


async def test_a_frozen_host_is_marked_down_by_keepalives(loopback_sshd: LoopbackSshd, tmp_path: Path) -> None:
    """SIGSTOP the sshd serving our connection: keepalives (1 s x 3) must close it and the node go down."""
    backend = await open_backend(loopback_sshd, tmp_path)
    children = descendants(loopback_sshd.pid)
    try:
        assert children and backend.snapshot().node("n1").health == "up"
        for pid in [loopback_sshd.pid, *children]:
            os.kill(pid, signal.SIGSTOP)
        await backend.advance(5.0)
        assert backend.snapshot().node("n1").health == "down"
    finally:
        for pid in [loopback_sshd.pid, *children]:
            os.kill(pid, signal.SIGCONT)
        await backend.close()


async def test_command_timeout_fails_that_command_only(loopback_sshd: LoopbackSshd, tmp_path: Path) -> None:
    backend = await open_backend(loopback_sshd, tmp_path)
    try:
        slow = await backend.apply(RunCommand("n1", "sleep 30", timeout=0.5))
        assert not slow.ok and "timed out after 0.5 s" in slow.message
        assert (await backend.apply(RunCommand("n1", "echo still here"))).message == "still here"
        assert backend.pool.handshakes == 1  # same connection
    finally:
        await backend.close()


async def test_a_host_that_never_answers_costs_only_the_first_round(loopback_sshd: LoopbackSshd,
                                                                    tmp_path: Path) -> None:
    """n3's port accepts TCP but never speaks SSH: the first round waits for its connect timeout (2 s),
    later rounds fail it at once (reconnecting in the background) while n1 and n2 stay up."""
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    path = write_topology(loopback_sshd, tmp_path, n3_port=port, connect_timeout="2s")
    backend = await open_ssh_backend(load_topology(path), base_dir=path.parent)
    try:
        assert backend.snapshot().node("n3").health == "down" and "timed out" in backend.errors()["n3"]
        loop = asyncio.get_running_loop()
        start = loop.time()
        await backend.refresh()
        assert loop.time() - start < 1.0  # not another 2 s connect timeout
        assert [backend.snapshot().node(n).health for n in ("n1", "n2", "n3")] == ["up", "up", "down"]
    finally:
        await backend.close()
        server.close()
        for writer in accepted:
            writer.close()


async def test_user_port_key_and_known_hosts_from_ssh_config(loopback_sshd: LoopbackSshd, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A topology naming only hosts: ~/.ssh/config supplies User, Port, IdentityFile, UserKnownHostsFile."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text(
        f"Host 127.0.0.1\n  User {loopback_sshd.user}\n  Port {loopback_sshd.port}\n"
        f"  IdentityFile {loopback_sshd.key}\n  UserKnownHostsFile {loopback_sshd.known_hosts}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    (loopback_sshd.work / "n1.state").write_text("role=leader\n")
    path = tmp_path / "bare.yaml"
    path.write_text(f"name: bare\nkind: single-region\nregions: [{{name: r}}]\nclusters:\n  - name: kv\n"
                    f"    engine: generic\n    adapter: {{kind: command, probe: cat {loopback_sshd.work}/n1.state}}\n"
                    "    nodes: [{name: n1, region: r, role: leader, host: 127.0.0.1}]\n")
    backend = await open_ssh_backend(load_topology(path))
    try:
        assert backend.snapshot().cluster("kv").leader == "n1", backend.errors()
    finally:
        await backend.close()


async def test_sixteen_hosts_at_once_are_throttled_below_max_startups(loopback_sshd: LoopbackSshd) -> None:
    """One sshd on 16 loopback addresses (its maximum) with the real MaxStartups 10:30:100, which drops
    30% or more of the connections beyond 10 unauthenticated ones: the handshake throttle gets all in."""
    from regionctl.backends.ssh.connections import ConnectSettings, HostKey, HostPool
    from regionctl.sandbox import sshd

    addresses = tuple(f"127.0.1.{i}" for i in range(1, 17))
    port = sshd.free_port()
    server = sshd.prepare(loopback_sshd.dir.parent / "many", addresses[0], port,
                          [loopback_sshd.key.with_suffix(".pub")], more_addresses=addresses[1:])
    key_line = server.known_hosts_line().split(" ", 1)[1]
    known = loopback_sshd.dir.parent / "many_known_hosts"
    known.write_text("".join(f"[{a}]:{port} {key_line}" for a in addresses))
    pid = sshd.start(server)
    pool = HostPool(ConnectSettings(known_hosts=known, identities=(loopback_sshd.key,)))
    try:
        results = await asyncio.gather(*(pool.run(HostKey(a, port, loopback_sshd.user), "echo ok", timeout=10)
                                         for a in addresses))
        assert [r.reason() if not r.ok else r.stdout.strip() for r in results] == ["ok"] * 16
        assert pool.handshakes == 16
    finally:
        await pool.close()
        sshd.stop_pid(pid)


async def test_probes_are_retried_once_actions_never(loopback_sshd: LoopbackSshd, tmp_path: Path) -> None:
    """A probe that gave no answer (here: timed out) is asked again; one that answered with an exit status is not
    (the engine said no, and a second try would hold up the round); an action is never retried."""
    work = loopback_sshd.work
    hung = f"test -e {work}/probe-hung || {{ touch {work}/probe-hung; sleep 3; }}; cat {work}/n1.state"
    refusing = f"echo x >> {work}/probe-refused; exit 1"
    path = write_topology(loopback_sshd, tmp_path)
    text = path.read_text().replace(f"probe: cat {work}/n1.state", f"probe: '{hung}'")
    text = text.replace(f"probe: cat {work}/n2.state", f"probe: '{refusing}'")
    path.write_text(text.replace("  connect_timeout:", "  command_timeout: 1s\n  connect_timeout:"))
    for name in ("probe-hung", "probe-refused", "action-failed"):
        (work / name).unlink(missing_ok=True)
    backend = await open_ssh_backend(load_topology(path), base_dir=path.parent)
    try:
        assert (work / "probe-hung").exists()  # the first probe timed out...
        assert backend.snapshot().node("n1").health == "up"  # ...and its retry succeeded
        assert backend.snapshot().node("n2").health == "down"
        asked = len((work / "probe-refused").read_text().split())
        await backend.refresh()
        assert len((work / "probe-refused").read_text().split()) == asked + 1  # once per round: exit 1 is an answer
        action = f"test -e {work}/action-failed || {{ touch {work}/action-failed; exit 1; }}"
        assert not (await backend.apply(RunCommand("n1", action))).ok  # not retried: it may not be idempotent
    finally:
        await backend.close()


async def test_overlapping_refreshes_share_a_round_unless_they_need_a_newer_one(tmp_path: Path) -> None:
    """The dashboard's poll, a runbook's wait and an action's watch share one probe round; the snapshot an
    action returns is probed after it ended, never a round that went out before."""
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nkind: single-region\nregions: [{name: r}]\nclusters:\n  - name: kv\n"
                    "    engine: generic\n    adapter: {kind: command, probe: 'echo role=leader'}\n"
                    "    nodes: [{name: n1, region: r, role: leader, host: 127.0.0.1}]\n")
    backend = SshBackend(load_topology(path), tmp_path)  # nothing connects until a probe runs
    sent: list[float] = []

    async def round_of_probes() -> Snapshot:
        sent.append(time.monotonic())
        await asyncio.sleep(0.1)
        return backend.snapshot()

    backend._refresh = round_of_probes  # type: ignore[method-assign]
    first = asyncio.ensure_future(backend.refresh())
    await asyncio.sleep(0.02)
    await backend.refresh()  # joins the round under way
    assert len(sent) == 1
    await first
    running = asyncio.ensure_future(backend.refresh())
    await asyncio.sleep(0.02)
    done_at = time.monotonic()
    await backend.refresh(after=done_at)  # that round went out before: wait for it, then probe again
    assert len(sent) == 3 and sent[2] >= done_at
    await running
    await backend.close()


async def test_user_known_hosts_file_none_in_ssh_config_is_refused(loopback_sshd: LoopbackSshd, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`UserKnownHostsFile none` would make asyncssh accept any host key: refused before any handshake,
    and the reason is in the node's error. A topology naming its own known_hosts still connects."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text(
        f"Host 127.0.0.1\n  User {loopback_sshd.user}\n  Port {loopback_sshd.port}\n"
        f"  IdentityFile {loopback_sshd.key}\n  UserKnownHostsFile none\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    (loopback_sshd.work / "n1.state").write_text("role=leader\n")
    path = tmp_path / "bare.yaml"
    text = (f"name: bare\nkind: single-region\nregions: [{{name: r}}]\nclusters:\n  - name: kv\n"
            f"    engine: generic\n    adapter: {{kind: command, probe: cat {loopback_sshd.work}/n1.state}}\n"
            "    nodes: [{name: n1, region: r, role: leader, host: 127.0.0.1}]\n")
    path.write_text(text)
    backend = await open_ssh_backend(load_topology(path))
    try:
        assert backend.snapshot().cluster("kv").nodes[0].health == "down"
        assert "UserKnownHostsFile none" in backend.errors()["n1"] and backend.pool.handshakes == 0
    finally:
        await backend.close()
    path.write_text(text.replace("clusters:", f"ssh: {{known_hosts: {loopback_sshd.known_hosts}}}\nclusters:"))
    backend = await open_ssh_backend(load_topology(path))
    try:
        assert backend.snapshot().cluster("kv").leader == "n1", backend.errors()
    finally:
        await backend.close()


def test_a_kill_while_a_fault_command_runs_is_healed_by_recover(loopback_sshd: LoopbackSshd, tmp_path: Path) -> None:
    """Real sshd, real SIGKILL: the node's stop command ran, the process died before the journal could say
    so (it ends at step-started). The fault is owed: `recover` heals it, and a second recover does nothing."""
    import subprocess
    import sys

    from tests.modelhelpers import REGIONCTL, ROOT

    path = write_topology(loopback_sshd, tmp_path)
    path.write_text(path.read_text() + "runbooks:\n  - name: stop-n1\n    steps:\n"
                    "      - {id: stop, kind: fault, fault: 'node:n1'}\n"
                    "      - {id: linger, kind: wait, condition: 'elapsed > 1h', timeout: 2h, every: 2s}\n")
    up = loopback_sshd.work / "up"
    up.touch()
    journal = tmp_path / "j.jsonl"
    killed = subprocess.run([sys.executable, "-m", "tests.sandbox_kills", "child", str(path), "stop-n1", str(journal),
                             "command", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not up.exists()  # the fault took effect on the host
    assert [r["event"] for r in read_journal(journal)][-1] == "step-started"
    healed = subprocess.run([REGIONCTL, "recover", str(journal)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert healed.returncode == 0 and "heal node:n1" in healed.stdout, healed.stdout + healed.stderr
    assert up.exists()
    again = subprocess.run([REGIONCTL, "recover", str(journal)], capture_output=True, text=True, timeout=60,
                           check=False)
    assert again.returncode == 0 and "already recovered" in again.stdout


def test_a_fault_spec_built_from_a_secret_is_healed_by_recover_on_real_hosts(loopback_sshd: LoopbackSshd,
                                                                             tmp_path: Path) -> None:
    """The journal holds node:${victim} and a digest, never the value; recover reads it again from the
    environment variable the run read, checks it, and heals the right node."""
    import os
    import subprocess
    import sys

    from tests.modelhelpers import REGIONCTL, ROOT

    path = write_topology(loopback_sshd, tmp_path)
    path.write_text(path.read_text() + "runbooks:\n  - name: stop-victim\n    params: {victim: {env: VICTIM}}\n"
                    "    steps:\n      - {id: stop, kind: fault, fault: 'node:${victim}'}\n"
                    "      - {id: linger, kind: wait, condition: 'elapsed > 1h', timeout: 2h, every: 2s}\n")
    up = loopback_sshd.work / "up"
    up.touch()
    journal = tmp_path / "j.jsonl"
    env = {**os.environ, "VICTIM": "n1"}
    killed = subprocess.run([sys.executable, "-m", "tests.sandbox_kills", "child", str(path), "stop-victim",
                             str(journal), "record", "3"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not up.exists() and "n1" not in journal.read_text().replace(str(path), "")
    without = {k: v for k, v in os.environ.items() if k != "VICTIM"}
    refused = subprocess.run([REGIONCTL, "recover", str(journal)], env=without, capture_output=True, text=True,
                             timeout=60, check=False)
    assert refused.returncode == 2 and "--var victim=VALUE or set VICTIM" in refused.stderr and not up.exists()
    healed = subprocess.run([REGIONCTL, "recover", str(journal)], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert up.exists() and "n1" not in healed.stdout and "n1" not in journal.read_text().replace(str(path), "")


def recording_backend(tmp_path: Path, stop: str = "true", start: str = "true") -> tuple[SshBackend, list[str]]:
    """An SshBackend on two hosts whose plans' commands are recorded, not run: no host is reached."""
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nkind: active-passive\nregions: [{name: east}, {name: west}]\nclusters:\n"
                    "  - name: kv\n    engine: generic\n"
                    f"    adapter: {{kind: command, probe: 'echo role=leader', stop: '{stop}', start: '{start}'}}\n"
                    "    nodes: [{name: n1, region: east, role: leader, host: 10.0.0.1, adapter: {address: 10.0.0.1}},"
                    " {name: n2, region: west, host: 10.0.0.2, adapter: {address: 10.0.0.2}}]\n")
    backend = SshBackend(load_topology(path), tmp_path)
    ran: list[str] = []

    async def record(plan: Plan, label: str = "") -> CommandResult:
        ran.extend(step.command for step in plan.steps)
        return CommandResult(True, "ran")

    backend.run_plan = record  # type: ignore[method-assign]
    return backend, ran


async def test_a_partition_heals_whichever_way_round_it_is_written(tmp_path: Path) -> None:
    # Healing partition:west|east after injecting partition:east|west ran the heal but left the injected
    # fault listed as active (it was taken for another process's fault). No host is reached: the plans'
    # commands are recorded, not run.
    backend, ran = recording_backend(tmp_path)
    assert (await backend.apply(InjectFault(parse_fault("partition:east|west")))).ok
    healed = await backend.apply(HealFault(parse_fault("partition:west|east")))
    assert healed.ok and healed.message == "healed partition:east|west"
    faults = backend._build().faults  # the snapshot the next probe round publishes
    assert [(f.spec, f.healed_at is None) for f in faults] == [("partition:east|west", False)]
    assert len(ran) == 4 and all("regionctl_fault_" in command for command in ran)  # two hosts, in and out
    await backend.close()


async def test_overlapping_copies_of_one_fault_hold_until_the_last_heals(tmp_path: Path) -> None:
    # Two copies of node:n1 (a runbook's and the dashboard's): healing the first must not bring n1 back
    # while the second is still injected; the report's heal times then say what the hosts did.
    backend, ran = recording_backend(tmp_path, stop="echo stop", start="echo start")
    fault = parse_fault("node:n1")
    assert (await backend.apply(InjectFault(fault))).ok
    injected = len(ran)
    assert (await backend.apply(InjectFault(fault))).ok and len(ran) == injected  # already in place
    assert (await backend.apply(HealFault(fault))).ok and len(ran) == injected  # n1 stays stopped
    assert [f.healed_at is None for f in backend._build().faults].count(True) == 1
    assert (await backend.apply(HealFault(fault))).ok and len(ran) > injected  # the last copy starts it again
    assert all(f.healed_at is not None for f in backend._build().faults)
    await backend.close()
