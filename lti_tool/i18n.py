"""Interface language: seven languages (de, en, ar, fa, tr, ru, uk), chosen per request.

Order (issue 17): the learner's own choice (the language switch; kept on their learner row and cached in the
launch session) → the launch's ``launch_presentation.locale`` claim (``en-US`` → ``en``) → for visitors without
a launch (verification pages) a chosen-language cookie, then the browser's ``Accept-Language`` → German.
Arabic and Farsi pages are ``dir="rtl"``; lesson content stays German and is marked ``lang="de"``.

Numbers inside translated sentences are written in the locale's digits (``vamos_core.locale_format``): the
template ``_``/``ngettext`` format numeric variables before interpolation, so ``%(n)d`` reads "۳" in Farsi.
"""
from __future__ import annotations

import re
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from vamos_core import locale_format
from vamos_core.languages import ENDONYMS, INTERFACE_LANGUAGES, TRANSLATED_LANGUAGES, base_language
from vamos_core.languages import text_direction

DEFAULT = "de"
TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGE_COOKIE = "vamos_lang"  # only for visitors without a launch session (public pages)
LOCAL_TZ = ZoneInfo("Europe/Berlin")  # the programme's users are in Germany; the database stores naive UTC


def available_languages() -> list[str]:
    found = {p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / "messages.mo").is_file()}
    return [code for code in INTERFACE_LANGUAGES if code in found | {DEFAULT}]


def match_locale(requested: str | None, available: list[str]) -> str:
    """``en-US`` → ``en``; ``pt_BR`` → ``pt_BR`` if that catalog exists, else ``pt``; unknown → German."""
    if not requested:
        return DEFAULT
    tag = requested.strip().replace("-", "_")
    if tag in available:
        return tag
    language = tag.split("_")[0].lower()
    return language if language in available else DEFAULT


def chosen_language(languages: list[str]) -> str:
    """The interface language of this request (see the module docstring for the order)."""
    if session.get("sub"):
        if "ui_language" not in session:
            _load_preferences()
        if session.get("ui_language") in languages:
            return session["ui_language"]
        return match_locale(session.get("locale"), languages)
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    if session.get("locale"):
        return match_locale(session.get("locale"), languages)
    return request.accept_languages.best_match(languages, default=DEFAULT)


def _load_preferences() -> None:
    """Once per launch session: the learner's stored choices (one query; then the session holds them)."""
    from . import preferences

    language, reading = preferences.load(current_app.extensions["vamos"].db, session["issuer"], session["sub"])
    session["ui_language"] = language
    session.setdefault("reading", reading.encode())  # a choice made earlier in this session stays


def format_locale() -> str:
    """The locale for numbers and dates: the launch's own locale (``ar-EG``: Arabic-Indic digits) when it is
    the interface language with a region, else the interface language."""
    interface = str(get_locale() or DEFAULT)
    claimed = (session.get("locale") or "").replace("-", "_") if has_request_context() else ""
    return claimed if claimed and base_language(claimed) == interface else interface


def _local(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(LOCAL_TZ)


def local_date(moment: datetime) -> str:
    """A stored UTC time as a date people read, in Germany's time zone and the interface language."""
    return locale_format.long_date(_local(moment), format_locale())


def local_datetime(moment: datetime | None) -> str:
    """Date and time in Germany's time zone, as the interface language writes them (the page names the zone)."""
    if moment is None:
        return ""
    return locale_format.short_datetime(_local(moment).replace(tzinfo=None), format_locale())


def pct(value) -> str:
    """A score or percentage for people: one decimal at most, in the interface language (66,7 / ۶۶٫۷)."""
    return locale_format.number(float(value or 0), format_locale())


def number(value) -> str:
    return locale_format.number(value, format_locale())


def month(period: str) -> str:
    return locale_format.month(period, format_locale())


_INTEGER_FIELD = re.compile(r"%\((\w+)\)[di]")


def _localised(variables: dict) -> dict:
    where = format_locale()
    return {key: locale_format.number(value, where) if isinstance(value, (int, float)) and not isinstance(value, bool)
            else value for key, value in variables.items()}


def format_template(context, text: str):
    """A translated message ready for ``%``: integer fields as text fields (numbers arrive formatted), marked safe
    under autoescape as Jinja's newstyle gettext does (the variables are escaped by ``%``)."""
    text = _INTEGER_FIELD.sub(r"%(\1)s", text)
    return Markup(text) if context.eval_ctx.autoescape else text


def fill(template, variables: dict):
    """The message with its variables, numbers in the locale's digits."""
    return template % _localised(variables)


def _interpolate(context, text: str, variables: dict):
    """What Jinja's newstyle gettext does (autoescape, then ``%``), with numbers in the locale's digits."""
    return fill(format_template(context, text), variables)


def message_template(context, string: str):
    """The translation of ``string`` in the request's language, ready for ``fill`` (``template_text`` keeps it)."""
    return format_template(context, get_translations().ugettext(string))


@pass_context
def _gettext(context, string: str, **variables):
    return fill(message_template(context, string), variables)


@pass_context
def _ngettext(context, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    return _interpolate(context, get_translations().ungettext(singular, plural, num), variables)


@lru_cache(maxsize=256)
def _lang_attributes(content: str, interface: str) -> Markup:
    """Remembered per pair of languages: a quiz page asks for every question and option (81 calls a cycle)."""
    if base_language(content) == base_language(interface):
        return Markup("")
    return Markup(' lang="%s" dir="%s"') % (content, text_direction(content))


def init_app(app: Flask) -> None:
    languages = available_languages()
    app.config["VAMOS_LANGUAGES"] = languages

    def select_locale() -> str:
        return chosen_language(languages) if has_request_context() else DEFAULT

    Babel(app, locale_selector=select_locale, default_locale=DEFAULT, default_translation_directories=str(TRANSLATIONS))
    # ``_`` in templates is Jinja's alias that resolves ``gettext`` at call time, so ``template_text`` can wrap it.
    app.jinja_env.globals.update(gettext=_gettext, ngettext=_ngettext)

    for name, function in (("pct", pct), ("number", number), ("month", month), ("local_date", local_date),
                           ("local_datetime", local_datetime), ("berlin", local_datetime)):
        app.jinja_env.filters[name] = function

    def ui_lang() -> str:
        return str(get_locale() or DEFAULT).replace("_", "-")

    def content_lang(module) -> Markup:
        """``lang``/``dir`` for the module's own text when it differs from the interface language
        (WCAG 3.1.2: a German lesson inside an Arabic interface is read with German rules, left to right)."""
        return _lang_attributes(getattr(module, "language", DEFAULT) or DEFAULT, ui_lang())

    def content_text(text, language: str = DEFAULT) -> Markup:
        """German content (a module or lesson title) inside interface text: isolated and marked (``<bdi lang>``),
        so screen readers switch language and an Arabic sentence keeps its order around it."""
        if text is None or text == "":
            return Markup("")
        if base_language(language) == base_language(ui_lang()):
            return Markup.escape(text)
        return Markup('<bdi lang="%s" dir="%s">%s</bdi>') % (language, text_direction(language), text)

    app.jinja_env.filters["content"] = content_text

    # Globals, not a context processor: macros imported without context (``{% from … import %}``) see them too.
    app.jinja_env.globals.update(content_lang=content_lang, ui_lang=ui_lang, ui_dir=lambda: text_direction(ui_lang()),
                                 interface_languages=languages, language_names=ENDONYMS,
                                 translated_languages=TRANSLATED_LANGUAGES)

    @app.context_processor
    def language():
        from .preferences import Reading

        language = ui_lang()  # first: choosing the language loads the learner's stored choices into the session
        reading = Reading.decode(session.get("reading")) if has_request_context() else Reading()
        return {"html_lang": language, "html_dir": text_direction(language), "reading": reading}
