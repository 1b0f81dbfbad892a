"""The interface languages of VAMOs and what every adapter needs to know about them.

Lessons are written in German; the interface around them (and the glossary's term translations, issue 17)
comes in the languages our learners read best. The LTI tool and the XBlocks both take their lists from here.
"""
from __future__ import annotations

CONTENT_LANGUAGE = "de"
INTERFACE_LANGUAGES = ("de", "en", "ar", "fa", "tr", "ru", "uk")
# Every glossary term carries its translation into each interface language other than the content's own.
TRANSLATED_LANGUAGES = tuple(code for code in INTERFACE_LANGUAGES if code != CONTENT_LANGUAGE)
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "dv", "sd", "ug", "yi"})

# Each language named in itself, so a learner finds their own language in the switch (endonyms).
ENDONYMS = {
    "de": "Deutsch",
    "en": "English",
    "ar": "العربية",
    "fa": "فارسی",
    "tr": "Türkçe",
    "ru": "Русский",
    "uk": "Українська",
}


def base_language(tag: str | None) -> str:
    """``ar-EG`` / ``ar_EG`` / ``AR`` → ``ar``."""
    return (tag or "").replace("-", "_").split("_")[0].lower()


def text_direction(tag: str | None) -> str:
    return "rtl" if base_language(tag) in RTL_LANGUAGES else "ltr"
