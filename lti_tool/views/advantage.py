"""LTI Advantage pages: the deep linking catalogue, the course roster (NRPS), the trainers' view of
score passback (AGS) and LTI Dynamic Registration (docs/lti.md, "LTI Advantage").

* Only trainers and coordinators reach the catalogue, the roster and the score page; learners get 403
  and never see other learners.
* Every POST carries the launch session id and the CSRF token (as the learner pages).
"""
from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from .. import deep_linking as dl
from .. import dynamic_registration, score_sync, services
from ..errors import LaunchError, PageError
from ..launch_validation import DEEP_LINKING_REQUEST
from ..models import LtiContext, ModuleProgress, Registration, ResourceLink, ScoreOutbox
from ..roles import LEARNER, map_roles
from ..sessions import session_url
from .learn import check_csrf
from .pages import ROLE_LABELS

bp = Blueprint("adv", __name__)
log = logging.getLogger(__name__)


def tool():
    return current_app.extensions["vamos"]


def require_staff() -> None:
    if not session.get("role") or not session.get("issuer"):
        raise LaunchError("session_missing", 401, "no launch session")
    if session["role"] == LEARNER:
        raise PageError("staff_only", 403, "learner on a trainer page")


def _launch_url() -> str:
    base = tool().config.base_url
    return f"{base}/lti/launch" if base else url_for("lti.launch", _external=True)


# ---------------------------------------------------------------- deep linking


def _settings() -> dict:
    settings = session.get("deep_linking")
    if session.get("message_type") != DEEP_LINKING_REQUEST or not isinstance(settings, dict):
        raise PageError("no_deep_linking", 400, "no deep linking request in this session")
    types = settings.get("accept_types") or []
    if dl.RESOURCE_LINK_TYPE not in types:
        raise PageError("deep_linking_types", 400, "platform does not accept ltiResourceLink here")
    return settings


def _catalog():
    """This platform's modules: the shipped ones and those its trainers published."""
    return tool().catalog_for(session.get("issuer"))


def _catalogue(settings: dict, error: str | None = None, status: int = 200):
    return render_template(
        "deep_linking.html", modules=list(_catalog()), multiple=bool(settings.get("accept_multiple", True)),
        title=settings.get("title") or "", error=error,
    ), status


@bp.route("/deep-linking", methods=["GET"])
def deep_linking():
    require_staff()
    return _catalogue(_settings())


@bp.route("/deep-linking", methods=["POST"])
def deep_linking_post():
    require_staff()
    check_csrf()
    settings = _settings()
    keys = [] if request.form.get("cancel") else request.form.getlist("item")
    choices = [dl.parse_choice(_catalog(), key) for key in keys]
    if any(c is None for c in choices) or len(set(keys)) != len(keys):
        raise PageError("bad_form", 400, "unknown or repeated catalogue entry")
    if not request.form.get("cancel") and not choices:
        from flask_babel import gettext as _

        return _catalogue(settings, _("Bitte wählen Sie mindestens einen Eintrag aus."), 400)
    if len(choices) > 1 and not settings.get("accept_multiple", True):
        raise PageError("bad_form", 400, "several items but the platform accepts one")
    launch_url = _launch_url()
    items = [dl.content_item(c, launch_url) for c in choices]
    with tool().db.session() as s:
        reg = s.get(Registration, session["registration_id"])
        token = dl.response_jwt(
            dl.current_key(s), client_id=reg.client_id, issuer=reg.issuer, deployment_id=session["deployment_id"],
            items=items, data=settings.get("data"),
        )
    log.info("deep linking response items=%d registration=%s", len(items), session["registration_id"])
    return render_template("deep_linking_return.html", action=settings["deep_link_return_url"], jwt=token,
                           count=len(items))


# ---------------------------------------------------------------- roster (NRPS)


def _platform(reg_id: str) -> services.Platform:
    with tool().db.session() as s:
        return services.Platform.of(s.get(Registration, reg_id))


def fetch_members(platform: services.Platform, url: str, max_pages: int = 100) -> list[dict]:
    client = services.ServiceClient(tool().db, tool().cache, timeout=tool().config.score_http_timeout)
    members: list[dict] = []
    next_url: str | None = url
    pages = 0
    while next_url and pages < max_pages:
        response = client.request(platform, (services.SCOPE_NRPS,), "GET", next_url, accept=services.MEMBERSHIP_TYPE)
        body = response.json()
        members += [m for m in body.get("members", []) if isinstance(m, dict) and isinstance(m.get("user_id"), str)]
        next_url = services.next_link(response)
        pages += 1
    return members


def _course_modules(context_pk: int | None) -> list:
    catalog = list(_catalog())
    if context_pk is not None:
        with tool().db.session() as s:
            ids = set(s.scalars(select(ResourceLink.module_id).where(
                ResourceLink.context_pk == context_pk, ResourceLink.module_id.is_not(None))))
        placed = [m for m in catalog if m.id in ids]
        if placed:
            return placed
    return list(catalog)


@bp.route("/roster")
def roster():
    require_staff()
    context_pk = session.get("context_pk")
    with tool().db.session() as s:
        context = s.get(LtiContext, context_pk) if context_pk else None
        nrps_url, title = (context.nrps_url, context.title) if context else (None, "")
    modules = _course_modules(context_pk)
    if not nrps_url:
        return render_template("roster.html", rows=[], modules=modules, context_title=title, unavailable=True)
    try:
        members = fetch_members(_platform(session["registration_id"]), nrps_url)
    except services.ServiceError as exc:
        log.warning("roster unavailable: %s", exc.reason[:200])
        raise PageError("platform_unavailable", 502, "membership service failed") from exc
    subs = [m["user_id"] for m in members]
    progress: dict[tuple[str, str], ModuleProgress] = {}
    with tool().db.session() as s:
        for start in range(0, len(subs), 500):
            for row in s.scalars(select(ModuleProgress).where(
                ModuleProgress.issuer == session["issuer"], ModuleProgress.sub.in_(subs[start:start + 500]),
                ModuleProgress.module_id.in_([m.id for m in modules]),
            )):
                progress[(row.sub, row.module_id)] = row
    rows = []
    for m in members:
        if m.get("status", "Active") != "Active":
            continue
        name = m.get("name") or " ".join(x for x in (m.get("given_name"), m.get("family_name")) if x) or m["user_id"]
        role = map_roles([r for r in m.get("roles") or [] if isinstance(r, str)])
        cells = [progress.get((m["user_id"], module.id)) for module in modules]
        rows.append({"name": str(name), "role": ROLE_LABELS[role], "cells": cells,
                     # Interventions (extra attempts, reset) for anyone who has made a quiz attempt here.
                     "manage": session_url("interventions.learner", sub=m["user_id"])
                     if any(c is not None and c.quiz_attempts for c in cells) else None})
    rows.sort(key=lambda r: r["name"].casefold())
    return render_template("roster.html", rows=rows, modules=modules, context_title=title, unavailable=False)


# ---------------------------------------------------------------- scores (AGS) for trainers


@bp.route("/scores")
def scores():
    require_staff()
    context_pk = session.get("context_pk")
    with tool().db.session() as s:
        links = select(ResourceLink.id).where(ResourceLink.context_pk == context_pk) if context_pk else None
        query = select(ScoreOutbox, ResourceLink.title).join(
            ResourceLink, ResourceLink.id == ScoreOutbox.resource_link_pk
        ).where(ScoreOutbox.registration_id == session["registration_id"])
        counts_q = select(ScoreOutbox.status, func.count()).where(
            ScoreOutbox.registration_id == session["registration_id"])
        if links is not None:
            query = query.where(ScoreOutbox.resource_link_pk.in_(links))
            counts_q = counts_q.where(ScoreOutbox.resource_link_pk.in_(links))
        failed = s.execute(query.where(ScoreOutbox.status == ScoreOutbox.FAILED)
                           .order_by(ScoreOutbox.id.desc()).limit(500)).all()
        counts = dict(s.execute(counts_q.group_by(ScoreOutbox.status)).all())
    catalog = _catalog()
    rows = [{
        "row": row, "link": link_title, "module": (catalog.get(row.module_id).title if catalog.get(row.module_id)
                                                   else row.module_id),
        "score": json.loads(row.payload).get("scoreGiven"),
    } for row, link_title in failed]
    requeued = request.args.get("erneut", "")
    return render_template("scores.html", rows=rows, sent=counts.get(ScoreOutbox.SENT, 0),
                           pending=counts.get(ScoreOutbox.PENDING, 0), failed=counts.get(ScoreOutbox.FAILED, 0),
                           requeued=int(requeued) if requeued.isdigit() and len(requeued) < 7 else None)


@bp.route("/scores/retry", methods=["POST"])
def scores_retry():
    """The trainer fixed the cause on the platform (e.g. reopened the grade column): the refused scores of this
    course go back into the queue, each still sent once and in order (``score_sync``)."""
    require_staff()
    check_csrf()
    count = score_sync.retry_failed(tool().db, session["registration_id"], session.get("context_pk"))
    log.info("scores queued again count=%d registration=%s", count, session["registration_id"])
    if count:
        tool().scores_enqueued()
    return redirect(session_url("adv.scores", erneut=count), 303)


# ---------------------------------------------------------------- dynamic registration


@bp.route("/register", methods=["GET"])
def register():
    """LTI Dynamic Registration 1.0: the platform opens this with ``openid_configuration`` and
    (optionally) ``registration_token``; we register and close the window."""
    config_url = request.args.get("openid_configuration", "")
    token = request.args.get("registration_token") or None
    if not config_url:
        raise PageError("registration_failed", 400, "openid_configuration missing")
    base = tool().config.base_url or request.host_url.rstrip("/")
    try:
        result = dynamic_registration.register(
            tool().db, config_url, token, base, auto_approve=tool().config.auto_approve_registrations,
            timeout=tool().config.score_http_timeout,
        )
    except dynamic_registration.RegistrationError as exc:
        log.warning("dynamic registration refused: %s", exc)
        raise PageError("registration_failed", 400, str(exc)) from exc
    return render_template("registration_done.html", result=result)
