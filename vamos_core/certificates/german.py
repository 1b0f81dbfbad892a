"""German formats printed on certificates and stated in credentials."""
from __future__ import annotations

from datetime import date

MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
          "September", "Oktober", "November", "Dezember")


def german_date(day: date) -> str:
    """``21. November 2026``."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def german_hours(hours: float) -> str:
    """``2 Zeitstunden``, ``1,5 Zeitstunden``, ``1 Zeitstunde``."""
    number = f"{hours:g}".replace(".", ",")
    return f"{number} Zeitstunde" if hours == 1 else f"{number} Zeitstunden"


def german_percent(score: float) -> str:
    """``85 %``, ``92,5 %`` (one decimal at most, as the quiz shows it)."""
    rounded = round(float(score), 1)
    return f"{rounded:.0f} %" if rounded.is_integer() else f"{rounded:.1f} %".replace(".", ",")
