"""A lesson as learners see it, in one place for both channels: safe HTML, glossary terms, cited sources.

Rendering is pure and keyed by module id, version and lesson id, so adapters can cache it per process
(lessons change only when trainers publish a new content version).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, replace
from typing import Callable

from .figures import image_size
from .glossary import link_glossary_terms
from .markdown import CITATION_RE, render_markdown
from .model import GlossaryTerm, Lesson, Module, Source
from .video_player import render_video


@dataclass(frozen=True)
class RenderedLesson:
    html: str
    glossary: tuple[GlossaryTerm, ...]  # terms explained on this page, in order of first mention
    sources: tuple[Source, ...]  # sources cited on this page, in order of first citation
    video_html: str = ""  # the lesson's video with captions and transcript (video_player), or ""


_CACHE: dict[tuple[str, str, str, str, str], RenderedLesson] = {}
_CACHE_LIMIT = 512


def render_lesson(module: Module, lesson: Lesson, media_prefix: str) -> RenderedLesson:
    """Render a lesson; media paths become ``{media_prefix}/{path}`` (the adapter's media route)."""
    # Keyed by ids and content version, not by the (large) objects: hashing a whole module per view is waste.
    media_prefix = media_prefix.rstrip("/")
    key = (str(module.path), module.id, module.version, lesson.id, media_prefix)
    cached = _CACHE.get(key)
    if cached is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        cached = _CACHE[key] = _render(module, lesson, media_prefix)
    return cached


def _render(module: Module, lesson: Lesson, media_prefix: str) -> RenderedLesson:
    media_url: Callable[[str], str] = lambda path: f"{media_prefix}/{path}"  # noqa: E731
    rendered = render_text(lesson.body_markdown, module.sources, module.glossary, media_url,
                           media_size=lambda path: _media_size(module, path))
    if lesson.video:
        rendered = replace(rendered, video_html=render_video(module, lesson.video, media_url, lesson.id))
    return rendered


def render_text(markdown: str, sources, glossary, media_url: Callable[[str], str],
                media_size: Callable[[str], tuple[int, int] | None] | None = None) -> RenderedLesson:
    """The rendering pipeline itself (uncached): also for drafts in the editor's preview."""
    body = render_markdown(markdown, media_url=media_url, media_size=media_size)
    body, cited = _link_citations(body, sources)
    body, terms = link_glossary_terms(body, glossary)
    return RenderedLesson(body, tuple(terms), cited)


def _media_size(module: Module, relative: str) -> tuple[int, int] | None:
    path = module.media_path(relative.split("#", 1)[0].split("?", 1)[0])
    return image_size(path, path.stat().st_mtime) if path else None


def _link_citations(fragment: str, sources) -> tuple[str, tuple[Source, ...]]:
    by_id = {source.id: source for source in sources}
    cited: list[Source] = []

    def link(match) -> str:
        source = by_id.get(match.group(1).lower())
        if source is None:  # the validator refuses unknown citations; stay safe if it was bypassed
            return match.group(0)
        if source not in cited:
            cited.append(source)
        return f'<a class="citation" href="#quelle-{html.escape(source.id)}">[{html.escape(match.group(1))}]</a>'

    return CITATION_RE.sub(link, fragment), tuple(cited)
