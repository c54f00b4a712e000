"""Backends: what drives a topology (the embedded simulator, or real hosts over SSH)."""
