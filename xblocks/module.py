"""``vamos_module``: the module's overview and the parent of its lessons and quiz. It shows the children one after
another, the learner's progress derived from *their* state, and — once the completion rule holds — the certificate.

The state comes from the core's ``module_state`` over the children's ``Scope.user_state`` (lessons done, the quiz's
attempts regraded with the current questions), so it is per course run, follows the instructor's reset, delete
and rescore, and judges Open edX learners by exactly the rule LTI learners are judged by.
"""
from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timezone

from webob import Response
from web_fragments.fragment import Fragment
from xblock.completable import XBlockCompletionMode
from xblock.core import XBlock
from xblock.fields import Boolean, Dict, Float, Integer, List, Scope, String
from xblock.utils.studio_editable import StudioContainerXBlockMixin

from vamos_core.block_fields import module_from_fields
from vamos_core.completion import ModuleState, module_state
from vamos_core.loader import DISCLAIMER_PHRASE
from vamos_core.model import Module

from . import certificate
from .base import EditableField, VamosBlockBase, require_mapping
from .i18n import _
from .workbench import module_scenarios

log = logging.getLogger(__name__)


@XBlock.needs("i18n")
@XBlock.wants("user")
@XBlock.wants("settings")
@XBlock.wants("mako")
class ModuleBlock(StudioContainerXBlockMixin, VamosBlockBase):
    """Overview, lessons and quiz (children), progress and certificate of one VAMOs module."""

    has_children = True
    completion_mode = XBlockCompletionMode.AGGREGATOR  # complete when its lessons are
    block_settings_key = certificate.SETTINGS_BUCKET

    display_name = String(display_name=_("Display name"), help=_("Name shown in the course navigation."),
                          scope=Scope.settings, default=_("Module overview"))
    title = String(display_name=_("Title"), help=_("Title of the module."), scope=Scope.content, default="")
    summary = String(display_name=_("Summary"), help=_("Two or three sentences: what learners gain."),
                     scope=Scope.content, default="")
    target_group = String(display_name=_("Target group"), help=_("Who the module is for."), scope=Scope.content,
                          default="")
    version = String(help=_("Content version."), scope=Scope.content, default="")
    language = String(help=_("Language of the module."), scope=Scope.settings, default="de")
    estimated_minutes = Integer(display_name=_("Learning time (minutes)"), help=_("Estimated learning time."),
                                scope=Scope.content, default=60)
    objectives = List(help=_("Learning objectives (id and text)."), scope=Scope.content, default=[])
    sources = List(help=_("Sources (id, title, URL)."), scope=Scope.content, default=[])
    glossary = List(help=_("Glossary terms."), scope=Scope.content, default=[])
    disclaimer = String(display_name=_("Disclaimer"), help=_("Must say that this is no legal or tax advice."),
                        scope=Scope.content, default="")
    advice = String(help=_("Where learners get individual advice."), scope=Scope.content, default="")
    legal_status = String(help=_("Date of the legal status."), scope=Scope.content, default="")
    require_all_lessons = Boolean(help=_("Completion needs every lesson marked as done."), scope=Scope.settings,
                                  default=True)
    require_quiz_pass = Boolean(help=_("Completion needs the quiz passed."), scope=Scope.settings, default=True)
    passing_score = Float(help=_("Passing score of the quiz in percent (the quiz's own setting wins)."),
                          scope=Scope.settings, default=70.0)
    certificate_hours = Float(help=_("Hours stated on the certificate."), scope=Scope.settings, default=None)
    certificate_show_score = Boolean(help=_("Show the quiz score on the certificate."), scope=Scope.settings,
                                     default=True)
    certificate = Dict(help=_("The learner's certificate issuance record (written once, after the first successful "
                              "rendering)."), scope=Scope.user_state, default={})

    editable_fields = (
        EditableField("display_name"),
        EditableField("title"),
        EditableField("summary", "textarea"),
        EditableField("target_group"),
        EditableField("estimated_minutes", "number"),
        EditableField("disclaimer", "textarea"),
    )

    def glossary_items(self, module) -> list[dict]:
        """The glossary sorted by term, each with its translation into the interface language (issue 17)."""
        ui = self.ui_language()
        return [{"term": g.term, "definition": g.definition,
                 "translation": g.translation(ui) if ui != module.language else None}
                for g in sorted(module.glossary, key=lambda g: g.term.lower())]

    @staticmethod
    def workbench_scenarios():
        return module_scenarios()

    # --- children and state ---------------------------------------------------------------------------------

    def child_blocks(self) -> list:
        children = []
        for child_id in self.children:
            try:
                child = self.runtime.get_block(child_id)
            except Exception:  # pylint: disable=broad-except - a broken child must not take the module down
                log.exception("VAMOs module %s: child %s could not be loaded", self.module_id, child_id)
                continue
            if child is not None:
                children.append(child)
        return children

    def lesson_children(self) -> list:
        return [c for c in self.child_blocks() if c.scope_ids.block_type == "vamos_lesson"]

    def quiz_child(self):
        return next((c for c in self.child_blocks() if c.scope_ids.block_type == "vamos_quiz"), None)

    def build_module(self) -> Module:
        quiz = self.quiz_child()
        return module_from_fields(self.content_values(), [c.content_values() for c in self.lesson_children()],
                                  quiz.content_values() if quiz is not None else None)

    def current_module_state(self, module: Module | None = None) -> ModuleState:
        module = module or self.build_module()
        done = [c.lesson_id or "lektion" for c in self.lesson_children() if c.done]
        quiz = self.quiz_child()
        return module_state(module, done, quiz.counting_percents() if quiz is not None else [])

    # --- learner --------------------------------------------------------------------------------------------

    def current_user(self):
        service = self.runtime.service(self, "user")
        return service.get_current_user() if service is not None else None

    def learner_name(self) -> str:
        user = self.current_user()
        name = (getattr(user, "full_name", "") or "").strip() if user is not None else ""
        if not name and user is not None:
            name = str(user.opt_attrs.get("edx-platform.username", "") or "").strip()
        return name

    def learner_pseudonym(self) -> str:
        user = self.current_user()
        anonymous = user.opt_attrs.get("edx-platform.anonymous_user_id") if user is not None else None
        seed = f"openedx:{anonymous or self.scope_ids.user_id}"
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"

    def certificate_status(self, completed: bool) -> str:
        """locked | unconfigured | ready."""
        if not completed:
            return "locked"
        if not certificate.is_configured(certificate.settings_for(self)):
            return "unconfigured"
        return "ready"

    def progress_context(self, module: Module) -> dict:
        state = self.current_module_state(module)
        return {
            "percent": state.percent,
            "completed": state.completed,
            "passed": state.passed,
            "quiz_score": None if state.quiz_score is None else round(state.quiz_score, 1),
            "quiz_attempts": state.quiz_attempts,
            "has_quiz": bool(module.quiz.questions),
            "lessons_done": len(state.lessons_done),
            "lessons_total": state.lessons_total,
            "lessons": [{"title": lesson.title, "done": lesson.id in state.lessons_done} for lesson in module.lessons],
            "passing_score": module.completion.passing_score,
            "certificate": self.certificate_status(state.completed),
            "certificate_url": self.runtime.handler_url(self, "download_certificate"),
        }

    def strings(self) -> dict:
        return {
            "progress": self._("Your progress"),
            "lessons": self._("Lessons"),
            "lesson_done": self._("done"),
            "lesson_open": self._("open"),
            "quiz": self._("Final quiz"),
            "no_attempt": self._("Not taken yet."),
            "objectives": self._("After this module you can …"),
            "target_group": self._("For"),
            "duration": self._("Learning time"),
            "minutes": self._("minutes"),
            "completed": self._("You have completed this module."),
            "not_completed": self._("Complete every lesson and pass the final quiz to finish the module."),
            "certificate": self._("Certificate"),
            "download": self._("Download certificate (PDF)"),
            "unconfigured": self._("Certificates are not configured yet. Please tell the course team."),
            "locked": self._("The certificate becomes available when you have completed the module."),
            "sources": self._("Sources"),
            "glossary": self._("Glossary"),
            "legal_status": self._("Legal status"),
            "advice": self._("Advice"),
            "score": self._("Score"),
            "passed": self._("passed"),
            "not_passed": self._("not passed yet"),
            "attempts": self._("attempts"),
            "needed": self._("needed"),
            "contents": self._("Contents"),
            "previous": self._("Previous part"),
            "next": self._("Next part"),
            "part_of": self._("Part {number} of {total}"),
            "public": self._("Sign in and enrol to save your progress and get a certificate."),
        }

    # --- views ----------------------------------------------------------------------------------------------

    def page(self, context, view: str, public: bool = False) -> Fragment:
        module = self.build_module()
        t = self.strings()
        frag = Fragment()
        parts = []
        for child in self.child_blocks():
            rendered = (self.runtime.render_child(child, view, context or {}) if view == "student_view"
                        else child.render(view, context or {}))
            frag.add_fragment_resources(rendered)
            parts.append({"id": f"vamos-part-{child.scope_ids.usage_id}".replace("@", "-").replace(":", "-")
                                .replace("+", "-").replace("/", "-"),
                          "title": child.display_name, "html": rendered.body_html()})
        html = self.render_template("templates/module.html", {
            "t": t,
            "m": module,
            **self.language_context(),
            "lang": module.language,
            "objectives": [o.text for o in module.objectives],
            "glossary": self.glossary_items(module),
            "parts": parts,
            "public": public,
            "progress_html": "" if public else self.render_template(
                "templates/module_progress.html", {"t": t, "p": self.progress_context(module)}),
        })
        frag.add_content(html)
        frag.add_css_url(self.runtime.local_resource_url(self, "public/css/vamos.css"))
        frag.add_javascript_url(self.runtime.local_resource_url(self, "public/js/vamos.js"))
        # No JSON init arguments: the SDK workbench would read the children's arguments too (it searches all
        # descendants); the strings the script needs are data attributes of the block's own element.
        frag.initialize_js("VamosModuleBlock")
        return frag

    @XBlock.supports("multi_device")  # a view decorator: the mobile apps check student_view itself
    def student_view(self, context=None):
        return self.page(context, "student_view")

    def public_view(self, context=None):
        return self.page(context, "public_view", public=True)

    def author_view(self, context=None):
        """Studio: on the module's own page the children with their edit buttons, elsewhere a summary."""
        context = context or {}
        root = context.get("root_xblock")
        if root is not None and getattr(root, "scope_ids", None) is not None \
                and root.scope_ids.usage_id == self.scope_ids.usage_id and self.runtime.service(self, "mako"):
            frag = Fragment(self.summary_html())
            self.render_children(context, frag, can_reorder=True, can_add=False)
            return frag
        return Fragment(self.summary_html())

    def summary_html(self) -> str:
        module = self.build_module()
        quiz = module.quiz
        lines = [self._("{lessons} lessons · {questions} questions · pass with {score} % · about {minutes} minutes").format(
            lessons=len(module.lessons), questions=len(quiz.questions), score=_num(module.completion.passing_score),
            minutes=module.estimated_minutes)]
        lines += [f"{number}. {lesson.title}" for number, lesson in enumerate(module.lessons, start=1)]
        return self.author_summary_html(module.title or self.display_name, lines)

    def student_view_data(self, context=None):  # pylint: disable=unused-argument
        """The module for the mobile apps: overview, completion rule and its parts (each part has its own data)."""
        module = self.build_module()
        return {
            "type": "vamos_module",
            "module_id": self.module_id,
            "title": module.title,
            "summary": module.summary,
            "language": module.language,
            "version": module.version,
            "estimated_minutes": module.estimated_minutes,
            "objectives": [o.text for o in module.objectives],
            "completion": {"require_all_lessons": module.completion.require_all_lessons,
                           "require_quiz_pass": module.completion.require_quiz_pass,
                           "passing_score": module.completion.passing_score},
            "parts": [{"id": str(child.scope_ids.usage_id), "type": child.scope_ids.block_type,
                       "title": child.display_name} for child in self.child_blocks()],
            "disclaimer": module.disclaimer,
        }

    def index_dictionary(self):
        text = " ".join([self.title, self.summary, self.target_group] + [o["text"] for o in self.objectives])
        return {"content": {"display_name": self.display_name, "text": text}, "content_type": "Text"}

    # --- handlers -------------------------------------------------------------------------------------------

    @XBlock.json_handler
    def progress(self, data, suffix=""):  # pylint: disable=unused-argument
        """The learner's current module state (the page refreshes it after lesson and quiz events)."""
        require_mapping(data, (), self._)
        module = self.build_module()
        progress = self.progress_context(module)
        return {
            "percent": progress["percent"],
            "completed": progress["completed"],
            "certificate": progress["certificate"],
            "html": self.render_template("templates/module_progress.html", {"t": self.strings(), "p": progress}),
        }

    @XBlock.handler
    def download_certificate(self, request, suffix=""):  # pylint: disable=unused-argument
        """The certificate PDF. Rendered first; the record is stored and the event published only after success."""
        if request.method != "GET":
            return Response(status=405, allow=["GET"])
        module = self.build_module()
        state = self.current_module_state(module)
        status = self.certificate_status(state.completed)
        if status == "locked":
            return _text_response(403, self._("The certificate becomes available when you have completed the module."))
        if status != "ready":
            log.error("VAMOs certificate for module %s: XBLOCK_SETTINGS['vamos'] (signing_key_file, verify_base_url) "
                      "is not configured", self.module_id)
            return _text_response(503, self._("Certificates are not configured yet. Please tell the course team."))
        name = self.learner_name()
        if not name:
            return _text_response(409, self._("Please enter your full name in your account settings first."))
        settings = certificate.settings_for(self)
        existing = self.certificate if self.certificate.get("code") and \
            self.certificate.get("module", {}).get("id") == module.id else None
        record = dict(existing) if existing else self.new_certificate_record(module, state, name)
        try:
            pdf, _jwt = certificate.render(record, settings)
        except certificate.CertificateUnavailable as exc:
            # The cause goes to the operators' log (no personal data); the learner gets a clear message, not a 500.
            log.error("VAMOs certificate for module %s could not be rendered: %s", self.module_id, exc.cause)
            return _text_response(503, self._("Your certificate cannot be created right now. The course team has "
                                              "been informed; please try again later."))
        if not existing:
            self.certificate = record
            self.runtime.publish(self, "vamos.certificate.issued", {"module_id": module.id, "code": record["code"]})
        response = Response(body=pdf, content_type="application/pdf")
        filename = re.sub(r"[^A-Za-z0-9_.-]", "_", f"zertifikat-{module.id}.pdf")
        response.content_disposition = f'attachment; filename="{filename}"'
        response.cache_control = "private, no-store"
        return response

    def new_certificate_record(self, module: Module, state, name: str) -> dict:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return {
            "code": certificate.new_verification_code(),
            "name": name,
            "pseudonym": self.learner_pseudonym(),
            "module": certificate.module_snapshot(module),
            "score": None if state.quiz_score is None else round(float(state.quiz_score), 1),
            "completed_at": now,
            "issued_at": now,
        }

    # --- Studio ---------------------------------------------------------------------------------------------

    def validate_studio_values(self, values):
        errors = super().validate_studio_values(values)
        for name in ("title", "summary", "target_group"):
            if name in values and not str(values.get(name) or "").strip():
                errors[name] = self._("This field is required.")
        minutes = values.get("estimated_minutes")
        if minutes is not None and not 1 <= int(minutes) <= 6000:
            errors["estimated_minutes"] = self._("Enter a number from 1 to 6000.")
        if "disclaimer" in values and DISCLAIMER_PHRASE not in (values.get("disclaimer") or ""):
            errors["disclaimer"] = self._("The disclaimer must contain „{phrase}“.").format(phrase=DISCLAIMER_PHRASE)
        return errors


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _text_response(status: int, message: str) -> Response:
    return Response(body=message.encode("utf-8"), status=status, content_type="text/plain", charset="utf-8")
