"""Answers computed from the simulator: what a fault would reach, before it is injected."""
