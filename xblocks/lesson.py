"""``vamos_lesson``: one lesson of a module, rendered by the core, or Markdown authored in Studio.

Completion is custom: the block publishes ``completion`` 1.0 when the learner marks the lesson as done
(reading time is not completion). Media files of the module are served by the ``media`` handler.
"""
from __future__ import annotations

import html
import mimetypes
import re
from datetime import datetime, timezone
from pathlib import Path

from webob import Response
from xblock.completable import CompletableXBlockMixin
from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError
from xblock.fields import Boolean, Scope, String

from vamos_core.glossary import link_glossary_terms
from vamos_core.markdown import check_body, render_markdown
from vamos_core.rendering import render_lesson

from . import content
from .base import EditableField, VamosBlockBase, module_choices, require_mapping
from .i18n import _
from .workbench import lesson_scenarios

# media/<name>[/<name>…]: no dot segments, no hidden files, no backslashes, no query tricks.
MEDIA_PATH_RE = re.compile(r"^media/(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}/){0,4}[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MEDIA_PLACEHOLDER = "__vamos_media__"
MEDIA_ATTR_RE = re.compile(r'\b(src|href|poster)="__vamos_media__/([^"]*)"')
NO_MEDIA_DIR = Path("/nonexistent/vamos-media")
# Figures, the lesson video, its poster and captions are shown in the page, not downloaded (issue 18).
INLINE_MEDIA_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", "video/mp4",
                      "video/webm", "text/vtt"}


def lesson_choices(block: "LessonBlock") -> list[tuple[str, str]]:
    choices = [("", block._("— Markdown authored in Studio —"))]
    for module in content.catalog():
        choices += [(lesson.id, f"{module.title}: {lesson.title}") for lesson in module.lessons]
    return choices


@XBlock.needs("i18n")
@XBlock.wants("user")
class LessonBlock(CompletableXBlockMixin, VamosBlockBase):
    """A lesson: text, cases, checklists and tasks, marked as done by the learner."""

    display_name = String(
        display_name=_("Display name"),
        help=_("Name shown in the course navigation."),
        scope=Scope.settings,
        default=_("Lesson"),
    )
    lesson_id = String(
        display_name=_("Lesson"),
        help=_("Id of a lesson of the module. Leave empty to show the Markdown below instead."),
        scope=Scope.settings,
        default="",
    )
    markdown = String(
        display_name=_("Markdown"),
        help=_("Lesson text in the VAMOs Markdown format, used when no lesson is chosen."),
        scope=Scope.content,
        default="",
        multiline_editor=True,
    )
    done = Boolean(help=_("The learner marked the lesson as done."), scope=Scope.user_state, default=False)
    done_at = String(help=_("When the learner marked the lesson as done (UTC, ISO 8601)."), scope=Scope.user_state, default="")

    editable_fields = (
        EditableField("display_name"),
        EditableField("module_id", "select", module_choices),
        EditableField("lesson_id", "select", lesson_choices),
        EditableField("markdown", "textarea"),
    )

    @staticmethod
    def workbench_scenarios():
        return lesson_scenarios()

    # --- content --------------------------------------------------------------------------------------------

    def get_lesson(self):
        module = self.get_module()
        return module.lesson(self.lesson_id) if module and self.lesson_id else None

    def media_url(self, relative: str) -> str:
        return self.runtime.handler_url(self, "media", relative.split("#", 1)[0].split("?", 1)[0])

    def _resolve_media(self, fragment: str) -> str:
        """Replace the core's media placeholder with this learner's handler URLs (rendering stays cacheable)."""
        def resolve(match: re.Match) -> str:
            path = html.unescape(match.group(2))
            return f'{match.group(1)}="{html.escape(self.media_url(path))}"'

        return MEDIA_ATTR_RE.sub(resolve, fragment)

    def lesson_html(self) -> tuple[str, str, list, list, list]:
        """(title, body HTML, downloads, glossary terms, cited sources) — an empty body if nothing is configured."""
        module = self.get_module()
        lesson = self.get_lesson()
        if lesson is not None:
            rendered = render_lesson(module, lesson, MEDIA_PLACEHOLDER)
            downloads = [{"title": d.title, "url": self.media_url(d.file)} for d in lesson.downloads]
            # The video section (player, captions, transcript) comes first; in-lesson checks are not in the
            # XBlock yet (they need a handler: left to the XBlock rewrite, issue 14).
            body = self._resolve_media(rendered.video_html + rendered.html)
            return lesson.title, body, downloads, list(rendered.glossary), list(rendered.sources)
        if self.markdown.strip():
            body = render_markdown(self.markdown, media_url=(self.media_url if module else None))
            terms: list = []
            if module is not None:
                body, terms = link_glossary_terms(body, module.glossary)
            return self.display_name, body, [], terms, []
        return self.display_name, "", [], [], []

    # --- views ----------------------------------------------------------------------------------------------

    def student_view(self, context=None):  # pylint: disable=unused-argument
        title, body, downloads, terms, sources = self.lesson_html()
        lesson = self.get_lesson()
        notice = ""
        if self.lesson_id and lesson is None:
            notice = self._("This lesson is not available. Please tell the course team.")
        elif not body:
            notice = self._("This lesson has no content yet.")
        t = {
            "mark_done": self._("Mark as done"),
            "done": self._("Done"),
            "done_status": self._("You have marked this lesson as done."),
            "downloads": self._("Downloads"),
            "glossary": self._("Terms in this lesson"),
            "sources": self._("Sources"),
            "minutes": (self._("About {minutes} minutes").format(minutes=lesson.minutes) if lesson else ""),
            "error": self._("Could not save. Please try again."),
        }
        context = {
            "title": title,
            "body": body,
            "downloads": downloads,
            "terms": [{"anchor": f"begriff-{term.id}", "term": term.term, "definition": term.definition} for term in terms],
            "sources": [{"anchor": f"quelle-{s.id}", "id": s.id, "title": s.title, "url": s.url} for s in sources],
            "done": self.done,
            "notice": notice,
            "lang": self.language(),
            "t": t,
        }
        html = self.render_template("templates/lesson.html", context)
        return self.fragment(html, "VamosLessonBlock", {"strings": t, "done": self.done})

    # --- handlers -------------------------------------------------------------------------------------------

    @XBlock.json_handler
    def mark_done(self, data, suffix=""):  # pylint: disable=unused-argument
        """The learner marks the lesson as done: publish completion and record it for the module."""
        body = require_mapping(data, {"done"}, self._)
        if body.get("done", True) is not True:
            raise JsonHandlerError(400, self._("A lesson can only be marked as done."))
        if not self.get_lesson() and not self.markdown.strip():
            raise JsonHandlerError(400, self._("This lesson is not available."))
        if not self.done:
            self.done = True
            self.done_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.emit_completion(1.0)
        if self.get_lesson() is not None:
            record = self.progress_record()
            self.update_progress_record(lessons=sorted(set(record["lessons"]) | {self.lesson_id}))
        return {"done": True, "done_at": self.done_at, "status": self._("You have marked this lesson as done.")}

    @XBlock.handler
    def media(self, request, suffix=""):
        """A media file of the lesson's module (``media/…`` only; anything else is a 404)."""
        if request.method not in ("GET", "HEAD"):
            return Response(status=405, allow=["GET", "HEAD"])
        module = self.get_module()
        if module is None or not MEDIA_PATH_RE.match(suffix or "") or ".." in suffix:
            return Response(status=404)
        path = module.media_path(suffix)
        if path is None:
            return Response(status=404)
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = Response(body=path.read_bytes(), content_type=mimetype)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.cache_control = "private, max-age=3600"
        if mimetype not in INLINE_MEDIA_TYPES:
            response.content_disposition = f'attachment; filename="{path.name}"'
        return response

    # --- Studio ---------------------------------------------------------------------------------------------

    def validate_studio_values(self, values):
        errors = super().validate_studio_values(values)
        module = content.get_module(values.get("module_id"))
        lesson_id = values.get("lesson_id") or ""
        markdown = values.get("markdown") or ""
        if lesson_id:
            if not values.get("module_id"):
                errors.setdefault("module_id", self._("Choose the module of the lesson."))
            elif module is not None and module.lesson(lesson_id) is None:
                errors["lesson_id"] = self._("The module has no lesson '{lesson}'.").format(lesson=lesson_id)
        elif not markdown.strip():
            errors["markdown"] = self._("Choose a lesson or write the lesson text.")
        if not lesson_id and markdown.strip():
            # Without a module there is no media folder: links to media/ are then reported as missing.
            problems = check_body(markdown, module.path if module else NO_MEDIA_DIR)
            if problems:
                errors["markdown"] = "; ".join(f"{p.line}: {p.message}" for p in problems[:5])
        return errors

