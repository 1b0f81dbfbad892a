"""vamos_lesson in XBlock's test runtime: rendering, completion on "done", media handler, Studio editing."""
from __future__ import annotations

import pytest

from .conftest import MODULE_ID, BlockRuntime, call


def test_student_view_renders_the_core_lesson(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    html = runtime.render(block, "student_view").body_html()
    assert "Erste Lektion" in html
    assert 'class="callout callout-fall"' in html  # the core's Markdown rendering
    assert "Ein Verein plant ein " in html
    # media go through this block's media handler, per learner
    assert "/media/media/zyklus.png?student=alice" in html
    assert "/media/media/vorlage.csv?student=alice" in html
    assert "Der Projektzyklus</figcaption>" in html
    assert 'class="glossary-term"' in html and 'id="begriff-projekt"' in html
    assert "Mark as done" in html
    assert "About 10 minutes" in html


def test_student_view_in_german(lesson_xml):
    runtime = BlockRuntime(language="de")
    html = runtime.render(runtime.block(lesson_xml), "student_view").body_html()
    assert "Als erledigt markieren" in html
    assert "Etwa 10 Minuten" in html


def test_mark_done_publishes_completion_and_records_progress(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    status, body = call(block, "mark_done", {"done": True})
    assert status == 200 and body["done"] is True and body["done_at"]
    assert runtime.published("completion") == [{"completion": 1.0}]
    assert block.done is True
    assert block.progress_record()["lessons"] == ["erste-lektion"]
    # again: idempotent state, completion re-sent (the platform upserts it)
    status, _ = call(block, "mark_done", {})
    assert status == 200 and block.progress_record()["lessons"] == ["erste-lektion"]
    html = runtime.render(block, "student_view").body_html()
    assert "You have marked this lesson as done." in html and "disabled" in html


@pytest.mark.parametrize("body, raw", [
    (None, b"not json"),
    ([True], None),
    ("done", None),
    ({"done": False}, None),
    ({"done": "yes"}, None),
    ({"done": True, "completion": 1.0}, None),  # the browser never sends a completion value
])
def test_mark_done_rejects_bad_input(runtime, lesson_xml, body, raw):
    block = runtime.block(lesson_xml)
    status, payload = call(block, "mark_done", body, raw=raw)
    assert status == 400 and "error" in payload
    assert runtime.published("completion") == []
    assert block.done is False


def test_mark_done_needs_post(runtime, lesson_xml):
    status, _ = call(runtime.block(lesson_xml), "mark_done", method="GET")
    assert status == 405


def test_state_is_per_learner(runtime, lesson_xml):
    usage = runtime.parse_xml_string(lesson_xml)
    call(runtime.get_block(usage), "mark_done", {})
    bob = runtime.for_user("bob")
    assert bob.get_block(usage).done is False
    assert runtime.for_user("alice").get_block(usage).done is True


def test_media_handler_serves_module_media(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    status, body = call(block, "media", method="GET", suffix="media/vorlage.csv")
    assert status == 200 and body == b"Schritt;Wer\n"
    request_status, png = call(block, "media", method="GET", suffix="media/zyklus.png")
    assert request_status == 200 and png.startswith(b"\x89PNG")


@pytest.mark.parametrize("suffix", [
    "module.yaml", "media/../module.yaml", "media/../../etc/passwd", "/etc/passwd", "media/", "media/.hidden",
    "media/missing.png", "lessons/erste-lektion.md", "media\\..\\module.yaml", "media/%2e%2e/module.yaml",
])
def test_media_handler_refuses_everything_else(runtime, lesson_xml, suffix):
    status, _ = call(runtime.block(lesson_xml), "media", method="GET", suffix=suffix)
    assert status == 404


def test_media_handler_only_reads(runtime, lesson_xml):
    status, _ = call(runtime.block(lesson_xml), "media", {}, suffix="media/vorlage.csv")
    assert status == 405


def test_unknown_lesson_shows_a_notice(runtime):
    block = runtime.block(f'<vamos_lesson module_id="{MODULE_ID}" lesson_id="gibt-es-nicht"/>')
    html = runtime.render(block, "student_view").body_html()
    assert "This lesson is not available" in html
    status, _ = call(block, "mark_done", {})
    assert status == 400


def test_markdown_authored_in_studio(runtime):
    block = runtime.block('<vamos_lesson display_name="Aus Studio" markdown="## Hallo&#10;&#10;::: tipp Kurz&#10;Text&#10;:::"/>')
    html = runtime.render(block, "student_view").body_html()
    assert "<h2>Hallo</h2>" in html and "callout-tipp" in html
    status, _ = call(block, "mark_done", {})
    assert status == 200 and runtime.published("completion") == [{"completion": 1.0}]
    assert block.progress_record() == {"lessons": [], "attempts": []}  # not a lesson of a module


def test_studio_view_edits_every_author_field(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    html = runtime.render(block, "studio_view").body_html()
    for name in ("display_name", "module_id", "lesson_id", "markdown"):
        assert f'name="{name}"' in html
    assert f'<option value="{MODULE_ID}" selected>' in html
    assert '<option value="erste-lektion" selected>' in html


def test_studio_submit_validates_every_field(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    status, body = call(block, "studio_submit", {"values": {
        "display_name": " ", "module_id": "gibt-es-nicht", "lesson_id": "erste-lektion"}})
    assert status == 400
    assert set(body["error"]["fields"]) == {"display_name", "module_id"}
    status, body = call(block, "studio_submit", {"values": {"lesson_id": "nicht-im-modul"}})
    assert status == 400 and "lesson_id" in body["error"]["fields"]
    status, body = call(block, "studio_submit", {"values": {"lesson_id": "", "markdown": ""}})
    assert status == 400 and "markdown" in body["error"]["fields"]
    status, body = call(block, "studio_submit", {"values": {"lesson_id": "", "markdown": "<script>alert(1)</script>"}})
    assert status == 400 and "script" in body["error"]["fields"]["markdown"]
    status, body = call(block, "studio_submit", {"values": {"display_name": 5}})
    assert status == 400 and "display_name" in body["error"]["fields"]
    status, body = call(block, "studio_submit", {"values": {"unknown": "x"}})
    assert status == 400
    assert block.display_name == "Erste Lektion" and block.lesson_id == "erste-lektion"  # nothing half-saved

    status, body = call(block, "studio_submit", {"values": {
        "display_name": "Lektion 2", "module_id": MODULE_ID, "lesson_id": "zweite-lektion", "markdown": ""}})
    assert status == 200 and body["saved"] is True
    assert (block.display_name, block.lesson_id) == ("Lektion 2", "zweite-lektion")


def test_validate_reports_unknown_module(runtime):
    block = runtime.block('<vamos_lesson module_id="gibt-es-nicht" lesson_id="x"/>')
    messages = [m.text for m in block.validate().messages]
    assert any("gibt-es-nicht" in m for m in messages)
