"""Interface strings in the seven interface languages (vamos_core.languages).

The blocks translate through the runtime's ``i18n`` service. Open edX's ``XBlockI18nService`` finds the catalogs
shipped in this package (``translations/<lang>/LC_MESSAGES/text.mo``, domain ``text``) by itself; the SDK workbench
gets :class:`WorkbenchI18nService` from ``vamos_xblocks.workbench_settings``, which reads the same catalogs.

Source strings are English; ``translations/de`` holds the German catalog. Recompile after editing a ``.po``::

    msgfmt -o xblocks/translations/de/LC_MESSAGES/text.mo xblocks/translations/de/LC_MESSAGES/text.po
"""
from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from vamos_core.languages import INTERFACE_LANGUAGES

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "text"
LANGUAGES = INTERFACE_LANGUAGES


def _(text: str) -> str:
    """Mark a string for extraction where it cannot be translated yet (field names); translate later."""
    return text


@lru_cache(maxsize=16)
def translation(language: str | None) -> gettext.NullTranslations:
    """The catalog for a language such as ``de``, ``de-de`` or ``de_DE``; English (source) otherwise."""
    lang = (language or "en").replace("-", "_").split("_")[0].lower()
    return gettext.translation(DOMAIN, str(TRANSLATIONS_DIR), [lang], fallback=True)


class WorkbenchI18nService:
    """The workbench's i18n service: our catalogs in Django's active language (Open edX brings its own)."""

    runtime = None

    @property
    def translator(self) -> gettext.NullTranslations:
        try:
            from django.utils.translation import get_language
        except ImportError:  # pragma: no cover - the workbench always has Django
            return translation(None)
        return translation(get_language())

    def gettext(self, message: str) -> str:
        return self.translator.gettext(message)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self.translator.ngettext(singular, plural, number)

    ugettext = gettext
    ungettext = ngettext

    def strftime(self, moment, fmt: str) -> str:
        return moment.strftime(fmt)
