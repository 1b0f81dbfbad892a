"""The trainer's page for one learner of the course: quiz attempts per module, grant more, reset (audited).

Reached from the roster (``/roster``). Staff only; the learner must belong to the trainer's platform and course
(``lti_tool.interventions.in_course``). Every POST carries the launch session id and the CSRF token.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask_babel import gettext as _

from .. import coordination, interventions, progress, services
from ..errors import N_, PageError
from ..models import LtiContext, QuizIntervention
from ..progress import Learner
from ..sessions import session_url
from .advantage import _course_modules, _platform, fetch_members, require_staff
from .learn import check_csrf, quiz_summary

bp = Blueprint("interventions", __name__)
log = logging.getLogger(__name__)

REFUSALS = {
    "not_in_course": N_("Diese Person hat das Modul in diesem Kurs noch nicht bearbeitet."),
    "nothing_to_reset": N_("Diese Person hat schon alle Versuche; es gibt nichts zurückzusetzen."),
    "unlimited": N_("Dieser Test hat keine Begrenzung der Versuche."),
    "amount": N_("Bitte wählen Sie 1 bis 5 Versuche."),
    "kind": N_("Unbekannte Aktion."),
}


def tool():
    return current_app.extensions["vamos"]


def _sub() -> str:
    sub = request.values.get("sub", "")
    if not isinstance(sub, str) or not 0 < len(sub) <= 255:
        raise PageError("bad_form", 400, "sub missing or too long")
    return sub


def _member_name(sub: str) -> str | None:
    """The learner's name as the platform's roster (NRPS) gives it; None when unavailable."""
    context_pk = session.get("context_pk")
    with tool().db.session() as s:
        context = s.get(LtiContext, context_pk) if context_pk else None
        nrps_url = context.nrps_url if context else None
    if not nrps_url:
        return None
    try:
        members = fetch_members(_platform(session["registration_id"]), nrps_url)
    except services.ServiceError:
        return None
    found = next((m for m in members if m["user_id"] == sub), None)
    if found is None:
        return None
    return found.get("name") or " ".join(x for x in (found.get("given_name"), found.get("family_name")) if x) or None


@bp.route("/roster/learner")
def learner():
    require_staff()
    sub = _sub()
    person = Learner(session["issuer"], sub)
    rows = []
    with tool().db.session() as s:
        for module in _course_modules(session.get("context_pk")):
            if not module.quiz.questions:
                continue
            in_course = interventions.in_course(s, person, module.id, session.get("context_pk"))
            rows.append({"module": module, "in_course": in_course,
                         "quiz": quiz_summary(module, progress.get_progress(tool().db, person, module.id)),
                         "limited": module.quiz.settings.max_attempts > 0,
                         "history": interventions.history(tool().db, person, module.id) if in_course else []})
    if not any(r["in_course"] for r in rows):
        raise PageError("not_found", 404, "no progress of this person in this course")
    done = request.args.get("erledigt", "")
    return render_template("intervention.html", sub=sub, name=_member_name(sub), rows=rows,
                           done=done if done in ("grant", "reset") else None,
                           refused=_(REFUSALS[request.args["abgelehnt"]]) if request.args.get("abgelehnt")
                           in REFUSALS else None, max_grant=interventions.MAX_GRANT)


@bp.route("/roster/learner", methods=["POST"])
def learner_post():
    require_staff()
    check_csrf()
    sub = _sub()
    module = tool().catalog.get(request.form.get("module", ""))
    if module is None:
        raise PageError("bad_form", 400, "unknown module")
    kind = request.form.get("kind", "")
    amount_raw = request.form.get("amount", "1")
    amount = int(amount_raw) if amount_raw.isdigit() and len(amount_raw) < 3 else 0
    actor = coordination.actor_hash(tool().config.secret_key, session["issuer"], session["sub"])
    try:
        interventions.act(tool().db, Learner(session["issuer"], sub), module,
                          kind if kind in (QuizIntervention.GRANT, QuizIntervention.RESET) else "?", amount,
                          session.get("context_pk"), actor, session["issuer"])
    except interventions.InterventionRefused as exc:
        return redirect(session_url("interventions.learner", sub=sub, abgelehnt=exc.code), 303)
    log.info("quiz intervention kind=%s module=%s", kind, module.id)
    return redirect(session_url("interventions.learner", sub=sub, erledigt=kind), 303)
