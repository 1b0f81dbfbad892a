"""Lesson video, figures and in-lesson checks in the LTI tool (Flask test client, both storage backends):
the checks answer without JavaScript (POST → page with feedback) and with it (fragment), store nothing,
count for nothing, and refuse tampered forms in German."""
from __future__ import annotations

from .test_learner import ALL_ON_ONE, Visitor, app, assert_german_refusal, count  # noqa: F401 - app is a fixture

LESSON = "kommunikationsstrategie"  # figure, explainer video and two checks


def check_url(v, check_id: str) -> str:
    return f"{v.base()}/lesson/{LESSON}/check/{check_id}"


def test_lesson_page_has_figure_video_captions_transcript_and_checks(app):
    v = Visitor(app, ALL_ON_ONE)
    page = v.get(f"{v.base()}/lesson/{LESSON}").text
    assert '<img src="/media/kommunikation-im-verband/media/abbildungen/kommunikationsplan.svg"' in page
    assert 'width="360" height=' in page and '<details class="figure-description">' in page
    assert '<video controls preload="metadata"' in page
    assert '<track kind="captions" src="/media/kommunikation-im-verband/media/video/erklaervideo.vtt"' in page
    assert '<details class="transcript"' in page and "Willkommen beim Erklärvideo" in page
    assert page.count('data-check-form') == 2 and 'name="csrf"' in page
    assert "zählen nicht für den Wissenstest oder das Zertifikat" in page


def test_media_files_are_served_with_types_and_ranges(app):
    v = Visitor(app, ALL_ON_ONE)
    base = f"/media/{ALL_ON_ONE}/media/video/erklaervideo"
    assert v.client.get(base + ".vtt").headers["Content-Type"].startswith("text/vtt")
    video = v.client.get(base + ".mp4", headers={"Range": "bytes=0-99"})
    assert video.status_code == 206 and len(video.data) == 100 and video.headers["Content-Type"] == "video/mp4"
    svg = v.client.get(f"/media/{ALL_ON_ONE}/media/abbildungen/kommunikationsplan.svg")
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert "sandbox" in svg.headers["Content-Security-Policy"]  # opened on its own, the SVG runs nothing
    page = v.get(f"{v.base()}/lesson/{LESSON}")
    assert "media-src 'self' https:" in page.headers["Content-Security-Policy"]


def test_check_without_javascript_shows_feedback_and_stores_nothing(app):
    v = Visitor(app, ALL_ON_ONE)
    v.get(f"{v.base()}/lesson/{LESSON}")
    events = count(app)
    wrong = v.post(check_url(v, "kommunikationsziel"), [("option", "a")])
    assert wrong.status_code == 200 and "<html" in wrong.text
    assert "Noch nicht ganz" in wrong.text and "Das ist zu ungenau" in wrong.text
    assert 'value="a" id="check-kommunikationsziel-a" checked' in wrong.text
    right = v.post(check_url(v, "kommunikationsziel"), [("option", "c")])
    assert "Richtig!" in right.text and "Ein Kommunikationsziel sagt" in right.text
    empty = v.post(check_url(v, "kernbotschaften"))
    assert "Bitte wählen Sie zuerst eine Antwort." in empty.text
    assert count(app) == events  # ungraded: no event, no score, nothing for the certificate
    state = v.state()
    assert state.percent == 0


def test_check_fragment_for_javascript(app):
    v = Visitor(app, ALL_ON_ONE)
    form = [("ls", v.sid), ("csrf", v.csrf), ("option", "a")]
    from .test_learner import _multi

    r = v.client.post(check_url(v, "kernbotschaften"), data=_multi(form), headers={"X-Vamos-Fragment": "1"})
    assert r.status_code == 200 and "<html" not in r.text
    assert r.text.startswith('<section class="lesson-checks"') and "Richtig!" in r.text


def test_tampered_checks_are_refused(app):
    v = Visitor(app, ALL_ON_ONE)
    assert_german_refusal(v.post(check_url(v, "kommunikationsziel"), [("option", "a")], csrf="falsch"), 400, "form_expired")
    assert_german_refusal(v.post(check_url(v, "gibt-es-nicht"), [("option", "a")]), 404, "not_found")
    assert_german_refusal(v.post(check_url(v, "kommunikationsziel"), [("option", "z")]), 400, "bad_form")
    assert_german_refusal(v.post(check_url(v, "kommunikationsziel"), [("option", "a"), ("option", "c")]), 400, "bad_form")
    other = v.module.lessons[-1].id
    assert_german_refusal(v.post(f"{v.base()}/lesson/{other}/check/kommunikationsziel", [("option", "a")]), 404, "not_found")
    no_session = app.test_client().post(check_url(v, "kommunikationsziel"), data={"option": "a"})
    assert_german_refusal(no_session, 401, "session_missing")
