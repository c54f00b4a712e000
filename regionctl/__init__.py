"""regionctl: multi-region topology operations, simulated or real."""

from regionctl import _codecache

__version__ = "0.1.0"

_codecache.install()  # before any module of the package defines a dataclass
