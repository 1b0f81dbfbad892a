"""A draft lesson rendered for the trainer exactly as learners will see it — also while the draft still has
problems (the loader refuses a broken module as a whole; a preview must not).

The same pipeline as ``vamos_core.rendering`` (Markdown → sanitised HTML, citations, glossary terms), fed
leniently from the document: sources and terms with missing fields are simply left out.
"""
from __future__ import annotations

from typing import Callable

from ..markdown import count_words
from ..model import GlossaryTerm, Source
from ..rendering import RenderedLesson, render_text

WORDS_PER_MINUTE = 150  # B1 readers in their second language read slower than the usual 200–250


def preview_lesson(doc: dict, body: str, media_url: Callable[[str], str]) -> RenderedLesson:
    sources = tuple(Source(str(s["id"]).lower(), str(s.get("title") or s["id"]), s.get("url"))
                    for s in doc["module"].get("sources") or [] if isinstance(s, dict) and s.get("id"))
    terms = tuple(
        GlossaryTerm(str(t["id"]), str(t["term"]).strip(), str(t.get("definition") or ""),
                     tuple(a for a in t.get("aliases") or [] if isinstance(a, str) and a.strip()))
        for t in (doc.get("glossary") or {}).get("terms") or []
        if isinstance(t, dict) and t.get("id") and isinstance(t.get("term"), str) and t["term"].strip())
    return render_text(body or "", sources, terms, media_url)


def reading_figures(body: str) -> tuple[int, int]:
    """(words, minutes of reading at B1 pace, at least 1)."""
    words = count_words(body or "")
    return words, max(1, round(words / WORDS_PER_MINUTE))
