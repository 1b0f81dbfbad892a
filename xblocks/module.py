"""``vamos_module``: the module's overview, the learner's progress across its lessons and quiz, and — once the
module's completion rule holds — the certificate download.

The state comes from the core's ``module_state`` over the learner's progress record (see ``base``), so Open edX
learners are judged by exactly the rule LTI learners are.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from webob import Response
from xblock.completable import XBlockCompletionMode
from xblock.core import XBlock
from xblock.fields import Dict, Scope, String

from vamos_core.content import Module

from . import certificate
from .base import EditableField, VamosBlockBase, module_choices, require_mapping
from .i18n import _
from .workbench import module_scenarios


@XBlock.needs("i18n")
@XBlock.wants("user")
@XBlock.wants("settings")
class ModuleBlock(VamosBlockBase):
    """Overview, progress and certificate of one VAMOs module."""

    completion_mode = XBlockCompletionMode.EXCLUDED  # an overview: nothing to complete here
    block_settings_key = certificate.SETTINGS_BUCKET

    display_name = String(
        display_name=_("Display name"),
        help=_("Name shown in the course navigation."),
        scope=Scope.settings,
        default=_("Module overview"),
    )
    certificate = Dict(
        help=_("The learner's certificate issuance record (written once, when first downloaded)."),
        scope=Scope.user_state,
        default={},
    )

    editable_fields = (
        EditableField("display_name"),
        EditableField("module_id", "select", module_choices),
    )

    @staticmethod
    def workbench_scenarios():
        return module_scenarios()

    # --- state ----------------------------------------------------------------------------------------------

    def learner_name(self) -> str:
        service = self.runtime.service(self, "user")
        user = service.get_current_user() if service is not None else None
        name = (getattr(user, "full_name", "") or "").strip() if user is not None else ""
        if not name and user is not None:
            name = str(user.opt_attrs.get("edx-platform.username", "") or "").strip()
        return name

    def learner_pseudonym(self) -> str:
        service = self.runtime.service(self, "user")
        user = service.get_current_user() if service is not None else None
        anonymous = user.opt_attrs.get("edx-platform.anonymous_user_id") if user is not None else None
        seed = f"openedx:{anonymous or self.scope_ids.user_id}"
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"

    def certificate_status(self, completed: bool) -> str:
        """locked | pending (generator not installed yet) | unconfigured | ready."""
        if not completed:
            return "locked"
        if certificate.generator() is None:
            return "pending"
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
            "pending": self._("Your certificate is being prepared and will be available here soon."),
            "unconfigured": self._("Certificates are not configured yet. Please tell the course team."),
            "locked": self._("The certificate becomes available when you have completed the module."),
            "sources": self._("Sources"),
            "glossary": self._("Glossary"),
            "legal_status": self._("Legal status"),
            "advice": self._("Advice"),
            "not_available": self._("This module is not available. Please tell the course team."),
            "score": self._("Score"),
            "passed": self._("passed"),
            "not_passed": self._("not passed yet"),
            "attempts": self._("attempts"),
            "needed": self._("needed"),
        }

    # --- views ----------------------------------------------------------------------------------------------

    def student_view(self, context=None):  # pylint: disable=unused-argument
        module = self.get_module()
        t = self.strings()
        if module is None:
            html = self.render_template("templates/module.html", {"t": t, "available": False, "title": self.display_name})
            return self.fragment(html, None)
        progress = self.progress_context(module)
        html = self.render_template("templates/module.html", {
            "t": t,
            "available": True,
            "m": module,
            "lang": module.language,
            "objectives": [o.text for o in module.objectives],
            "glossary": sorted(module.glossary, key=lambda g: g.term.lower()),
            "progress_html": self.render_template("templates/module_progress.html", {"t": t, "p": progress}),
        })
        return self.fragment(html, "VamosModuleBlock", {"strings": t})

    # --- handlers -------------------------------------------------------------------------------------------

    @XBlock.json_handler
    def progress(self, data, suffix=""):  # pylint: disable=unused-argument
        """The learner's current module state (the block refreshes itself after lesson and quiz events)."""
        require_mapping(data, (), self._)
        module = self.get_module()
        if module is None:
            from xblock.exceptions import JsonHandlerError

            raise JsonHandlerError(404, self._("This module is not available. Please tell the course team."))
        progress = self.progress_context(module)
        return {
            "percent": progress["percent"],
            "completed": progress["completed"],
            "certificate": progress["certificate"],
            "html": self.render_template("templates/module_progress.html", {"t": self.strings(), "p": progress}),
        }

    @XBlock.handler
    def download_certificate(self, request, suffix=""):  # pylint: disable=unused-argument
        """The certificate PDF; issued once (a record in the learner's state), rendered from that record."""
        if request.method != "GET":
            return Response(status=405, allow=["GET"])
        module = self.get_module()
        if module is None:
            return Response(status=404)
        state = self.current_module_state(module)
        status = self.certificate_status(state.completed)
        if status == "locked":
            return _text_response(403, self._("The certificate becomes available when you have completed the module."))
        if status != "ready":
            return _text_response(503, self._("Your certificate is being prepared and will be available here soon."))
        name = self.learner_name()
        if not name:
            return _text_response(409, self._("Please enter your full name in your account settings first."))
        settings = certificate.settings_for(self)
        record = self.issue_certificate(module, state, name)
        pdf, _jwt = certificate.render(record, settings)
        response = Response(body=pdf, content_type="application/pdf")
        filename = re.sub(r"[^A-Za-z0-9_.-]", "_", f"zertifikat-{module.id}.pdf")
        response.content_disposition = f'attachment; filename="{filename}"'
        response.cache_control = "private, no-store"
        return response

    def issue_certificate(self, module: Module, state, name: str) -> dict:
        """The issuance record: written once, when the completion rule first holds at a download."""
        if self.certificate.get("code") and self.certificate.get("module", {}).get("id") == module.id:
            return dict(self.certificate)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = {
            "code": certificate.new_verification_code(),
            "name": name,
            "pseudonym": self.learner_pseudonym(),
            "module": certificate.module_snapshot(module),
            "score": None if state.quiz_score is None else round(float(state.quiz_score), 1),
            "completed_at": now,
            "issued_at": now,
        }
        self.certificate = record
        self.runtime.publish(self, "vamos.certificate.issued", {"module_id": module.id, "code": record["code"]})
        return record


def _text_response(status: int, message: str) -> Response:
    return Response(body=message.encode("utf-8"), status=status, content_type="text/plain", charset="utf-8")
