"""The shared contract, at the bottom of the layers: everything may import it, it imports nothing above it.

- `faults`: the typed Fault (parsed once at the edge) and its spec strings;
- `snapshot`: the immutable Snapshot every frontend reads;
- `commands`: the Commands frontends send and the Backend protocols;
- `report`: the typed reports (drill, run, blast) and their JSON.
"""
