"""Did-you-mean suggestions by edit distance (pure, no third-party imports).

Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
neighbouring characters each cost 1, so `us-esat` is one edit from `us-east` (a swap) and two
from `us-west`. difflib's ratio, used before, ranked `us-west` first.
"""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice fewest edits away (ties: the first in sorted order), if close enough to be a typo:
    at most two edits, or two fifths of the longer word's length, and fewer edits than either word has
    characters (`c` is not a typo of `a`)."""
    best: tuple[int, str] | None = None
    for choice in sorted(set(choices)):
        distance = edit_distance(word.lower(), choice.lower())
        limit = min(max(2, 2 * max(len(word), len(choice)) // 5), min(len(word), len(choice)) - 1)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, choice)
    return best[1] if best else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'us-east'?`, or nothing when no choice is close."""
    near = closest(word, choices)
    return f"; did you mean {near!r}?" if near else ""
