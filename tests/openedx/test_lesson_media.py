"""The lesson XBlock carries the lesson video: player, poster, captions and transcript through its media
handler (the rest of the XBlock side of issue 18 — in-lesson checks — belongs to the XBlock rewrite)."""
from __future__ import annotations

import pytest
from webob import Request

from tests.core.conftest import ModuleFolder
from tests.core.test_lesson_media import write_media_lesson

from .conftest import MODULE_ID, call


@pytest.fixture
def content_dir(tmp_path):
    return write_media_lesson(ModuleFolder(tmp_path)).root.parent


def test_video_and_figure_use_the_media_handler(runtime):
    block = runtime.block(f'<vamos_lesson module_id="{MODULE_ID}" lesson_id="zweite-lektion" display_name="Zwei"/>')
    html = runtime.render(block, "student_view").content
    assert 'poster="/handler/' in html and "/media/media/video/film.jpg?student=alice" in html
    assert '<track kind="captions" src="/handler/' in html and "film.vtt?student=alice" in html
    assert "__vamos_media__" not in html
    assert '<details class="transcript"' in html and "/media/media/treppe.svg?student=alice" in html
    for suffix, kind in [("media/video/film.vtt", "text/vtt"), ("media/video/film.mp4", "video/mp4"),
                         ("media/treppe.svg", "image/svg+xml")]:
        request = Request.blank("/", method="GET")
        response = block.runtime.handle(block, "media", request, suffix)
        assert response.status_code == 200 and response.content_type == kind
        assert response.content_disposition is None  # shown in the page, not downloaded
        assert "sandbox" in response.headers["Content-Security-Policy"]
    assert call(block, "media", method="GET", suffix="media/video/film.vtt")[0] == 200
