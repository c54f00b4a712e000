"""Which keys clients touch, as popularity buckets rather than one entry per key.

Multi-leader conflicts and leaderless stale reads both ask one question: a request
picks a key by popularity; what is the chance that key is among the keys touched by
`u` other writes (writes it has not seen)? Per key that is 1 - (1 - p_k)^u. Keys of
similar popularity share a bucket (ranks 1, 2-3, 4-7, ...), so the answer costs one
term per bucket, and it is memoized per `u` (an integer count of log positions), so a
steady state costs a dictionary lookup. Expected values, no sampling: the same inputs
give the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from regionctl.model.topology import Keyspace as KeyspaceSpec

_EXACT_RANKS = 4096  # below this rank, bucket masses are summed term by term
_MEMO_LIMIT = 50_000


def _mass(first: int, last: int, s: float) -> float:
    """Sum of k^-s for k in [first, last] (an integral with midpoint correction for long tails)."""
    if s == 0.0:
        return float(last - first + 1)
    if last < _EXACT_RANKS:
        return math.fsum(float(k) ** -s for k in range(first, last + 1))
    a, b = first - 0.5, last + 0.5
    if abs(s - 1.0) < 1e-12:
        return math.log(b / a)
    return float((b ** (1.0 - s) - a ** (1.0 - s)) / (1.0 - s))


class Keyspace:
    __slots__ = ("_memo", "buckets", "collision", "keys")

    def __init__(self, spec: KeyspaceSpec) -> None:
        self.keys = spec.keys
        ranges: list[tuple[int, int]] = []
        if spec.zipf == 0.0:
            ranges.append((1, self.keys))
        else:
            first = 1
            while first <= self.keys:
                last = min(self.keys, first * 2 - 1)
                ranges.append((first, last))
                first = last + 1
        masses = [_mass(a, b, spec.zipf) for a, b in ranges]
        total = math.fsum(masses)
        # (keys in the bucket, probability of each of its keys)
        self.buckets = [(b - a + 1, mass / total / (b - a + 1)) for (a, b), mass in zip(ranges, masses, strict=True)]
        # Chance that two independent requests pick the same key (read repair uses it).
        self.collision = math.fsum(m * p * p for m, p in self.buckets)
        self._memo: dict[int, float] = {}

    def hit(self, unseen: int) -> float:
        """Chance that a request's key is among those written by `unseen` other writes."""
        if unseen <= 0:
            return 0.0
        memo = self._memo
        value = memo.get(unseen)
        if value is None:
            value = math.fsum(m * p * -math.expm1(unseen * math.log1p(-p)) if p < 1.0 else m * p
                              for m, p in self.buckets)
            if len(memo) > _MEMO_LIMIT:
                memo.clear()
            memo[unseen] = value
        return value

    def hit_f(self, unseen: float) -> float:
        """`hit` for a fractional count (the expected writes in a fluid), interpolated."""
        if unseen <= 0.0:
            return 0.0
        low = int(unseen)
        frac = unseen - low
        value = self.hit(low)
        return value + frac * (self.hit(low + 1) - value) if frac else value

    def mean_hit(self, unseen: Callable[[float], float], t0: float, t1: float) -> float:
        """The integral over [t0, t1] of hit(unseen(t)): Simpson's rule on four panels (exact when
        `unseen` is constant, the steady state)."""
        span = t1 - t0
        if span <= 0.0:
            return 0.0
        h = span / 4
        values = [self.hit_f(unseen(t0 + i * h)) for i in range(5)]
        if values[0] == values[4] == values[2]:
            return values[0] * span
        return h / 3 * (values[0] + 4 * values[1] + 2 * values[2] + 4 * values[3] + values[4])

    def hit_in(self, unseen: float, share: float) -> float:
        """As `hit`, for a slice holding `share` of the keys (of every popularity) and `unseen`
        writes that all land in that slice."""
        if unseen <= 0.0:
            return 0.0
        if share >= 1.0:
            return self.hit(round(unseen))
        # Within the slice each key is 1/share times as likely: scale the writes instead.
        return self.hit(round(unseen / share)) if share > 0.0 else 0.0


class Carry:
    """Expected counts to whole requests: the fraction left over is carried to the next tick,
    so nothing is rounded away and the total stays exact to within one."""

    __slots__ = ("_left",)

    def __init__(self) -> None:
        self._left: dict[object, float] = {}

    def take(self, key: object, expected: float) -> int:
        value = expected + self._left.get(key, 0.0)
        whole = int(value)
        self._left[key] = value - whole
        return whole
