"""Region-outage labs: compiled into runbook plans, checked headless, walked in the dashboard."""
