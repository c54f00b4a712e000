"""Session recording and replay: every change a dashboard session made to the simulator, with the
simulated time it took effect (`ops`), the file that keeps them (`sessionfile`), and the replay that
re-simulates any moment of it from checkpoints (`replayer`). Pure: no Textual, no wall clock in results.
"""
