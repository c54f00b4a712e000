"""Runbooks: the plan (checked before anything runs), the one executor, its journal and report."""
