"""Engine adapters: pure command builders and output parsers, one module per engine."""

from __future__ import annotations

from regionctl.backends.ssh.adapters.command import CommandAdapter
from regionctl.backends.ssh.adapters.engine import EngineAdapter
from regionctl.backends.ssh.adapters.etcd import EtcdAdapter
from regionctl.backends.ssh.adapters.patroni import PatroniAdapter
from regionctl.backends.ssh.adapters.postgres import PostgresAdapter
from regionctl.backends.ssh.adapters.redis import RedisAdapter

ADAPTERS: dict[str, type[EngineAdapter]] = {
    "postgres": PostgresAdapter, "patroni": PatroniAdapter, "redis": RedisAdapter, "etcd": EtcdAdapter,
    "command": CommandAdapter,
}


def kind_for_engine(engine: str) -> str:
    """The adapter an engine preset implies when the topology names none."""
    if engine.startswith(("postgres", "pg-")):
        return "postgres"
    if engine.startswith("redis"):
        return "redis"
    if engine == "etcd":
        return "etcd"
    return "command"


def adapter_for(kind: str) -> EngineAdapter:
    return ADAPTERS[kind]()
