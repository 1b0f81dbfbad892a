"""Search across one module's lessons and glossary, for learners (issue 17).

Matches ignore case and German spelling without umlauts (``Zuwendungsbestatigung``, ``Zuwendungsbestaetigung``
and ``Zuwendungsbestätigung`` find the same), and a glossary term is also found by its translation in the
learner's language (a learner may type ``donation receipt`` or ``إيصال التبرع``). Plain text only: the lesson
Markdown is reduced to words, so markup never matches and a snippet never carries HTML.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .model import GlossaryTerm, Lesson, Module

MIN_QUERY = 2
MAX_QUERY = 100
SNIPPET = 80  # characters on each side of the first match


@dataclass(frozen=True)
class LessonHit:
    lesson: Lesson
    matches: int
    before: str
    match: str
    after: str


@dataclass(frozen=True)
class TermHit:
    term: GlossaryTerm
    lesson: Lesson | None  # the first lesson that mentions the term, for "read it there"


@dataclass(frozen=True)
class Results:
    query: str
    lessons: tuple[LessonHit, ...]
    terms: tuple[TermHit, ...]


_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "s"})
_TWO_LETTER = (("ae", "a"), ("oe", "o"), ("ue", "u"), ("ss", "s"))


def fold(text: str) -> str:
    """Lower case without accents; ä → a and ae → a, so both spellings meet. For matching only: snippets are cut
    from the original text through a position map (``_folded_with_positions``)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    for pair, single in _TWO_LETTER:
        text = text.replace(pair, single)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each folded character, its index in ``text`` (to cut snippets from the original)."""
    out, positions = [], []
    for index, char in enumerate(text):
        for piece in fold(char):
            out.append(piece)
            positions.append(index)
    folded = "".join(out)
    # Two-letter folds (ae → a) across characters: fold the joined text again, keeping the first position.
    result, result_positions, i = [], [], 0
    while i < len(folded):
        pair = folded[i:i + 2]
        single = dict(_TWO_LETTER).get(pair)
        if single and i + 1 < len(folded):
            result.append(single)
            result_positions.append(positions[i])
            i += 2
        else:
            result.append(folded[i])
            result_positions.append(positions[i])
            i += 1
    return "".join(result), result_positions


_MARKDOWN_NOISE = re.compile(r"!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|[#*_>`|\[\]]|^:::.*$|^-{3,}$", re.M)


@lru_cache(maxsize=256)
def _plain(markdown: str) -> str:
    return re.sub(r"\s+", " ", _MARKDOWN_NOISE.sub(" ", markdown)).strip()


def _find(text: str, query: str) -> tuple[int, tuple[str, str, str]] | None:
    folded, positions = _folded_with_positions(text)
    needle = fold(query)
    count = folded.count(needle)
    if not needle or not count:
        return None
    start = folded.index(needle)
    begin = positions[start]
    end = positions[start + len(needle) - 1] + 1
    before = text[max(0, begin - SNIPPET):begin]
    after = text[end:end + SNIPPET]
    if begin > SNIPPET:
        before = "…" + before.split(" ", 1)[-1]
    if end + SNIPPET < len(text):
        after = after.rsplit(" ", 1)[0] + "…"
    return count, (before, text[begin:end], after)


def search(module: Module, query: str, language: str | None = None) -> Results:
    query = re.sub(r"\s+", " ", (query or "").strip())[:MAX_QUERY]
    if len(query) < MIN_QUERY:
        return Results(query, (), ())
    lessons = []
    for lesson in module.lessons:
        text = " ".join(part for part in (lesson.title, lesson.plain_summary, _plain(lesson.body_markdown)) if part)
        found = _find(text, query)
        if found:
            count, (before, match, after) = found
            lessons.append(LessonHit(lesson, count, before, match, after))
    lessons.sort(key=lambda hit: -hit.matches)
    needle = fold(query)
    terms = []
    for term in module.glossary:
        names = (term.term, *term.aliases, term.definition, term.translation(language) or "")
        if any(needle in fold(name) for name in names if name):
            first = next((lesson for lesson in module.lessons
                          if any(fold(n) in fold(lesson.body_markdown) for n in (term.term, *term.aliases))), None)
            terms.append(TermHit(term, first))
    return Results(query, tuple(lessons), tuple(terms))
