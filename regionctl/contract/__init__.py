"""The shared contract, at the bottom of the layers: everything may import it, it imports nothing above it.

- `faults`: the typed Fault (parsed once at the edge) and its spec strings;
- `snapshot`: the immutable Snapshot every frontend reads;
- `commands`: the Commands frontends send and the Backend protocols (paced, ticking, closable);
- `report`: the typed reports (drill, run and lab --check, blast, status), the one SLO judge; `schema`: their
  JSON Schema;
- `health`: the one rule for a cluster's, a service's and a tenant's state;
- `steps`: a runbook step's status and its transitions.
"""
