"""The deterministic simulator: a pure core (no asyncio, no I/O, no wall clock).

Same topology + seed + fault schedule => the same events and the same report.
"""
