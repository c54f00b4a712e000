"""Headless drills: a fault schedule run on the simulator, judged against the SLOs."""
