"""Replicated logs as timelines of batches, counted exactly, stored compactly.

A timeline owns the log positions (fork_pos, end]; positions up to fork_pos belong
to its parent (PostgreSQL's timelines, Raft's log after truncation). Writes arrive
in batches (first position, count, commit time); acknowledgement is kept as
run-length segments, so memory grows with batches and flips, never with writes.
"""

from __future__ import annotations

from bisect import bisect_right


class Timeline:
    __slots__ = ("_ack", "_ends", "_head", "_times", "end", "fork_pos", "parent", "term", "tid")

    def __init__(self, tid: int, parent: Timeline | None, fork_pos: int, term: int) -> None:
        self.tid = tid
        self.parent = parent
        self.fork_pos = fork_pos
        self.term = term
        self.end = fork_pos
        self._ends: list[int] = []
        self._times: list[float] = []
        self._head = 0
        # run-length acknowledgement: [first, last, acked] with positions inclusive
        self._ack: list[list[int]] = []

    def append(self, count: int, commit_time: float, acked: bool) -> tuple[int, int]:
        first = self.end + 1
        self.end += count
        self._ends.append(self.end)
        self._times.append(commit_time)
        flag = 1 if acked else 0
        if self._ack and self._ack[-1][2] == flag and self._ack[-1][1] == first - 1:
            self._ack[-1][1] = self.end
        else:
            self._ack.append([first, self.end, flag])
        return first, self.end

    def last_batch_size(self) -> int:
        if not self._ends:
            return 0
        before = self._ends[-2] if len(self._ends) - self._head > 1 else self.fork_pos
        return self._ends[-1] - before

    def commit_time(self, pos: int) -> float | None:
        """When position `pos` was committed (None if unknown: trimmed or not yet written)."""
        if pos <= self.fork_pos:
            return self.parent.commit_time(pos) if self.parent is not None else None
        index = bisect_right(self._ends, pos - 1, self._head)
        if index >= len(self._ends):
            return None
        if index == self._head:
            return self._times[index]
        # A batch's writes were committed over the interval since the previous batch: interpolate.
        prev_end, prev_time = self._ends[index - 1], self._times[index - 1]
        end, time = self._ends[index], self._times[index]
        return prev_time + (time - prev_time) * (pos - prev_end) / (end - prev_end)

    def position_at(self, when: float) -> int:
        """The last position committed at or before `when` (whole batches; trimmed history counts as before)."""
        index = bisect_right(self._times, when, self._head)
        return self._ends[index - 1] if index > 0 else self.fork_pos

    def acked_in(self, low: int, high: int) -> int:
        """Acknowledged writes among this timeline's own positions in (low, high]."""
        low = max(low, self.fork_pos)
        total = 0
        for first, last, flag in self._ack:
            if not flag or last <= low or first > high:
                continue
            total += min(last, high) - max(first, low + 1) + 1
        return total

    def last_acked_time_in(self, low: int, high: int) -> float | None:
        """Commit time of the newest acknowledged write in (low, high]."""
        for first, last, flag in reversed(self._ack):
            if flag and last > low and first <= high:
                return self.commit_time(min(last, high))
        return None

    def unack(self, low: int, high: int) -> None:
        """Mark (low, high] as not acknowledged (the client never heard back)."""
        out: list[list[int]] = []
        for first, last, flag in self._ack:
            if last <= low or first > high or not flag:
                out.append([first, last, flag])
                continue
            if first <= low:
                out.append([first, low, 1])
            out.append([max(first, low + 1), min(last, high), 0])
            if last > high:
                out.append([high + 1, last, 1])
        merged: list[list[int]] = []
        for seg in out:
            if merged and merged[-1][2] == seg[2] and merged[-1][1] == seg[0] - 1:
                merged[-1][1] = seg[1]
            else:
                merged.append(seg)
        self._ack = merged

    def trim(self, below: int) -> None:
        """Forget batch times for positions every reader already has (bounded memory)."""
        index = bisect_right(self._ends, below, self._head)
        if index - self._head > 256:
            self._head = index
            if self._head > 4096:
                del self._ends[: self._head]
                del self._times[: self._head]
                self._head = 0
        if len(self._ack) > 64:
            keep = [s for s in self._ack if s[1] > below]
            if keep and len(keep) < len(self._ack):
                self._ack = keep

    def lineage(self) -> list[Timeline]:
        out: list[Timeline] = []
        node: Timeline | None = self
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def contains_history_of(self, other: Timeline, pos: int) -> bool:
        """True if `other` up to `pos` is a prefix of this timeline's history."""
        if other is self:
            return True
        for ancestor_child, ancestor in zip(self.lineage(), self.lineage()[1:], strict=False):
            if ancestor is other:
                return pos <= ancestor_child.fork_pos
        return False
