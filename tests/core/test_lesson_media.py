"""Figures, lesson videos and in-lesson checks: the valid form loads and renders; each broken form is refused
with file:line: field (one failing input per validation rule)."""
from __future__ import annotations

import pytest

from vamos_core.content import ContentError, load_module
from vamos_core.grading import InvalidAnswer
from vamos_core.lesson_checks import answer_check, render_checks
from vamos_core.rendering import render_lesson
from vamos_core.webvtt import WebVttError, parse_webvtt

L2 = "lessons/zweite-lektion.md"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360"><title>Treppe</title>'
    b'<rect x="10" y="10" width="100" height="40" fill="#0b6e4f"/><text x="20" y="35">Output</text></svg>'
)
VTT = """WEBVTT

1
00:00:00.000 --> 00:00:04.000
Ein Projekt hat ein Ziel,

00:00:04.000 --> 00:01:05.500 align:center
einen Anfang und ein <i>Ende</i>.
"""
TRANSCRIPT = "Ein Projekt hat ein Ziel, einen Anfang und ein Ende. " * 4
# Smallest byte patterns the validator looks for: MP4 'ftyp' box naming H.264 'avc1', WebM's EBML magic.
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomavc1" + b"\x00" * 32
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32

FRONT_MATTER = """\
---
id: zweite-lektion
title: Zweite Lektion
minutes: 10
objectives: []
video:
  title: Ein Projekt in fünf Schritten
  files: [media/video/film.mp4, media/video/film.webm]
  poster: media/video/film.jpg
  captions: media/video/film.vtt
  transcript: media/video/film-transkript.md
checks:
  - id: ziel-check
    type: single
    prompt: Was hat jedes Projekt?
    options:
      - id: a
        text: Ein Ziel und ein Ende
        correct: true
        feedback: Genau.
      - id: b
        text: Keinen festen Zeitraum
        correct: false
        feedback: Doch, Projekte sind befristet.
    explanation: Projekte sind einmalig und befristet.
---

## Planen

![Treppe mit fünf Stufen](media/treppe.svg "Die Wirkungstreppe")

::: bildbeschreibung
Die Treppe beginnt unten mit Output.
:::

| Schritt | Wer |
|---|---|
| Idee | Vorstand |
"""


def write_media_lesson(folder):
    """The second lesson with a figure, a video (files, poster, captions, transcript) and a check."""
    folder.write(L2, FRONT_MATTER)
    folder.write_bytes("media/treppe.svg", SVG)
    folder.write_bytes("media/video/film.mp4", MP4)
    folder.write_bytes("media/video/film.webm", WEBM)
    folder.write_bytes("media/video/film.jpg", JPEG)
    folder.write("media/video/film.vtt", VTT)
    folder.write("media/video/film-transkript.md", TRANSCRIPT)
    return folder


@pytest.fixture
def media_module(module_folder):
    return write_media_lesson(module_folder)


def test_valid_media_lesson_loads(media_module):
    lesson = load_module(media_module.root).lesson("zweite-lektion")
    assert lesson.video.files == ("media/video/film.mp4", "media/video/film.webm")
    assert lesson.video.duration_seconds == 65.5
    assert [c.id for c in lesson.checks] == ["ziel-check"]


def test_rendered_figure_video_and_transcript(media_module):
    module = load_module(media_module.root)
    rendered = render_lesson(module, module.lesson("zweite-lektion"), "/media/testmodul")
    page = rendered.html
    assert '<img src="/media/testmodul/media/treppe.svg" alt="Treppe mit fünf Stufen" width="640" height="360"' in page
    assert '<details class="figure-description">' in page and "Die Treppe beginnt unten mit Output." in page
    video = rendered.video_html
    assert '<video controls preload="metadata"' in video and 'poster="/media/testmodul/media/video/film.jpg"' in video
    assert video.index('type="video/webm"') < video.index('type="video/mp4"')
    assert '<track kind="captions" src="/media/testmodul/media/video/film.vtt" srclang="de" label="Deutsch" default>' in video
    assert '<details class="transcript"' in video and "Ein Projekt hat ein Ziel" in video
    assert "Dauer: 1:06 Minuten" in video


def test_video_from_https_url(media_module):
    media_module.replace(L2, "  files: [media/video/film.mp4, media/video/film.webm]\n  poster: media/video/film.jpg\n",
                         "  url: https://verein.example/videos/film.mp4\n")
    module = load_module(media_module.root)
    video = render_lesson(module, module.lesson("zweite-lektion"), "/m").video_html
    assert '<source src="https://verein.example/videos/film.mp4" type="video/mp4">' in video and "poster=" not in video


def test_check_feedback_and_form(media_module):
    lesson = load_module(media_module.root).lesson("zweite-lektion")
    check = lesson.check("ziel-check")
    right, wrong = answer_check(check, ["a"]), answer_check(check, ["b"])
    assert right.correct and not wrong.correct
    with pytest.raises(InvalidAnswer):
        answer_check(check, [])
    with pytest.raises(InvalidAnswer):
        answer_check(check, ["a", "b"])
    with pytest.raises(InvalidAnswer):
        answer_check(check, ["z"])
    form = render_checks(lesson, lambda cid: f"/check/{cid}", '<input type="hidden" name="csrf" value="t">', wrong)
    assert '<form method="post" action="/check/ziel-check#check-ziel-check"' in form and 'name="csrf"' in form
    assert 'type="radio" name="option" value="b" id="check-ziel-check-b" checked' in form
    assert "Noch nicht ganz" in form and "Doch, Projekte sind befristet." in form
    assert "Projekte sind einmalig und befristet." not in form  # the explanation comes with the right answer
    assert "zählt nicht für den Wissenstest oder das Zertifikat" in form
    assert "Projekte sind einmalig und befristet." in render_checks(lesson, lambda cid: "/c", "", right)
    assert 'role="alert"' in render_checks(lesson, lambda cid: "/c", "", None, missing_answer="ziel-check")


def test_hostile_check_text_is_escaped(media_module):
    media_module.replace(L2, "prompt: Was hat jedes Projekt?", "prompt: \"<img src=x onerror=alert(1)>\"")
    lesson = load_module(media_module.root).lesson("zweite-lektion")
    assert "<img src=x" not in render_checks(lesson, lambda cid: "/c")


HOSTILE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script></svg>'

# (name, setup, expected line, field, message fragment); line numbers are within lessons/zweite-lektion.md
CASES = [
    ("svg with script", lambda m: m.write_bytes("media/treppe.svg", HOSTILE_SVG), 30, "figure", "SVG is not clean: <script> entfernt"),
    ("svg with DTD", lambda m: m.write_bytes("media/treppe.svg", b'<!DOCTYPE svg [<!ENTITY a "x">]><svg xmlns="http://www.w3.org/2000/svg"/>'), 30, "figure", "DTD"),
    ("svg without viewBox", lambda m: m.write_bytes("media/treppe.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), 30, "figure", "viewBox"),
    ("png that is not png", lambda m: m.write_bytes("media/zyklus.png", b"GIF89a"), None, "figure", "is not a PNG file"),
    ("gif figure", lambda m: (m.write_bytes("media/bild.gif", b"GIF89a"), m.replace(L2, "media/treppe.svg", "media/bild.gif")), 30, "figure", "not a figure type"),
    ("figure without alt", lambda m: m.replace(L2, "![Treppe mit fünf Stufen]", "![]"), 30, "image", "no alternative text"),
    ("figure file missing", lambda m: m.replace(L2, "media/treppe.svg", "media/fehlt.svg"), 30, "image", "does not exist"),
    ("remote figure", lambda m: m.replace(L2, "media/treppe.svg", "https://cdn.example/t.svg"), 30, "figure", "must be a file in the module"),
    ("description not after figure", lambda m: m.replace(L2, "| Schritt | Wer |", "::: bildbeschreibung\nText\n:::\n\n| Schritt | Wer |"), 36, "figure", "must follow directly after a figure"),
    ("video without captions", lambda m: m.replace(L2, "  captions: media/video/film.vtt\n", ""), 7, "video.captions", "required field is missing"),
    ("captions file missing", lambda m: m.replace(L2, "captions: media/video/film.vtt", "captions: media/video/fehlt.vtt"), 10, "video.captions", "does not exist"),
    ("captions not vtt", lambda m: m.replace(L2, "captions: media/video/film.vtt", "captions: media/video/film-transkript.md"), 10, "video.captions", "WebVTT file (.vtt)"),
    ("captions unparseable", lambda m: m.write("media/video/film.vtt", VTT.replace("00:00:04.000 --> 00:01:05.500", "00:00:04 - 00:01:05")), 10, "video.captions", "expected a cue timing line"),
    ("captions without header", lambda m: m.write("media/video/film.vtt", VTT.replace("WEBVTT", "WEBVT")), 10, "video.captions", "must start with the line 'WEBVTT'"),
    ("transcript missing", lambda m: m.replace(L2, "  transcript: media/video/film-transkript.md\n", ""), 7, "video.transcript", "required field is missing"),
    ("transcript too short", lambda m: m.write("media/video/film-transkript.md", "Kurz."), 11, "video.transcript", "too short"),
    ("poster missing", lambda m: m.replace(L2, "  poster: media/video/film.jpg\n", ""), 6, "video.poster", "poster image is required"),
    ("no mp4", lambda m: m.replace(L2, "[media/video/film.mp4, media/video/film.webm]", "[media/video/film.webm]"), 8, "video.files", "needs an .mp4"),
    ("mp4 not h264", lambda m: m.write_bytes("media/video/film.mp4", MP4.replace(b"avc1", b"hev1")), 8, "video.files[0]", "H.264"),
    ("webm not webm", lambda m: m.write_bytes("media/video/film.webm", b"not a webm file"), 8, "video.files[1]", "is not a WebM file"),
    ("video file outside module", lambda m: m.replace(L2, "media/video/film.webm]", "../../film.webm]"), 8, "video.files[1]", "outside the module folder"),
    ("files and url", lambda m: m.replace(L2, "  poster:", "  url: https://verein.example/f.mp4\n  poster:"), 6, "video", "either files"),
    ("http url", lambda m: m.replace(L2, "  files: [media/video/film.mp4, media/video/film.webm]\n", "  url: http://verein.example/f.mp4\n"), 8, "video.url", "https://"),
    ("video unknown key", lambda m: m.replace(L2, "  poster:", "  autoplay: true\n  poster:"), 9, "video.autoplay", "unknown key"),
    ("three checks", lambda m: m.replace(L2, "checks:\n", "checks:\n  - {}\n  - {}\n"), 12, "checks", "at most 2 checks"),
    ("check without correct option", lambda m: m.replace(L2, "        correct: true\n        feedback: Genau.", "        correct: false\n        feedback: Genau."), 16, "checks[0].options", "no correct answer"),
    ("check without feedback", lambda m: m.replace(L2, "        feedback: Genau.\n", ""), 17, "checks[0].options[0].feedback", "required field is missing"),
    ("check with points", lambda m: m.replace(L2, "    type: single\n", "    type: single\n    points: 2\n"), 15, "checks[0].points", "unknown key"),
    ("duplicate check id", lambda m: m.replace(L2, "checks:\n", "checks:\n  - id: ziel-check\n    type: single\n    prompt: X\n    options: []\n    explanation: Y\n"), 18, "checks[1].id", "duplicate id"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_broken_media_and_checks_are_reported(media_module, case):
    _, setup, line, field, fragment = case
    setup(media_module)
    with pytest.raises(ContentError) as raised:
        load_module(media_module.root)
    messages = [str(p) for p in raised.value.problems]
    file = media_module.root / (L2 if line is not None else "lessons/erste-lektion.md")
    prefix = f"{file}:{line if line is not None else 19}: {field}: "
    assert any(m.startswith(prefix) and fragment in m for m in messages), "\n".join(messages)


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nx\n", 3, "ends before it starts"),
        ("WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nx\n\n00:00:01.000 --> 00:00:02.000\ny\n", 6, "in order"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n", 3, "no text"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<script>x</script>\n", 4, "not a WebVTT cue tag"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000 colour:red\nx\n", 3, "unknown cue setting"),
        ("WEBVTT\n\nNOTE nur eine Notiz\n", 4, "no cues"),
        ("WEBVTT\n00:00:01.000 --> 00:00:02.000\nx\n", 2, "blank line must follow"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n00:00:02.000 --> 00:00:03.000\ny\n", 5, "blank line is missing"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na < b\n", 4, "&lt;"),
    ],
)
def test_webvtt_errors_name_the_line(text, line, fragment):
    with pytest.raises(WebVttError) as raised:
        parse_webvtt(text)
    assert raised.value.line == line and fragment in raised.value.message


def test_webvtt_reads_hours_notes_and_styles():
    cues = parse_webvtt("\ufeffWEBVTT - Titel\n\nSTYLE\n::cue { color: yellow }\n\nNOTE Hinweis\n\n"
                        "intro\n01:02:03.004 --> 01:02:04.000 line:90% align:start\n<v Sprecherin>Hallo &amp; <b>willkommen</b>\n")
    assert cues[0].start == 3723.004 and cues[0].plain_text == "Hallo & willkommen"
