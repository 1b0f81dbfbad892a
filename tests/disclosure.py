"""An attacker on published funder counts (issue 16): what can be inferred by subtracting published values?

Each published value stands for a set of possible true counts (``count_range`` for our rounding, or the exact
number / 1..4 for plain "<5" suppression). The difference of two published values stands for every difference of
those sets; when that set holds exactly one value, the attacker *knows* it. A recovered count is such a known
difference (or a known single value) from 1 to threshold-1: a group small enough to single a person out.
"""
from __future__ import annotations

from itertools import combinations
from typing import Callable, Iterable, Sequence

from vamos_core.reports import FUNDER_COUNT_KEYS, SUPPRESSED, SUPPRESSION_THRESHOLD

Cell = tuple[tuple, str, object]  # (row key, column, published value)


def exact_or_suppressed(published) -> range:
    """The preimage for reports that publish exact counts with 1–4 shown as "<5" (the method issue 16 broke)."""
    if published == SUPPRESSED:
        return range(1, SUPPRESSION_THRESHOLD)
    value = int(published)
    return range(value, value + 1)


def cells(rows: Iterable[dict], keys: Sequence[str] = ("module", "organisation", "bundesland", "month")) -> list[Cell]:
    return [(tuple(row[k] for k in keys), column, row[column]) for row in rows for column in FUNDER_COUNT_KEYS]


def known_difference(a, b, preimage: Callable) -> int | None:
    ra, rb = preimage(a), preimage(b)
    low, high = ra.start - (rb.stop - 1), (ra.stop - 1) - rb.start
    return low if low == high else None


def recovered(pairs: Iterable[tuple[Cell, Cell]], preimage: Callable) -> list[tuple[Cell, Cell, int]]:
    found = []
    for a, b in pairs:
        d = known_difference(a[2], b[2], preimage)
        if d is not None and 0 < abs(d) < SUPPRESSION_THRESHOLD:
            found.append((a, b, d))
    return found


def attack(reports: Sequence[list[Cell]], preimage: Callable) -> list[tuple[Cell, Cell, int]]:
    """Every single cell, every pair of cells within a report, and the same cell (group and count) in every two
    reports (overlapping periods, other filters)."""
    found = []
    for report in reports:
        for cell in report:
            r = preimage(cell[2])
            if len(r) == 1 and 0 < r.start < SUPPRESSION_THRESHOLD:
                found.append((cell, cell, r.start))
        found += recovered(combinations(report, 2), preimage)
    indexed = [{(key, column): (key, column, value) for key, column, value in report} for report in reports]
    for first, second in combinations(indexed, 2):
        # a group missing from a report is a published 0
        found += recovered(((first.get(k, (*k, 0)), second.get(k, (*k, 0))) for k in first.keys() | second.keys()),
                           preimage)
    return found
