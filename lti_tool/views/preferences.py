"""The language switch and the reading settings: POST, store, redirect back (Post/Redirect/Get).

With a launch session the choice is stored on the learner's row (kept for their next launch) and in the
session; a visitor without one (a verification page) gets a cookie. ``return_to`` must be one of our pages (``safe_redirect``).
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, session, url_for

from .. import preferences
from ..i18n import LANGUAGE_COOKIE
from ..safe_redirect import local_target
from ..sessions import PARAM
from .learn import check_csrf

bp = Blueprint("preferences", __name__, url_prefix="/preferences")


def _back():
    """Back to the page the form was on (``return_to``), if it is one of ours; else the module or the start page."""
    target = local_target(request.form.get("return_to", ""), drop_bad_query=True)
    if target is None:
        target = url_for("learn.module", module_id=session["module_id"]) if session.get("module_id") else "/"
    sid = getattr(session, "sid", None)
    if sid and f"{PARAM}=" not in target:
        target += ("&" if "?" in target else "?") + f"{PARAM}={sid}"
    return redirect(target, 303)


def _stored_for_learner() -> bool:
    if not session.get("sub"):
        return False
    check_csrf()
    return True


@bp.post("/language")
def language():
    chosen = request.form.get("language")
    if chosen not in current_app.config["VAMOS_LANGUAGES"]:
        return _back()
    if _stored_for_learner():
        session["ui_language"] = chosen
        preferences.save(current_app.extensions["vamos"].db, session["issuer"], session["sub"], language=chosen)
        return _back()
    response = _back()
    response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response


@bp.post("/reading")
def reading():
    if not _stored_for_learner():
        return _back()
    if request.form.get("action") == "reset":
        chosen = preferences.Reading()
    else:
        chosen = preferences.Reading.of(request.form.get("size"), request.form.get("spacing"), request.form.get("font"))
    session["reading"] = chosen.encode()
    preferences.save(current_app.extensions["vamos"].db, session["issuer"], session["sub"], reading=chosen)
    return _back()
