"""The start page after a launch without a module, the tool's JWKS and a health check.

The module, lesson and quiz pages are in ``views/learn.py``.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from .. import keys, registrations
from ..errors import LaunchError
from ..roles import COORDINATOR, LEARNER, TRAINER

bp = Blueprint("pages", __name__)

ROLE_LABELS = {LEARNER: _l("Lernende"), TRAINER: _l("Trainerin oder Trainer"), COORDINATOR: _l("Koordination")}


def tool():
    return current_app.extensions["vamos"]


def require_launch() -> dict:
    if not session.get("role"):
        raise LaunchError("session_missing", 401, "no launch session")
    return session


@bp.route("/start")
def start():
    launch = require_launch()
    modules = list(tool().catalog_for(launch["issuer"])) if launch["role"] != LEARNER else []
    return render_template(
        "start.html", modules=modules, role=launch["role"], role_label=ROLE_LABELS[launch["role"]]
    )


@bp.route("/placement")
def placement():
    """How trainers place modules in their course: Deep Linking where the platform offers it, otherwise a link
    with the custom parameter ``module=<id>`` (docs/lti.md)."""
    launch = require_launch()
    if launch["role"] == LEARNER:
        raise LaunchError("staff_only", 403, "learner on the placement page")
    return render_template("placement.html", modules=list(tool().catalog))


@bp.route("/jwks")
@bp.route("/.well-known/jwks.json")
def jwks():
    with tool().db.session() as s:
        response = jsonify(keys.jwks(s))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/healthz")
def healthz():
    with tool().db.session() as s:
        s.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/")
def index():
    from . import credentials

    if credentials.wants_json():
        # Credentials issued before the issuer profile moved to /issuer name the tool's root as their issuer id.
        return credentials.public_response(jsonify(credentials.profile_document(_base_url() + "/")))
    urls = registrations.tool_urls(_base_url())
    return render_template("index.html", urls=urls)


def _base_url() -> str:
    from flask import request

    return tool().config.base_url or request.host_url.rstrip("/")
