"""Mobile apps and course search: student_view_data against a JSON schema (and never an answer), multi_device,
public_view for visitors, index_dictionary for the courseware search index.

Open edX behaviour imitated: the course blocks API (``lms/djangoapps/course_api/blocks``) returns
``student_view_data`` for blocks that define it, and the mobile apps render blocks that support
``multi_device``; the courseware indexer (``cms/djangoapps/contentstore/courseware_index.py``) stores
``index_dictionary()`` of every block; ``public_view`` is rendered for visitors of public courses.
"""
from __future__ import annotations

import json

import jsonschema
import pytest
from xblock.fields import Scope

from .conftest import call
from .test_quiz import RIGHT

TEXT = {"type": "string"}
TEXTS = {"type": "array", "items": TEXT}
LINK = {"type": "object", "additionalProperties": False, "required": ["title", "url"],
        "properties": {"title": TEXT, "url": TEXT}}

LESSON_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["type", "lesson_id", "module_id", "title", "language", "minutes", "objectives", "html",
                 "downloads", "glossary", "sources", "video", "checks"],
    "properties": {
        "type": {"const": "vamos_lesson"}, "lesson_id": TEXT, "module_id": TEXT, "title": TEXT, "language": TEXT,
        "minutes": {"type": "integer", "minimum": 0}, "objectives": TEXTS, "html": TEXT,
        "downloads": {"type": "array", "items": LINK},
        "glossary": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                 "required": ["term", "definition"],
                                                 "properties": {"term": TEXT, "definition": TEXT}}},
        "sources": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                "required": ["id", "title", "url"],
                                                "properties": {"id": TEXT, "title": TEXT, "url": TEXT}}},
        "video": {"oneOf": [{"type": "null"}, {
            "type": "object", "additionalProperties": False,
            "required": ["title", "sources", "poster", "captions", "transcript", "duration_seconds"],
            "properties": {
                "title": TEXT, "poster": TEXT, "transcript": TEXT, "duration_seconds": {"type": "number"},
                "sources": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                        "required": ["url", "type"],
                                                        "properties": {"url": TEXT, "type": TEXT}}},
                "captions": {"type": "object", "additionalProperties": False, "required": ["url", "language"],
                             "properties": {"url": TEXT, "language": TEXT}}}}]},
        # in-lesson checks: options without "correct"/"feedback"; the app asks handler_url for the feedback
        "checks": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "type", "prompt", "options", "handler_url"],
            "properties": {"id": TEXT, "type": {"enum": ["single", "multiple"]}, "prompt": TEXT, "handler_url": TEXT,
                           "options": {"type": "array", "items": {"$ref": "#/$defs/option"}}}}},
    },
    "$defs": {"option": {}},  # filled below with OPTION (one definition for quiz and checks)
}
OPTION = {"type": "object", "additionalProperties": False, "required": ["id", "text"],
          "properties": {"id": TEXT, "text": TEXT}}  # no "correct", no "feedback": nothing that gives answers away
QUIZ_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["type", "module_id", "title", "passing_score", "max_attempts", "attempt_scoring", "display",
                 "max_points", "questions"],
    "properties": {
        "type": {"const": "vamos_quiz"}, "module_id": TEXT, "title": TEXT, "passing_score": {"type": "number"},
        "max_attempts": {"type": "integer"}, "attempt_scoring": {"enum": ["best", "last"]},
        "display": {"enum": ["one_per_page", "all_on_one_page"]}, "max_points": {"type": "number"},
        "questions": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "type", "prompt", "points", "options"],
            "properties": {"id": TEXT, "type": {"enum": ["single", "multiple"]}, "prompt": TEXT,
                           "points": {"type": "number"}, "options": {"type": "array", "items": OPTION}}}},
    },
}
MODULE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["type", "module_id", "title", "summary", "language", "version", "estimated_minutes", "objectives",
                 "completion", "parts", "disclaimer"],
    "properties": {
        "type": {"const": "vamos_module"}, "module_id": TEXT, "title": TEXT, "summary": TEXT, "language": TEXT,
        "version": TEXT, "estimated_minutes": {"type": "integer"}, "objectives": TEXTS, "disclaimer": TEXT,
        "completion": {"type": "object", "additionalProperties": False,
                       "required": ["require_all_lessons", "require_quiz_pass", "passing_score"],
                       "properties": {"require_all_lessons": {"type": "boolean"},
                                      "require_quiz_pass": {"type": "boolean"}, "passing_score": {"type": "number"}}},
        "parts": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                             "required": ["id", "type", "title"],
                                             "properties": {"id": TEXT, "type": {"enum": ["vamos_lesson", "vamos_quiz"]},
                                                            "title": TEXT}}},
    },
}
LESSON_SCHEMA["$defs"]["option"] = OPTION
SECRETS = ("Richtig.", "Falsch.", "Ja.", "Nein.", "Weil es so ist.", "A und B.", "correct", "feedback", "explanation")


def data_of(block) -> dict:
    data = block.student_view_data()
    return json.loads(json.dumps(data))  # the API serialises it as JSON


def test_student_view_data_matches_the_schemas(course):
    jsonschema.validate(data_of(course.module()), MODULE_SCHEMA)
    lesson = data_of(course.lesson("erste-lektion"))
    jsonschema.validate(lesson, LESSON_SCHEMA)
    assert "callout-fall" in lesson["html"] and lesson["minutes"] == 10 and lesson["objectives"] == ["Ziele formulieren"]
    assert lesson["downloads"] == [{"title": "Vorlage", "url": "/static/media/vorlage.csv"}]
    quiz = data_of(course.quiz())
    jsonschema.validate(quiz, QUIZ_SCHEMA)
    assert [q["id"] for q in quiz["questions"]] == ["frage-eins", "frage-zwei"] and quiz["max_points"] == 3


def test_quiz_data_contains_no_correct_answers(course):
    text = json.dumps(data_of(course.quiz()), ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text
    # and it stays so after the learner answered (the data is not learner-specific)
    call(course.quiz(), "submit", {"answers": RIGHT})
    assert json.dumps(data_of(course.quiz()), ensure_ascii=False) == text


def test_the_schema_would_catch_an_answer():
    leaked = {"type": "vamos_quiz", "module_id": "m", "title": "t", "passing_score": 70, "max_attempts": 0,
              "attempt_scoring": "best", "display": "one_per_page", "max_points": 1,
              "questions": [{"id": "q", "type": "single", "prompt": "p", "points": 1,
                             "options": [{"id": "a", "text": "x", "correct": True}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(leaked, QUIZ_SCHEMA)


def test_the_lesson_schema_would_catch_a_check_answer(course):
    data = data_of(course.lesson("erste-lektion"))
    jsonschema.validate({**data, "checks": []}, LESSON_SCHEMA)
    leaked = {**data, "checks": [{"id": "c", "type": "single", "prompt": "p", "handler_url": "/h",
                                   "options": [{"id": "a", "text": "x", "correct": True}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(leaked, LESSON_SCHEMA)


def test_student_view_data_uses_the_platforms_url_replacement(course):
    class ReplaceUrls:
        def replace_urls(self, html):
            return html.replace("/static/", "/asset-v1:VAMOs+testmodul+selfpaced+type@asset+block/")

    lesson = course.lesson("erste-lektion")
    lesson.runtime._services["replace_urls"] = ReplaceUrls()  # what the LMS runtime provides
    try:
        data = data_of(lesson)
    finally:
        del lesson.runtime._services["replace_urls"]
    assert "/asset-v1:VAMOs+testmodul+selfpaced+type@asset+block/media/zyklus.png" in data["html"]
    assert data["downloads"][0]["url"].startswith("/asset-v1:")


def test_blocks_support_multi_device(course):
    # edx-platform (course_api/blocks/transformers/student_view.py): block.has_support(student_view, "multi_device")
    for block in [course.module(), *course.module().child_blocks()]:
        assert block.has_support(block.student_view, "multi_device"), block.scope_ids.block_type
        assert not block.has_support(block.author_view, "multi_device")


def test_public_view_shows_content_and_stores_nothing(course):
    runtime = course.runtime
    html = runtime.render(course.module(), "public_view").body_html()
    assert "Ein kleines Modul für Tests." in html and "callout-fall" in html  # overview and lesson text
    assert "Sign in and enrol to take the quiz." in html and "Was ist richtig?" not in html
    assert "vamos-mark-done" not in html and 'class="vamos-progress"' not in html
    assert not [key for key in runtime.kvs.db_dict if key.scope == Scope.user_state]  # no learner state written


def test_index_dictionary_feeds_course_search(course):
    lesson = course.lesson("erste-lektion").index_dictionary()
    assert lesson["content_type"] == "Text" and lesson["content"]["display_name"] == "Erste Lektion"
    assert "Ein Verein plant ein Projekt." in lesson["content"]["text"] and "<" not in lesson["content"]["text"]
    assert "Ziele formulieren" in lesson["content"]["text"]
    quiz = course.quiz().index_dictionary()
    assert "Was ist richtig?" in quiz["content"]["text"]
    assert not any(secret in quiz["content"]["text"] for secret in ("Richtig.", "Weil es so ist."))
    module = course.module().index_dictionary()
    assert "Ein kleines Modul für Tests." in module["content"]["text"]
