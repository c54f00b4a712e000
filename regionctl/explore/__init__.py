"""`regionctl explore`: search fault schedules for the worst outcome, shrink each finding, hand back a drill.

Pure and deterministic (no I/O, no wall clock): `space` draws and mutates schedules from a topology, `objective`
scores a drill's report, `search` runs random search then mutation of the best, `shrink` minimises a finding,
`scenario` writes and reads the YAML a drill replays. Drills are run by an evaluator the caller passes in
(`pool.py`: a local process pool), so the search does not depend on how the work is split.
"""
