"""The shipped modules use the media format fully: the named diagrams, one explainer video per module with
captions and transcript, and one or two checks in every lesson."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from vamos_core.content import load_catalog
from vamos_core.rendering import render_lesson
from vamos_core.svg import check_svg
from vamos_core.webvtt import parse_webvtt

CONTENT = Path(__file__).resolve().parents[2] / "course_content"
DIAGRAMS = {  # issue 18: the structures each module must show as a figure
    "projektmanagement": {"wirkungstreppe", "problembaum", "zeitplan-meilensteine", "risikomatrix"},
    "finanzierung": {"vier-sphaeren", "finanzierungsarten"},
    "fuehrung-im-ehrenamt": {"organigramm-verein"},
    "kommunikation-im-verband": {"kommunikationsplan"},
    "vereinsgruendung-und-satzung": {"weg-zum-e-v"},
    "verein-als-arbeitgeber": {"wege-zu-bezahlen"},
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


@pytest.mark.parametrize("module_id", sorted(DIAGRAMS))
def test_named_diagrams_are_shown_in_lessons(catalog, module_id):
    module = catalog.get(module_id)
    shown = {m for lesson in module.lessons for m in re.findall(r"media/abbildungen/([\w-]+)\.svg", lesson.body_markdown)}
    assert DIAGRAMS[module_id] <= shown
    for name in DIAGRAMS[module_id]:
        data = (module.path / "media" / "abbildungen" / f"{name}.svg").read_bytes()
        assert check_svg(data) == []
        # Drawn phone-first: 360 units wide, no text below 16 units (about 13 px on a 320 px screen).
        assert re.search(rb'viewBox="0 0 360 ', data)
        assert min(int(size) for size in re.findall(rb'font-size="(\d+)"', data)) >= 16


@pytest.mark.parametrize("module_id", sorted(DIAGRAMS))
def test_one_explainer_video_per_module(catalog, module_id):
    module = catalog.get(module_id)
    videos = [lesson.video for lesson in module.lessons if lesson.video]
    assert len(videos) == 1
    video = videos[0]
    assert 120 <= video.duration_seconds <= 240  # 2–4 minutes
    for name in video.files + (video.poster,):
        assert (module.path / name).stat().st_size <= 3_000_000
    cues = parse_webvtt((module.path / video.captions).read_text(encoding="utf-8"))
    assert all(len(line) <= 42 for cue in cues for line in cue.text.splitlines())
    transcript = (module.path / video.transcript).read_text(encoding="utf-8")
    running = " ".join(transcript.split())
    assert all(" ".join(cue.plain_text.split()) in running for cue in cues)  # the transcript holds every caption


def test_every_lesson_has_one_or_two_checks(catalog):
    assert {module.id for module in catalog} == set(DIAGRAMS)  # a new module gets figures, a video and checks too
    lessons = [lesson for module in catalog for lesson in module.lessons]
    assert lessons and all(1 <= len(lesson.checks) <= 2 for lesson in lessons)
    # Answers are not given away by position: the correct option is not always the same letter.
    positions = {next(i for i, o in enumerate(c.options) if o.correct) for lesson in lessons for c in lesson.checks}
    assert len(positions) >= 3


def test_every_shipped_lesson_renders(catalog):
    for module in catalog:
        for lesson in module.lessons:
            rendered = render_lesson(module, lesson, "/media/x")
            assert rendered.html
            if lesson.video:
                assert '<track kind="captions"' in rendered.video_html
