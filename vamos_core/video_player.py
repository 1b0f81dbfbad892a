"""A lesson's video as HTML for both channels: the browser's own player, captions, and the transcript below.

Native ``<video controls>`` because it is keyboard- and screen-reader-accessible in every browser and needs
no script; the captions track is ``default`` (our explainer videos have no narration, so the captions carry
the text); the transcript is a ``<details>`` directly below, so it is one keystroke away and never hidden
behind the player. ``static/vamos.js`` (LTI) adds a speed choice and remembers "captions off".
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Callable

from .markdown import render_markdown
from .model import Module, Video
from .lesson_video import VIDEO_TYPES

LANGUAGE_LABELS = {"de": "Deutsch", "en": "English"}


def render_video(module: Module, video: Video, media_url: Callable[[str], str], anchor: str) -> str:
    """HTML of the player section; ``anchor`` makes the ids unique on the page (the lesson id)."""
    e = html.escape
    title_id = f"video-{anchor}-titel"
    transcript = _transcript_html(module, video, media_url)
    poster = f' poster="{e(media_url(video.poster))}"' if video.poster else ""
    sources = []
    # WebM first: smaller at the same quality where the browser plays it; MP4 (H.264) plays everywhere.
    for extension in (".webm", ".mp4"):
        name = video.file_of(extension)
        if name:
            sources.append(f'<source src="{e(media_url(name))}" type="{VIDEO_TYPES[extension]}">')
    if video.url:
        kind = VIDEO_TYPES.get(Path(video.url.split("?", 1)[0]).suffix.lower())
        sources.append(f'<source src="{e(video.url)}"' + (f' type="{kind}"' if kind else "") + ">")
    download = video.file_of(".mp4") and media_url(video.file_of(".mp4")) or video.url
    language = video.captions_language
    minutes = _duration_text(video.duration_seconds)
    return (
        f'<section class="lesson-video" aria-labelledby="{title_id}">\n'
        f'<h2 id="{title_id}">Lernvideo: {e(video.title)}</h2>\n'
        + (f'<p class="video-meta">Dauer: {minutes} · mit Untertiteln · Text zum Video unten</p>\n' if minutes else "")
        + f'<div class="video-frame"><video controls preload="metadata" playsinline width="1280" height="720"{poster} '
        f'aria-labelledby="{title_id}" data-vamos-player>\n'
        + "\n".join(sources)
        + f'\n<track kind="captions" src="{e(media_url(video.captions))}" srclang="{e(language)}" '
        f'label="{e(LANGUAGE_LABELS.get(language, language))}" default>\n'
        f'<p>Ihr Browser kann dieses Video nicht abspielen. <a href="{e(download)}">Video herunterladen</a> '
        f"oder den Text zum Video unten lesen.</p>\n</video></div>\n"
        f'<details class="transcript" id="transkript-{anchor}">\n'
        f"<summary>Text zum Video (Transkript)</summary>\n{transcript}\n</details>\n"
        "</section>\n"
    )


def _transcript_html(module: Module, video: Video, media_url: Callable[[str], str]) -> str:
    text = video.transcript_markdown
    if text is None:
        path = module.media_path(video.transcript)
        if path is None:  # the validator requires it; stay calm if a file vanished after loading
            return "<p>Das Transkript ist gerade nicht verfügbar.</p>"
        text = path.read_text(encoding="utf-8")
    body = render_markdown(text, media_url=media_url)
    # The transcript sits under the section's <h2>: its own headings move one level down (h2 → h3 …).
    return re.sub(r"<(/?)h([2-6])>", lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}>", body)


def _duration_text(seconds: float) -> str:
    if seconds <= 0:
        return ""
    total = int(round(seconds))
    return f"{total // 60}:{total % 60:02d} Minuten" if total >= 60 else f"{total} Sekunden"
