"""The topology, runbook and lab models and their loader."""
