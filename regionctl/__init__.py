"""regionctl: multi-region topology operations, simulated or real."""

__version__ = "0.1.0"
