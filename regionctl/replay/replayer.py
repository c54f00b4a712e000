"""Re-simulate any moment of a recorded session, fast, from checkpoints.

A position is a simulated time and how many of the session's operations have been performed
(several may share one time: stepping shows each). The state at a position is computed by forking
the latest checkpoint at or before it (the simulation pickled: a copy, as the blast prediction forks
one) and running forward, performing the operations on the way exactly as the live backend did
(regionctl.replay.ops). The index pass runs the session once from start to end, keeping a checkpoint
at every CHECKPOINT_EVERY simulated seconds that cost enough simulating to be worth keeping (a quiet
stretch is re-simulated faster than restored), and collecting the events the scrubber steps through.
"""

from __future__ import annotations

import bisect
import pickle
import time
from dataclasses import dataclass, field
from typing import Literal

from regionctl.contract.snapshot import Snapshot
from regionctl.model.topology import Topology
from regionctl.replay.ops import Entry, perform
from regionctl.sim.simulator import Simulation

CHECKPOINT_EVERY = 5.0  # simulated seconds between two candidate checkpoints
CHECKPOINT_EVENTS = 10  # simulated events since the last checkpoint that make one worth keeping
CHECKPOINT_MAX_GAP = 300.0  # simulated seconds: a checkpoint at least this often, events or not
LAG_SAMPLE = 1.0  # simulated seconds between two lag samples (the replication sparkline's history)


@dataclass(frozen=True)
class Position:
    t: float
    applied: int  # operations performed (those at time t may be only partly)


@dataclass(frozen=True)
class Checkpoint:
    """The simulation at a position, pickled: loading it is several times faster than a deep copy of a live
    one (3 ms against 20 ms for active-active) and it is held in a tenth of the memory."""

    at: Position
    loop_events: int
    state: bytes

    @staticmethod
    def of(sim: Simulation, at: Position) -> Checkpoint:
        return Checkpoint(at, sim.loop.events, pickle.dumps(sim, protocol=pickle.HIGHEST_PROTOCOL))

    def restore(self) -> Simulation:
        sim = pickle.loads(self.state)  # our own bytes, made in this process
        assert isinstance(sim, Simulation)
        return sim


@dataclass(frozen=True)
class Mark:
    """Something to step to: an operation (after it was performed) or an event the simulation logged."""

    at: Position
    kind: Literal["command", "event"]
    text: str


@dataclass(frozen=True)
class Divergence:
    """An operation that answered otherwise in the replay than live: the recording and this regionctl disagree."""

    index: int
    entry: Entry
    found: str


@dataclass
class _Cursor:
    sim: Simulation
    applied: int


@dataclass
class Replayer:
    topology: Topology
    seed: int
    entries: tuple[Entry, ...]
    end: float
    every: float = CHECKPOINT_EVERY
    checkpoints: list[Checkpoint] = field(default_factory=list)
    commands: list[Mark] = field(default_factory=list)  # each operation, once performed
    events: list[Mark] = field(default_factory=list)  # what the simulation logged, as the index finds it
    lag_samples: dict[str, list[tuple[float, float, int]]] = field(default_factory=dict)  # node -> samples
    divergences: dict[int, Divergence] = field(default_factory=dict)  # by the operation's index
    indexed_until: float = 0.0

    def __post_init__(self) -> None:
        self.end = max([self.end, *(e.t for e in self.entries)])
        self._times = [e.t for e in self.entries]
        base = Simulation(self.topology, seed=self.seed)
        self.checkpoints.append(Checkpoint.of(base, Position(0.0, 0)))
        self._frontier = _Cursor(base, 0)  # the index pass's own simulation
        self._next_mark = self.every
        self._events_seen = 0
        self._next_sample = 0.0
        self._cursor: _Cursor | None = None
        self.commands.extend(Mark(Position(e.t, i + 1), "command", e.label() + ("" if e.ok else " (refused)"))
                             for i, e in enumerate(self.entries))
        self._collect(self._frontier.sim)

    # -- positions -------------------------------------------------------------------------
    def at(self, t: float) -> Position:
        """The position at time t: every operation up to and including t performed."""
        t = min(max(0.0, t), self.end)
        return Position(t, bisect.bisect_right(self._times, t))

    def _valid(self, position: Position) -> Position:
        """Operations before t are all performed; those after it none."""
        low = bisect.bisect_left(self._times, position.t)
        high = bisect.bisect_right(self._times, position.t)
        return Position(position.t, min(max(position.applied, low), high))

    # -- the state at a position ---------------------------------------------------------------
    def simulation(self, position: Position) -> Simulation:
        """The replay's simulation at `position` (the scrubber's cursor: the next seek may reuse it)."""
        position = self._valid(position)
        cursor = self._cursor
        if cursor is None or cursor.sim.now > position.t or cursor.applied > position.applied:
            checkpoint = self._checkpoint_for(position)
            cursor = _Cursor(checkpoint.restore(), checkpoint.at.applied)
        self._run(cursor, position, extend=False)
        self._cursor = cursor
        return cursor.sim

    def snapshot(self, position: Position) -> Snapshot:
        return self.simulation(position).snapshot(backend="sim")

    def _checkpoint_for(self, position: Position) -> Checkpoint:
        checkpoints = self.checkpoints
        index = bisect.bisect_right([c.at.t for c in checkpoints], position.t) - 1
        while index > 0 and checkpoints[index].at.applied > position.applied:
            index -= 1
        return checkpoints[max(0, index)]

    def _run(self, cursor: _Cursor, position: Position, *, extend: bool) -> None:
        while cursor.applied < position.applied:
            entry = self.entries[cursor.applied]
            self._to(cursor, entry.t, extend)
            outcome = perform(cursor.sim, entry)
            if (outcome.ok, outcome.message, outcome.took) != (entry.ok, entry.result, entry.took):
                found = f"{outcome.message!r}" + (f" (took {outcome.took:g}s)" if outcome.took else "")
                self.divergences[cursor.applied] = Divergence(cursor.applied, entry, found)
            cursor.applied += 1
        self._to(cursor, position.t, extend)

    def _to(self, cursor: _Cursor, t: float, extend: bool) -> None:
        sim = cursor.sim
        while extend:
            step = min(self._next_mark, self._next_sample)
            if step > t:
                break
            sim.run_until(step)
            if step == self._next_sample:
                self._sample(sim)
                self._next_sample += LAG_SAMPLE
            if step == self._next_mark:
                self._consider_checkpoint(cursor)
                self._next_mark += self.every
        sim.run_until(t)
        if extend:
            self._collect(sim)

    def _consider_checkpoint(self, cursor: _Cursor) -> None:
        sim, last = cursor.sim, self.checkpoints[-1]
        if (sim.loop.events - last.loop_events >= CHECKPOINT_EVENTS or sim.now - last.at.t >= CHECKPOINT_MAX_GAP
                or cursor.applied > last.at.applied):
            self._collect(sim)
            self.checkpoints.append(Checkpoint.of(sim, Position(sim.now, cursor.applied)))

    def _collect(self, sim: Simulation) -> None:
        """The events logged since the last look become marks (the scrubber steps through them)."""
        new = sim.events_logged - self._events_seen
        if new <= 0:
            return
        self._events_seen = sim.events_logged
        for at, source, message in sim.events[-new:] if new <= len(sim.events) else sim.events:
            if message.startswith(("fault injected:", "fault healed:", "traffic shifted")):
                continue  # the command's own mark says it
            # In time order: the index pass only goes forward.
            self.events.append(Mark(Position(at, bisect.bisect_right(self._times, at)), "event",
                                    f"{source}: {message}" if source else message))

    def _sample(self, sim: Simulation) -> None:
        now = sim.now
        for cluster in sim.clusters.values():
            for node in cluster.nodes:
                self.lag_samples.setdefault(node.name, []).append(
                    (now, round(cluster.lag_seconds(node, now), 6), cluster.lag_ops(node, now)))

    # -- the index pass ------------------------------------------------------------------------
    def index(self, budget: float | None = None) -> bool:
        """Run the session forward from where the index stopped, for at most `budget` wall seconds (None: to
        the end), keeping checkpoints, marks and lag samples; True once it reached the end."""
        started = time.perf_counter()
        cursor = self._frontier
        while self.indexed_until < self.end:
            target = min(self.end, self.indexed_until + self.every)
            self._run(cursor, Position(target, bisect.bisect_right(self._times, target)), extend=True)
            self.indexed_until = target
            if budget is not None and time.perf_counter() - started >= budget:
                break
        return self.indexed_until >= self.end

    @property
    def indexed(self) -> bool:
        return self.indexed_until >= self.end

    # -- stepping ----------------------------------------------------------------------------
    def next_mark(self, position: Position) -> Mark | None:
        """The first command or event after `position` (events only as far as the index has run)."""
        key = (position.t, position.applied)
        found = [marks[i] for marks in (self.commands, self.events)
                 if (i := bisect.bisect_right([(m.at.t, m.at.applied) for m in marks], key)) < len(marks)]
        return min(found, key=lambda m: (m.at.t, m.at.applied), default=None)

    def previous_mark(self, position: Position) -> Mark | None:
        key = (position.t, position.applied)
        found = [marks[i - 1] for marks in (self.commands, self.events)
                 if (i := bisect.bisect_left([(m.at.t, m.at.applied) for m in marks], key)) > 0]
        return max(found, key=lambda m: (m.at.t, m.at.applied), default=None)

    def lag_history(self, node: str, position: Position, seconds: float) -> list[tuple[float, float, int]]:
        """The lag samples of the `seconds` before `position` (what the live sparkline had seen)."""
        samples = self.lag_samples.get(node, [])
        times = [s[0] for s in samples]
        return samples[bisect.bisect_left(times, position.t - seconds): bisect.bisect_left(times, position.t)]
