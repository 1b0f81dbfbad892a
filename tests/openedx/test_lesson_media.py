"""The lesson video and in-lesson checks in the Open edX blocks: carried in block fields and OLX (equal to the
source), media in the course's static files, rendered by the core in student_view, the check handler answering
with the core's feedback and storing nothing, Studio keeping both and validating every save."""
from __future__ import annotations

import json
import mimetypes
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from webob import Request
from xblock.fields import Scope

from tests.core.conftest import ModuleFolder
from tests.core.test_lesson_media import MP4, TRANSCRIPT, write_media_lesson
from vamos_core.content import load_module
from vamos_core.olx import write_course

from .conftest import BlockRuntime, Course, call
from .test_mobile_and_search import LESSON_SCHEMA
from .test_olx import unit_xml

LESSON = "zweite-lektion"
CHECK = "ziel-check"


@pytest.fixture
def media_module(tmp_path):
    return load_module(write_media_lesson(ModuleFolder(tmp_path / "src")).root)


@pytest.fixture
def built(media_module, tmp_path):
    return write_course(media_module, tmp_path / "olx")


@pytest.fixture
def course(built):
    return Course(BlockRuntime(), unit_xml(built.directory))


def post_form(block, suffix: str, options: list[str], method: str = "POST"):
    """A browser without JavaScript: the plain form POST (application/x-www-form-urlencoded)."""
    request = Request.blank("/", method=method)
    if method == "POST":
        request.body = "&".join(f"option={o}" for o in options).encode("ascii")
        request.content_type = "application/x-www-form-urlencoded"
    return block.runtime.handle(block, "check", request, suffix)


def learner_state(runtime) -> list:
    return [key for key in runtime.kvs.db_dict if key.scope == Scope.user_state]


def test_round_trip_video_and_checks_equal_the_source(course, media_module, built):
    source = media_module.lesson(LESSON)
    parsed = course.lesson(LESSON).rendered()[1]
    assert parsed.checks == source.checks
    assert parsed.video == source.video.__class__(**{**source.video.__dict__, "transcript_markdown": TRANSCRIPT})
    # Studio's export (add_xml_to_node) writes what the import reads
    from lxml import etree

    node = etree.Element("unknown")
    course.module().add_xml_to_node(node)
    again = Course(BlockRuntime(), etree.tostring(node, encoding="unicode")).lesson(LESSON).rendered()[1]
    assert (again.video, again.checks) == (parsed.video, parsed.checks)
    element = ET.fromstring(unit_xml(built.directory)).find(f"vamos_lesson[@lesson_id='{LESSON}']")
    assert element.find("lesson_video").get("captions") == "media/video/film.vtt"
    assert element.find("check/option[@id='a']").get("correct") == "true"


def test_video_media_travel_in_the_course(built):
    """The files become course assets; the blocks have no media handler of their own (the package carries no
    content). edx-platform serves assets with openedx/core/djangoapps/contentserver/middleware.py
    (StaticContentServer): Content-Type is the asset's type, guessed from the file name on import
    (xml_importer.import_static_content, mimetypes), and a Range header gets 206 Partial Content, so the player can
    seek. So the names must give the types browsers need to play and show them inline."""
    static = built.directory / "static/media/video"
    assert (static / "film.mp4").read_bytes() == MP4
    assert {p.name for p in static.iterdir()} == {"film.mp4", "film.webm", "film.jpg", "film.vtt",
                                                 "film-transkript.md"}
    types = {name: mimetypes.guess_type(name)[0] for name in ("film.mp4", "film.webm", "film.vtt", "film.jpg")}
    assert types == {"film.mp4": "video/mp4", "film.webm": "video/webm", "film.vtt": "text/vtt",
                     "film.jpg": "image/jpeg"}
    lesson = ET.fromstring(unit_xml(built.directory)).find(f"vamos_lesson[@lesson_id='{LESSON}']")
    assert {m.get("file") for m in lesson.findall("media")} >= {f"media/video/{n}" for n in types}


def test_student_view_renders_player_poster_captions_transcript_and_checks(course):
    runtime = course.runtime
    html = runtime.render(course.lesson(LESSON), "student_view").body_html()
    # media are course files: /static/… becomes the asset URL in the LMS, as for images
    assert '<video controls preload="metadata"' in html
    assert 'poster="/static/media/video/film.jpg"' in html
    assert '<source src="/static/media/video/film.webm" type="video/webm">' in html
    assert '<source src="/static/media/video/film.mp4" type="video/mp4">' in html
    assert '<track kind="captions" src="/static/media/video/film.vtt" srclang="de" label="Deutsch" default>' in html
    assert '<details class="transcript"' in html and "Ein Projekt hat ein Ziel, einen Anfang" in html
    assert "Das Transkript ist gerade nicht verfügbar" not in html
    assert html.index("lesson-video") < html.index('class="vamos-body"') < html.index("lesson-checks")
    lesson = course.lesson(LESSON)
    assert f'action="{lesson.runtime.handler_url(lesson, "check", CHECK)}#check-{CHECK}"' in html
    assert 'type="radio" name="option" value="a"' in html and "Genau." not in html  # no feedback before answering
    public = runtime.render(course.lesson(LESSON), "public_view").body_html()
    assert "<video" in public and "data-check-form" in public


def test_check_handler_json_feedback_right_and_wrong_stores_nothing(course):
    runtime = course.runtime
    before = dict(runtime.kvs.db_dict)
    status, wrong = call(course.lesson(LESSON), "check", {"option": ["b"]}, suffix=CHECK)
    assert status == 200 and wrong["correct"] is False
    assert "Noch nicht ganz" in wrong["html"] and "Doch, Projekte sind befristet." in wrong["html"]
    assert "Projekte sind einmalig und befristet." not in wrong["html"]  # the explanation only once it is right
    status, right = call(course.lesson(LESSON), "check", {"option": ["a"]}, suffix=CHECK)
    assert status == 200 and right["correct"] is True
    assert "Richtig!" in right["html"] and "Genau." in right["html"] and "Projekte sind einmalig" in right["html"]
    assert runtime.events == [] and runtime.kvs.db_dict == before and not learner_state(runtime)


@pytest.mark.parametrize("body, suffix, status", [
    ({"option": []}, CHECK, 400),
    ({"option": ["z"]}, CHECK, 400),
    ({"option": ["a", "b"]}, CHECK, 400),  # two answers to single choice
    ({"option": "a"}, CHECK, 400),
    ({"option": ["a"], "correct": True}, CHECK, 400),
    ({"option": ["a"]}, "gibt-es-nicht", 404),
])
def test_check_handler_refuses_bad_input(course, body, suffix, status):
    code, payload = call(course.lesson(LESSON), "check", body, suffix=suffix)
    assert code == status and payload["error"]
    assert course.runtime.events == [] and not learner_state(course.runtime)


def test_check_form_without_javascript(course):
    lesson = course.lesson(LESSON)
    wrong = post_form(lesson, CHECK, ["b"])
    assert wrong.status_code == 200 and wrong.content_type == "text/html"
    page = wrong.body.decode("utf-8")
    assert "<html" in page and "Noch nicht ganz" in page and 'value="b" id="check-ziel-check-b" checked' in page
    right = post_form(course.lesson(LESSON), CHECK, ["a"]).body.decode("utf-8")
    assert "Richtig!" in right and "Projekte sind einmalig und befristet." in right
    empty = post_form(course.lesson(LESSON), CHECK, []).body.decode("utf-8")
    assert "Bitte wählen Sie zuerst eine Antwort." in empty
    assert post_form(course.lesson(LESSON), CHECK, [], method="GET").status_code == 405
    assert course.runtime.events == [] and not learner_state(course.runtime)


def test_student_view_data_has_video_and_checks_without_answers(course):
    data = json.loads(json.dumps(course.lesson(LESSON).student_view_data()))
    jsonschema.validate(data, LESSON_SCHEMA)
    video = data["video"]
    assert video["captions"] == {"url": "/static/media/video/film.vtt", "language": "de"}
    assert video["poster"] == "/static/media/video/film.jpg" and "Ein Projekt hat ein Ziel" in video["transcript"]
    assert [s["type"] for s in video["sources"]] == ["video/mp4", "video/webm"]
    (check,) = data["checks"]
    assert check["options"] == [{"id": "a", "text": "Ein Ziel und ein Ende"}, {"id": "b", "text": "Keinen festen Zeitraum"}]
    text = json.dumps(data["checks"], ensure_ascii=False)
    assert "correct" not in text and "Genau." not in text and "befristet." not in text


def test_index_dictionary_finds_the_transcript_not_the_answers(course):
    text = course.lesson(LESSON).index_dictionary()["content"]["text"]
    assert "einen Anfang und ein Ende" in text and "Was hat jedes Projekt?" in text
    assert "Genau." not in text and "Projekte sind einmalig" not in text


def test_studio_shows_video_and_checks_keeps_them_and_validates_them(course):
    lesson = course.lesson(LESSON)
    html = course.runtime.render(lesson, "studio_view").body_html()
    assert "Ein Projekt in fünf Schritten" in html and "media/video/film.vtt" in html and "Was hat jedes Projekt?" in html
    status, _ = call(lesson, "studio_submit", {"values": {"markdown": "## Neu\n\nEin neuer Text."}})
    assert status == 200
    saved = course.lesson(LESSON)
    assert saved.rendered()[1].video.title == "Ein Projekt in fünf Schritten" and len(saved.checks) == 1
    # a check broken in the fields (e.g. a hand-edited OLX) is named on every save, the save is refused
    saved.checks = [{**saved.checks[0], "options": [{**o, "correct": False} for o in saved.checks[0]["options"]]}]
    status, payload = call(saved, "studio_submit", {"values": {"minutes": 12}})
    assert status == 400 and "checks[0].options" in payload["error"]["fields"]["checks"]
