"""Interface language: German by default, any language with a catalog in ``translations/``.

The language comes from the launch's ``launch_presentation.locale`` claim (kept in the launch session),
e.g. ``en-US`` → ``en``. A locale without a catalog falls back to German. The text direction follows
the chosen language, so an Arabic or Farsi catalog needs no template change.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, session
from markupsafe import Markup
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from flask_babel import Babel, format_decimal, get_locale

DEFAULT = "de"
TRANSLATIONS = Path(__file__).parent / "translations"
RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "ckb", "dv", "sd", "ug", "yi"}


def available_languages() -> list[str]:
    found = {p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / "messages.mo").is_file()}
    return sorted(found | {DEFAULT})


def match_locale(requested: str | None, available: list[str]) -> str:
    """``en-US`` → ``en``; ``pt_BR`` → ``pt_BR`` if that catalog exists, else ``pt``; unknown → German."""
    if not requested:
        return DEFAULT
    tag = requested.strip().replace("-", "_")
    if tag in available:
        return tag
    language = tag.split("_")[0].lower()
    return language if language in available else DEFAULT


LOCAL_TZ = ZoneInfo("Europe/Berlin")  # the programme's users are in Germany; the database stores naive UTC


def _local(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(LOCAL_TZ)


def local_date(moment: datetime) -> str:
    """A stored UTC time as a date people read, in Germany's time zone and the interface language."""
    return babel_date(_local(moment).date(), "long", locale=str(get_locale() or DEFAULT))


def local_datetime(moment: datetime) -> str:
    """Date and time in Germany's time zone (e.g. ``02.12.2026, 17:05``), with the zone named by the page."""
    return babel_datetime(_local(moment), "dd.MM.yyyy, HH:mm", locale=str(get_locale() or DEFAULT))


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0].lower() in RTL_LANGUAGES else "ltr"


def init_app(app: Flask) -> None:
    languages = available_languages()

    def select_locale() -> str:
        return match_locale(session.get("locale"), languages)

    Babel(app, locale_selector=select_locale, default_locale=DEFAULT, default_translation_directories=str(TRANSLATIONS))

    def pct(value) -> str:
        """A score or percentage for people: one decimal at most, in the interface language (66,7)."""
        return format_decimal(round(float(value or 0), 1), format="#,##0.#")

    app.jinja_env.filters["pct"] = pct
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["local_datetime"] = local_datetime

    def berlin(value) -> str:
        """A stored UTC time as people in Germany read it (Europe/Berlin), in the interface language."""
        from datetime import timezone
        from zoneinfo import ZoneInfo

        from flask_babel import format_datetime as babel_datetime

        if value is None:
            return ""
        aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
        return babel_datetime(aware.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None), "short")

    app.jinja_env.filters["berlin"] = berlin

    @app.context_processor
    def language():
        locale = str(get_locale() or DEFAULT)

        def content_lang(module) -> Markup:
            """``lang``/``dir`` for the module's own text when it differs from the interface language
            (WCAG 3.1.2: a German lesson inside an English interface is read with German rules)."""
            content = getattr(module, "language", DEFAULT) or DEFAULT
            if content.split("-")[0] == locale.split("_")[0]:
                return Markup("")
            return Markup(' lang="%s" dir="%s"') % (content, text_direction(content))

        return {"html_lang": locale.replace("_", "-"), "html_dir": text_direction(locale), "content_lang": content_lang}
