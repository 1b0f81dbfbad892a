"""Glossary terms explained in place: the first mention of each term in a lesson links to its definition.

Works without JavaScript (a plain in-page link to a definition list the page renders), so it also serves
screen readers and phones; adapters may enhance it with a popover.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Callable, Iterable

from .model import GlossaryTerm

# Text inside these elements is never linked (links in links, headings, code and captions stay as authored).
_SKIP = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "abbr", "figcaption", "th"}
_VOID = {"br", "hr", "img"}


def _pattern(terms: Iterable[GlossaryTerm]) -> tuple[re.Pattern | None, dict[str, GlossaryTerm]]:
    by_surface: dict[str, GlossaryTerm] = {}
    for term in terms:
        for surface in (term.term, *term.aliases):
            by_surface.setdefault(surface, term)
    if not by_surface:
        return None, by_surface
    # Longest first, so "Ehrenamtspauschale" wins over "Ehrenamt".
    alternatives = "|".join(re.escape(s) for s in sorted(by_surface, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])"), by_surface


class _Linker(HTMLParser):
    def __init__(self, pattern: re.Pattern, by_surface: dict[str, GlossaryTerm], href: Callable[[GlossaryTerm], str]):
        super().__init__(convert_charrefs=False)
        self.pattern, self.by_surface, self.href = pattern, by_surface, href
        self.out: list[str] = []
        self.skip_depth = 0
        self.used: list[GlossaryTerm] = []

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in _SKIP:
            self.skip_depth += 1

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_data(self, data):
        if self.skip_depth:
            self.out.append(data)
            return
        self.out.append(self.pattern.sub(self._link, data))

    def _link(self, match: re.Match) -> str:
        term = self.by_surface[match.group(1)]
        if term in self.used:
            return match.group(0)
        self.used.append(term)
        return (
            f'<a class="glossary-term" href="{html.escape(self.href(term))}" '
            f'data-definition="{html.escape(term.definition)}">{match.group(0)}</a>'
        )


def link_glossary_terms(
    fragment: str, terms: Iterable[GlossaryTerm], href: Callable[[GlossaryTerm], str] | None = None
) -> tuple[str, list[GlossaryTerm]]:
    """Link the first mention of each glossary term in sanitized lesson HTML; return the HTML and the terms used."""
    pattern, by_surface = _pattern(terms)
    if pattern is None:
        return fragment, []
    linker = _Linker(pattern, by_surface, href or (lambda t: f"#begriff-{t.id}"))
    linker.feed(fragment)
    linker.close()
    return "".join(linker.out), linker.used
