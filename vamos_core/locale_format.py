"""Numbers, percentages and dates as people of each interface language read them (Babel, CLDR).

Babel picks each locale's separators and month names; the digits themselves it leaves Latin, so this module
writes them in the locale's default numbering system where CLDR says so: Persian digits for ``fa``,
Arabic-Indic digits for ``ar-EG`` or ``ar-SA`` (plain ``ar`` uses Latin digits in CLDR). Both adapters use it.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal

_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}


@lru_cache(maxsize=64)
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse((tag or "de").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("de")


@lru_cache(maxsize=64)
def _digit_table(tag: str) -> dict | None:
    digits = _DIGITS.get(_locale(tag).default_numbering_system)
    return str.maketrans("0123456789", digits) if digits else None


def digits(text: str, tag: str) -> str:
    """``text`` with its Latin digits written in the locale's own digits (unchanged where those are Latin)."""
    table = _digit_table(tag)
    return text.translate(table) if table else text


def number(value, tag: str) -> str:
    """An integer as is (no grouping: years and ids stay 2026), a fraction with one decimal at most."""
    if isinstance(value, int):
        return digits(str(value), tag)
    return digits(format_decimal(round(float(value or 0), 1), format="#,##0.#", locale=_locale(tag),
                                 numbering_system="default"), tag)


def long_date(moment: date | datetime, tag: str) -> str:
    day = moment.date() if isinstance(moment, datetime) else moment
    return digits(_babel_date(day, "long", locale=_locale(tag)), tag)


def short_datetime(moment: datetime, tag: str) -> str:
    """Date with a four-digit year and time without seconds (de: "02.12.2026, 17:05"; en: "Dec 2, 2026, 5:05 PM"),
    joined the way the locale joins them."""
    locale = _locale(tag)
    joined = str(locale.datetime_formats["medium"]).replace("'", "")
    text = joined.replace("{1}", _babel_date(moment.date(), "medium", locale=locale)).replace(
        "{0}", format_time(moment.time(), "short", locale=locale))
    return digits(text, tag)


def month(period: str, tag: str) -> str:
    """``2026-12`` → "Dezember 2026" / "декабрь 2026 г." / "دسامبر ۲۰۲۶" (the stand-alone month name)."""
    try:
        year, month_number = (int(part) for part in period.split("-")[:2])
        return digits(format_skeleton("yMMMM", date(year, month_number, 1), locale=_locale(tag)), tag)
    except (ValueError, TypeError):
        return period
