"""vamos_lesson in XBlock's test runtime: the content comes from the block's fields (OLX), rendered by the core;
completion on "done"; Studio editing validated by the core."""
from __future__ import annotations

import pytest

from .conftest import BlockRuntime, call


def test_student_view_renders_the_core_lesson(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    html = runtime.render(block, "student_view").body_html()
    assert "Erste Lektion" in html
    assert 'class="callout callout-fall"' in html  # the core's Markdown rendering
    assert "Ein Verein plant ein " in html
    # media live in the course's files: /static/… is rewritten by Open edX to the asset URL
    assert 'src="/static/media/zyklus.png"' in html
    assert 'href="/static/media/vorlage.csv"' in html
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
    # again: idempotent state, completion re-sent (the platform upserts it)
    done_at = block.done_at
    status, _ = call(block, "mark_done", {})
    assert status == 200 and block.done is True and block.done_at == done_at
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


def test_lesson_without_text_shows_a_notice(runtime):
    block = runtime.block('<vamos_lesson display_name="Leer"/>')
    html = runtime.render(block, "student_view").body_html()
    assert "This lesson has no content yet" in html
    assert call(block, "mark_done", {})[0] == 400


def test_studio_view_edits_title_minutes_and_markdown(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    html = runtime.render(block, "studio_view").body_html()
    for name in ("display_name", "minutes", "markdown"):
        assert f'name="{name}"' in html
    assert "::: fall Brücke e. V." in html and "vamos-preview-button" in html


def test_studio_submit_validates_with_the_core(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    original = block.markdown
    status, body = call(block, "studio_submit", {"values": {"display_name": " ", "minutes": "0"}})
    assert status == 400 and set(body["error"]["fields"]) == {"display_name", "minutes"}
    status, body = call(block, "studio_submit", {"values": {"markdown": ""}})
    assert status == 400 and "markdown" in body["error"]["fields"]
    status, body = call(block, "studio_submit", {"values": {"markdown": "<script>alert(1)</script>"}})
    assert status == 400 and "<script> is not allowed" in body["error"]["fields"]["markdown"]
    status, body = call(block, "studio_submit", {"values": {"markdown": "![Bild](media/gibt-es-nicht.png)"}})
    assert status == 400 and "gibt-es-nicht.png" in body["error"]["fields"]["markdown"]
    status, body = call(block, "studio_submit", {"values": {"markdown": "[x](../../etc/passwd)"}})
    assert status == 400 and "outside" in body["error"]["fields"]["markdown"]
    status, body = call(block, "studio_submit", {"values": {"markdown": "Text mit Quelle [Q99]."}})
    assert status == 400 and "Q99" in body["error"]["fields"]["markdown"]
    status, body = call(block, "studio_submit", {"values": {"display_name": 5}})
    assert status == 400 and "display_name" in body["error"]["fields"]
    assert call(block, "studio_submit", {"values": {"lesson_id": "x"}})[0] == 400  # not editable: stable id
    assert block.markdown == original and block.display_name == "Erste Lektion"  # nothing half-saved

    new = original.replace("Ein Verein plant ein Projekt.", "Ein Verein plant ein Sommerfest.")
    status, body = call(block, "studio_submit", {"values": {"markdown": new, "display_name": "Lektion 1", "minutes": "12"}})
    assert status == 200 and body["saved"] is True
    html = runtime.render(block, "student_view").body_html()
    assert "Ein Verein plant ein Sommerfest." in html and "Lektion 1" in html and "About 12 minutes" in html


def test_preview_renders_with_the_core_without_saving(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    status, body = call(block, "preview", {"markdown": "## Neu\n\n::: tipp Kurz\nText\n:::"})
    assert status == 200 and "callout-tipp" in body["html"] and body["problems"] == ""
    status, body = call(block, "preview", {"markdown": "<b>roh</b>"})
    assert status == 200 and body["html"] == "" and "<b>" in body["problems"]
    assert call(block, "preview", {"markdown": 5})[0] == 400
    assert "## Neu" not in block.markdown


def test_validate_reports_content_problems(runtime):
    block = runtime.block('<vamos_lesson display_name="Leer" minutes="10"/>')
    messages = [m.text for m in block.validate().messages]
    assert any(m.startswith("markdown:") for m in messages)


def test_author_view_is_a_summary(runtime, lesson_xml):
    block = runtime.block(lesson_xml)
    html = runtime.render(block, "author_view").body_html()
    assert "Erste Lektion" in html and "10 minutes" in html and "Ziele formulieren" in html
    assert "callout-fall" not in html


def test_learners_cannot_change_content_in_the_lms(lesson_xml):
    """In the LMS, authored scopes are read-only field data (edx-platform wraps them in ReadOnlyFieldData) and any
    handler is callable by a learner: studio_submit must refuse, not half-save or fail with a 500."""
    from xblock.field_data import ReadOnlyFieldData, SplitFieldData
    from xblock.fields import Scope

    runtime = BlockRuntime()
    usage = runtime.parse_xml_string(lesson_xml)
    authored = runtime._services["field-data"]  # noqa: SLF001
    read_only = ReadOnlyFieldData(authored)
    runtime._services["field-data"] = SplitFieldData({  # noqa: SLF001
        Scope.content: read_only, Scope.settings: read_only, Scope.parent: read_only, Scope.children: read_only,
        Scope.user_state: authored, Scope.user_state_summary: authored, Scope.preferences: authored,
        Scope.user_info: authored,
    })
    block = runtime.get_block(usage)
    status, body = call(block, "studio_submit", {"values": {"display_name": "Gehackt"}})
    assert status == 403 and "course authors" in body["error"]
    assert runtime.get_block(usage).display_name == "Erste Lektion"
    assert call(runtime.get_block(usage), "mark_done", {})[0] == 200  # learner state still writes
