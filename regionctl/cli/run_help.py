"""The part of `regionctl run --help` that teaches the runbook format (kept import-free)."""

RUN_EPILOG = """\b
A runbook (in the topology's `runbooks:` list or its own file; `regionctl schema runbook`):
  - name: failover-to-eu-west
    precheck: ['leader(orders).region == "us-east"']
    guards: [{name: lag, condition: "max_lag_seconds < 30s", action: abort}]
    steps:
      - {id: outage,  kind: fault,  fault: "region:us-east"}
      - {id: promote, kind: action, action: promote, target: pg-3, needs: [outage]}
      - {id: ready,   kind: wait,   condition: "writable(orders)", timeout: 2m}
      - {id: shift,   kind: action, action: shift-traffic, target: eu-west}
      - {id: record,  kind: measure}
    rollback:
      - {id: back, kind: action, action: promote, target: pg-1}
    observe: 1m           # keep watching after the last step, so RTO and lag settle

\b
Step kinds: fault, heal, action (promote demote repoint fence unfence read-only
read-write shift-traffic command), wait, check, measure, approve, note. Each step
may set needs, timeout, retries, backoff, on_failure (abort | continue).

\b
Conditions (wait, check, precheck, guards):
  leader(CLUSTER).region == "eu-west"    lag(NODE) < 2s       lag_ops(NODE) < 100
  writable(CLUSTER)   availability(CLUSTER) >= 99%   health(NODE) == "down"
  term(CLUSTER) > 1   region(NAME).status == "up"   tenant(NAME).status == "ok"
  writes_lost == 0    rto_seconds <= 60s   elapsed > 2m   not election(CLUSTER)
  combine with and, or, not and parentheses; durations and percentages carry units.

\b
Exit codes: 0 passed, 1 a check or objective failed, 2 invalid input, 3 aborted
(precheck, guard, approval gate), 4 a step errored, 5 interrupted (rolled back),
6 a rollback failed (the report lists what is left degraded).

\b
Examples:
  regionctl run active-passive failover-to-eu-west
  regionctl run active-passive failover-to-eu-west --dry-run
  regionctl run active-passive planned-switchover --yes --json > report.json
  regionctl run my-topology.yaml drill.yaml --var target=pg-3 --junit junit.xml
"""
