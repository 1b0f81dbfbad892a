"""Disclosure control of the funder report (issue 16, docs/reports.md): counts rounded to base 5 with 1–4
suppressed, over whole months. An attacker who subtracts any two cells of a report, or of two reports for
overlapping periods, recovers no count below the threshold — while the same attacker breaks plain "<5"
suppression (the negative control shows the attack is real)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from tests.disclosure import attack, cells, exact_or_suppressed
from vamos_core.report_rows import funder_rows, whole_months
from vamos_core.reports import count_range, rounded_count, suppress_small_counts


def _rows() -> list[dict]:
    rng = random.Random(16)
    rows = []
    # 8 started / 8 completed / 7 certificates in one cell: one certificate was revoked
    for i in range(8):
        rows.append({"module": "finanzierung", "organisation": "Verein A", "bundesland": "Berlin",
                     "started_at": date(2026, 3, 2), "completed_at": date(2026, 3, 20),
                     "certificate_code": "X" if i < 7 else ""})
    # five who start early in April and two on the 15th: a period ending on the 14th and one ending on the 16th
    # differ by exactly those two
    for day in (2, 2, 3, 6, 9, 15, 15):
        rows.append({"module": "finanzierung", "organisation": "Verein Z", "bundesland": "Hessen",
                     "started_at": date(2026, 4, day), "completed_at": None, "certificate_code": ""})
    for _ in range(120):  # background traffic
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(120))
        done = start + timedelta(days=rng.randrange(40)) if rng.random() < 0.6 else None
        rows.append({"module": rng.choice(["finanzierung", "kommunikation"]),
                     "organisation": rng.choice(["Verein A", "Initiative B", "Verband C"]),
                     "bundesland": rng.choice(["Berlin", "Hessen"]), "started_at": start, "completed_at": done,
                     "certificate_code": "X" if done and rng.random() < 0.9 else ""})
    return rows


def _periods() -> list[tuple[date, date]]:
    days = [date(2026, 1, 1) + timedelta(days=d) for d in range(0, 121, 17)] + [date(2026, 4, 14), date(2026, 4, 16)]
    return [(a, b) for a in days for b in days if a <= b]


def test_rounding_never_lets_differences_recover_a_count_below_five():
    rows, periods = _rows(), _periods()
    reports = [cells(funder_rows(rows, since, until)) for since, until in periods]
    assert len(reports) > 40 and sum(map(len, reports)) > 3000
    assert attack(reports, count_range) == []
    # every published value is consistent with the truth of its (whole-month) period
    for (since, until), report in zip(periods, reports):
        truth = {(key, column): value for key, column, value in cells(funder_rows(rows, since, until, suppress=False))}
        assert all(truth[(key, column)] in count_range(value) for key, column, value in report)


def test_overlapping_periods_show_the_same_value_in_every_shared_month():
    rows = _rows()
    first = {(k, c): v for k, c, v in cells(funder_rows(rows, date(2026, 2, 10), date(2026, 4, 14)))}
    second = {(k, c): v for k, c, v in cells(funder_rows(rows, date(2026, 3, 1), date(2026, 4, 16)))}
    shared = first.keys() & second.keys()
    assert shared and all(first[k] == second[k] for k in shared)
    assert whole_months(date(2026, 2, 10), date(2026, 4, 14)) == (date(2026, 2, 1), date(2026, 4, 30))
    assert whole_months(date(2026, 12, 5), date(2026, 12, 5)) == (date(2026, 12, 1), date(2026, 12, 31))


def test_negative_control_plain_suppression_with_exact_periods_is_broken_by_the_same_attack():
    """The method before issue 16: exact counts, "<5" for 1–4, periods to the day."""
    rows = _rows()

    def naive(since, until):
        inside = [dict(r) for r in rows]
        for r in inside:
            for key in ("started_at", "completed_at"):
                if r[key] is not None and not since <= r[key] <= until:
                    r[key] = None
            if r["completed_at"] is None:
                r["certificate_code"] = ""
        return [suppress_small_counts(r) for r in funder_rows(inside, suppress=False)]

    within = attack([cells(naive(date(2026, 3, 1), date(2026, 3, 31)))], exact_or_suppressed)
    assert any(d == 1 for _a, _b, d in within)  # 8 completed − 7 certificates: one revoked certificate
    across = attack([cells(naive(date(2026, 4, 1), date(2026, 4, 14))),
                     cells(naive(date(2026, 4, 1), date(2026, 4, 16)))], exact_or_suppressed)
    assert any(abs(d) == 2 for _a, _b, d in across)  # the suppressed 2 of the 15th, by subtraction


def test_rounded_count_and_its_range():
    assert [rounded_count(n) for n in range(14)] == [0, "<5", "<5", "<5", "<5", 5, 5, 5, 10, 10, 10, 10, 10, 15]
    for n in range(500):
        assert n in count_range(rounded_count(n))
        assert all(rounded_count(m) == rounded_count(n) for m in count_range(rounded_count(n)))
