"""A log position as a piecewise-linear function of simulated time.

Writes are a fluid: between two events every client's rate is constant, so a leader's
log grows linearly and only changes slope at events. A `Curve` keeps one breakpoint
per slope change (memory grows with events, never with writes or with time) and
answers both ways: the position at a time, and when a position was reached (the
commit time of a write, which lag and RPO are measured from).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right


class Curve:
    __slots__ = ("pos", "rates", "times")

    def __init__(self, start_time: float, start_pos: float) -> None:
        self.times = [start_time]
        self.pos = [start_pos]
        self.rates = [0.0]

    @property
    def rate(self) -> float:
        return self.rates[-1]

    def set_rate(self, at: float, rate: float) -> None:
        """From `at` on, grow at `rate` positions per second (`at` never goes back)."""
        times = self.times
        last = len(times) - 1
        if at < times[last]:
            at = times[last]
        if rate == self.rates[last]:
            return
        if at == times[last]:
            self.rates[last] = rate
            # Merge with the segment before when the slope is the same again.
            if last and self.rates[last - 1] == rate:
                del times[last], self.pos[last], self.rates[last]
            return
        times.append(at)
        self.pos.append(self.pos[last] + self.rates[last] * (at - times[last]))
        self.rates.append(rate)

    def value(self, t: float) -> float:
        times = self.times
        last = len(times) - 1
        if t >= times[last]:
            return self.pos[last] + self.rates[last] * (t - times[last])
        i = bisect_right(times, t) - 1
        if i < 0:
            return self.pos[0]
        return self.pos[i] + self.rates[i] * (t - times[i])

    def time_of(self, p: float) -> float | None:
        """When the curve first reached position `p` (None if it has not, on its current slope never will)."""
        pos = self.pos
        j = bisect_left(pos, p)
        if j < len(pos) and pos[j] == p:
            return self.times[j]
        if j == 0:
            return None  # before the curve began
        i = j - 1  # pos[i] < p, and p < pos[i + 1] if there is one
        rate = self.rates[i]
        if rate <= 0.0:
            return None
        return self.times[i] + (p - pos[i]) / rate

    def breakpoints(self, start: float, end: float) -> list[float]:
        """Breakpoint times strictly inside (start, end)."""
        times = self.times
        i = bisect_right(times, start)
        out = []
        while i < len(times) and times[i] < end:
            out.append(times[i])
            i += 1
        return out

    def max_rate_in(self, start: float, end: float) -> float:
        """The largest slope anywhere in [start, end]."""
        times = self.times
        i = max(0, bisect_right(times, start) - 1)
        best = 0.0
        while i < len(times) and times[i] <= end:
            best = max(best, self.rates[i])
            i += 1
        return best
