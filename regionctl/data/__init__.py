"""Files shipped inside the package: the bundled topologies (and later, labs)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
TOPOLOGIES_DIR = DATA_DIR / "topologies"
DEFAULT_TOPOLOGY = "active-passive"


def bundled_topologies() -> list[Path]:
    return sorted(TOPOLOGIES_DIR.glob("*.yaml"))


def default_topology_path() -> Path:
    return TOPOLOGIES_DIR / f"{DEFAULT_TOPOLOGY}.yaml"


def resolve_bundled(value: str, folder: Path) -> Path:
    """A path as given, or the name of a file bundled in `folder` (`active-active`, `async-rpo`)."""
    path = Path(value)
    try:
        if path.exists() or path.suffix in (".yaml", ".yml") or "/" in value:
            return path
        bundled = folder / f"{value}.yaml"
        return bundled if bundled.exists() else path
    except (OSError, ValueError):  # too long for a file name, or a NUL byte: no such file (the reader says so)
        return path


def resolve_topology_path(value: str) -> Path:
    """A path as given, or the name of a bundled topology (`active-active`)."""
    return resolve_bundled(value, TOPOLOGIES_DIR)
