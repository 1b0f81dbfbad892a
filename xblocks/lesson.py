"""``vamos_lesson``: one lesson; its Markdown, objectives, downloads, glossary and sources are fields of the block.

Rendering is the core's (``vamos_core.rendering.render_lesson`` over a module rebuilt from the fields), so every
Markdown feature of the content format appears here unchanged, and so does the lesson video (native player,
captions, transcript below). Media — images, video files, poster, captions — live in the course's files
(``/static/media/…``, rewritten by Open edX to asset URLs and served by its asset server, which answers byte
ranges so a video can be sought). Completion is custom: ``completion`` 1.0 is published when the learner marks
the lesson as done (reading time is not completion). The in-lesson checks answer through the ``check`` handler
with the core's feedback and store nothing: they count for no grade and no completion.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from webob import Response
from xblock.completable import CompletableXBlockMixin
from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError
from xblock.fields import Boolean, Dict, Integer, List, Scope, String

from vamos_core.block_fields import lesson_module, lesson_problems
from vamos_core.grading import InvalidAnswer
from vamos_core.lesson_checks import answer_check, render_check, render_checks
from vamos_core.markdown import plain_text
from vamos_core.olx import media_url_prefix
from vamos_core.rendering import render_lesson

from .base import EditableField, VamosBlockBase, require_mapping
from .i18n import _
from .workbench import lesson_scenarios


@XBlock.needs("i18n")
@XBlock.wants("user")
@XBlock.wants("replace_urls")
class LessonBlock(CompletableXBlockMixin, VamosBlockBase):
    """A lesson: text, cases, checklists and tasks, marked as done by the learner."""

    display_name = String(display_name=_("Title"), help=_("Title of the lesson, shown in the course navigation."),
                          scope=Scope.settings, default=_("Lesson"))
    lesson_id = String(display_name=_("Lesson id"), help=_("Stable id of the lesson (learner state hangs on it)."),
                       scope=Scope.settings, default="")
    language = String(help=_("Language of the lesson text."), scope=Scope.settings, default="de")
    module_version = String(help=_("Content version the lesson was built from."), scope=Scope.content, default="")
    minutes = Integer(display_name=_("Minutes"), help=_("About how many minutes the lesson takes (1 to 240)."),
                      scope=Scope.content, default=10)
    markdown = String(display_name=_("Lesson text (Markdown)"),
                      help=_("VAMOs Markdown: headings, lists, tables, callouts (::: tipp …), images from media/."),
                      scope=Scope.content, default="", multiline_editor=True)
    objectives = List(help=_("Learning objectives of the lesson (id and text)."), scope=Scope.content, default=[])
    downloads = List(help=_("Downloads of the lesson (file below media/ and title)."), scope=Scope.content, default=[])
    media = List(help=_("Files of the course (below media/) the lesson uses."), scope=Scope.content, default=[])
    glossary = List(help=_("Glossary of the module (terms explained where the lesson mentions them)."),
                    scope=Scope.content, default=[])
    sources = List(help=_("Sources of the module (cited as [id] in the text)."), scope=Scope.content, default=[])
    video = Dict(help=_("Video of the lesson (files below media/ or an https URL, poster, captions, transcript)."),
                 scope=Scope.content, default={})
    plain_summary = String(display_name=_("In short and simple"),
                           help=_("The lesson in three to five plain German sentences (A2–B1), shown at its top."),
                           scope=Scope.content, default="", multiline_editor=True)
    video_transcript = String(help=_("Transcript of the lesson video (Markdown), shown below the player."),
                              scope=Scope.content, default="")
    checks = List(help=_("Ungraded questions inside the lesson with immediate feedback (at most two)."),
                  scope=Scope.content, default=[])

    done = Boolean(help=_("The learner marked the lesson as done."), scope=Scope.user_state, default=False)
    done_at = String(help=_("When the learner marked the lesson as done (UTC, ISO 8601)."), scope=Scope.user_state,
                     default="")

    editable_fields = (
        EditableField("display_name"),
        EditableField("minutes", "number"),
        EditableField("plain_summary", "textarea", rows=4),
        EditableField("markdown", "textarea", rows=24),
    )

    @staticmethod
    def workbench_scenarios():
        return lesson_scenarios()

    # --- content --------------------------------------------------------------------------------------------

    def rendered(self, values: dict | None = None):
        """(module, lesson, rendered lesson) by the core, or None when the block has no text yet."""
        values = values or self.content_values()
        if not (values.get("markdown") or "").strip():
            return None
        module = lesson_module(values)
        lesson = module.lessons[0]
        return module, lesson, render_lesson(module, lesson, media_url_prefix())

    def page_context(self, public: bool = False) -> dict:
        rendered = self.rendered()
        t = {
            "mark_done": self._("Mark as done"),
            "done": self._("Done"),
            "done_status": self._("You have marked this lesson as done."),
            "downloads": self._("Downloads"),
            "glossary": self._("Terms in this lesson"),
            "sources": self._("Sources"),
            "objectives": self._("In this lesson you learn to …"),
            "minutes": self._("About {minutes} minutes").format(minutes=self.minutes) if self.minutes else "",
            "error": self._("Could not save. Please try again."),
            "public": self._("Sign in and enrol to mark lessons as done and take the quiz."),
            "plain_summary": self._("In short and simple"),
        }
        ui = self.ui_language()
        body, terms, sources, video, checks = "", [], [], "", ""
        if rendered is not None:
            _module, lesson, page = rendered
            body, terms, sources, video = page.html, page.glossary, page.sources, page.video_html
            checks = render_checks(lesson, self.check_url)
        return {
            "title": self.display_name,
            "body": body,
            "video": video,
            "checks": checks,
            "objectives": [o["text"] for o in self.objectives],
            "downloads": [{"title": d["title"], "url": f"{media_url_prefix()}/{d['file']}"} for d in self.downloads],
            "terms": [{"anchor": f"begriff-{term.id}", "term": term.term, "definition": term.definition,
                       "translation": term.translation(ui) if ui != self.page_language() else None} for term in terms],
            "plain_summary": self.plain_summary,
            "sources": [{"anchor": f"quelle-{s.id}", "id": s.id, "title": s.title, "url": s.url} for s in sources],
            "done": self.done and not public,
            "public": public,
            "notice": "" if body else self._("This lesson has no content yet."),
            **self.language_context(),
            "t": t,
        }

    # --- views ----------------------------------------------------------------------------------------------

    @XBlock.supports("multi_device")  # a view decorator: the mobile apps check student_view itself
    def student_view(self, context=None):  # pylint: disable=unused-argument
        context = self.page_context()
        html = self.render_template("templates/lesson.html", context)
        return self.fragment(html, "VamosLessonBlock", {"strings": context["t"], "done": self.done})

    def public_view(self, context=None):  # pylint: disable=unused-argument
        """Course preview for visitors: the lesson text, no learner state and nothing to save."""
        html = self.render_template("templates/lesson.html", self.page_context(public=True))
        return self.fragment(html, None)

    def author_view(self, context=None):  # pylint: disable=unused-argument
        """Studio's unit page: a readable summary instead of the whole text."""
        words = len(plain_text(self.markdown).split()) if self.markdown.strip() else 0
        summary = self._("{minutes} minutes · {words} words · {terms} glossary terms · {downloads} downloads").format(
            minutes=self.minutes, words=words, terms=len(self.rendered()[2].glossary) if words else 0,
            downloads=len(self.downloads))
        lines = [summary] + [o["text"] for o in self.objectives]
        return self.fragment(self.author_summary_html(self.display_name, lines), None)

    def student_view_data(self, context=None):  # pylint: disable=unused-argument
        """The lesson for the mobile apps (course blocks API): ready HTML, no learner state.

        The checks come without correct flags and feedback (the app asks the ``check`` handler, as the page does).
        """
        rendered = self.rendered()
        page = rendered[2] if rendered else None
        lesson = rendered[1] if rendered else None
        return {
            "type": "vamos_lesson",
            "lesson_id": self.lesson_id,
            "module_id": self.module_id,
            "title": self.display_name,
            "language": self.page_language(),
            "minutes": self.minutes,
            "objectives": [o["text"] for o in self.objectives],
            "html": self.replace_urls(page.html) if page else "",
            "downloads": [{"title": d["title"], "url": self.replace_urls(f"{media_url_prefix()}/{d['file']}")}
                          for d in self.downloads],
            "glossary": [{"term": t.term, "definition": t.definition} for t in (page.glossary if page else ())],
            "sources": [{"id": s.id, "title": s.title, "url": s.url or ""} for s in (page.sources if page else ())],
            "video": self.video_data(lesson.video) if lesson and lesson.video else None,
            "checks": [{"id": c.id, "type": c.type.value, "prompt": c.prompt,
                        "options": [{"id": o.id, "text": o.text} for o in c.options],
                        "handler_url": self.check_url(c.id)} for c in (lesson.checks if lesson else ())],
        }

    def video_data(self, video) -> dict:
        def url(path):
            return self.replace_urls(f"{media_url_prefix()}/{path}") if path else ""
        return {
            "title": video.title,
            "sources": [{"url": url(f), "type": "video/webm" if f.lower().endswith(".webm") else "video/mp4"}
                        for f in video.files] or [{"url": video.url, "type": ""}],
            "poster": url(video.poster),
            "captions": {"url": url(video.captions), "language": video.captions_language},
            "transcript": video.transcript_markdown or "",
            "duration_seconds": video.duration_seconds,
        }

    def index_dictionary(self):
        """Course search (Open edX's courseware indexer): the lesson's plain text, objectives, video transcript and
        check questions (never their answers)."""
        parts = [o["text"] for o in self.objectives]
        for markdown in (self.markdown, self.video_transcript):
            if markdown.strip():
                parts.append(plain_text(markdown))
        parts += [c.get("prompt", "") for c in self.checks]
        text = " ".join(parts)
        return {"content": {"display_name": self.display_name, "text": text}, "content_type": "Text"}

    # --- handlers -------------------------------------------------------------------------------------------

    @XBlock.json_handler
    def mark_done(self, data, suffix=""):  # pylint: disable=unused-argument
        """The learner marks the lesson as done: publish completion (the module block reads ``done``)."""
        body = require_mapping(data, {"done"}, self._)
        if body.get("done", True) is not True:
            raise JsonHandlerError(400, self._("A lesson can only be marked as done."))
        if not self.markdown.strip():
            raise JsonHandlerError(400, self._("This lesson is not available."))
        if not self.done:
            self.done = True
            self.done_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.emit_completion(1.0)
        return {"done": True, "done_at": self.done_at, "status": self._("You have marked this lesson as done.")}

    def check_url(self, check_id: str) -> str:
        return self.runtime.handler_url(self, "check", check_id)

    @XBlock.handler
    def check(self, request, suffix=""):
        """Answer an in-lesson check (``suffix`` is its id) with the core's feedback; nothing is stored or published.

        JSON (``{"option": [ids]}``, from the page's script or an app) gets ``{"correct", "html"}``; the plain form
        (no JavaScript) gets a small page with the check and its feedback.
        """
        rendered = self.rendered()
        question = rendered[1].check(suffix) if rendered else None
        # A browser without script sends the form; everything else (script, apps) sends JSON.
        wants_json = request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data")
        if request.method != "POST":
            return self._check_error(405, self._("Send the answer with POST."), wants_json)
        if question is None:
            return self._check_error(404, self._("This question does not exist."), wants_json)
        if wants_json:
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = None
            if not isinstance(body, dict) or set(body) - {"option"} or not isinstance(body.get("option"), list) \
                    or not all(isinstance(o, str) for o in body["option"]):
                return self._check_error(400, self._("The request must be a JSON object."), True)
            chosen = body["option"]
        else:
            chosen = request.POST.getall("option")
        if not chosen:
            if wants_json:
                return self._check_error(400, self._("Please choose an answer first."), True)
            return self._check_page(rendered[1], None, missing=suffix)
        try:
            feedback = answer_check(question, chosen)
        except InvalidAnswer:
            return self._check_error(400, self._("This answer does not belong to the question."), wants_json)
        if wants_json:
            html = render_check(question, self.check_url(question.id), "", feedback, False,
                                self._check_label(rendered[1], question))
            return Response(json_body={"correct": feedback.correct, "html": html})
        return self._check_page(rendered[1], feedback)

    @staticmethod
    def _check_label(lesson, question) -> str:
        count = len(lesson.checks)
        return f"Frage {lesson.checks.index(question) + 1} von {count}" if count > 1 else "Frage"

    def _check_page(self, lesson, feedback, missing=None) -> Response:
        html = self.render_template("templates/lesson_check_page.html", {
            "title": self.display_name, "lang": self.page_language(),
            "css": self.runtime.local_resource_url(self, "public/css/vamos.css"),
            "checks": render_checks(lesson, self.check_url, feedback=feedback, missing_answer=missing),
            "back": self._("Use your browser's back button to return to the lesson."),
        })
        return Response(html, content_type="text/html", charset="utf-8")

    def _check_error(self, status: int, message: str, wants_json: bool) -> Response:
        if wants_json:
            return Response(json_body={"error": message}, status=status)
        return Response(message, status=status, content_type="text/plain", charset="utf-8")

    # --- Studio ---------------------------------------------------------------------------------------------

    def studio_extra_html(self) -> str:
        """The preview, and the video and checks read-only: they come from the module's files (``vamos build-olx``)."""
        video = self.video or {}
        return self.render_template("templates/lesson_preview.html", {
            "t": self.studio_strings(),
            "video": video.get("title", ""),
            "video_files": [f for f in [*(video.get("files") or ()), video.get("url"), video.get("poster"),
                                        video.get("captions"), video.get("transcript")] if f],
            "checks": [c.get("prompt", "") for c in self.checks],
            "s": {"video": self._("Lesson video"), "checks": self._("Checks in the lesson (ungraded)"),
                  "note": self._("The video and the checks are edited in the module's files and come with the "
                                 "next course import (vamos build-olx); saving here keeps them.")},
        })

    @XBlock.json_handler
    def preview(self, data, suffix=""):  # pylint: disable=unused-argument
        """The Markdown in the editor rendered by the core, before saving (problems are listed, nothing saved)."""
        body = require_mapping(data, {"markdown"}, self._)
        markdown = body.get("markdown")
        if not isinstance(markdown, str) or len(markdown) > 200_000:
            raise JsonHandlerError(400, self._("Enter text."))
        values = {**self.content_values(), "markdown": markdown}
        problems = lesson_problems(values, self.media)
        if "markdown" in problems:
            return {"html": "", "problems": self.translate_problem(problems["markdown"])}
        rendered = self.rendered(values)
        page = rendered[2].html if rendered else ""
        return {"html": page, "problems": ""}

    def validate_studio_values(self, values):
        errors = super().validate_studio_values(values)
        for name, message in lesson_problems(values, self.media).items():
            field = "checks" if name.startswith("checks") else name if name in self.fields else "markdown"
            errors.setdefault(field, self.translate_problem(f"{name}: {message}" if field == "checks" else message))
        return errors
