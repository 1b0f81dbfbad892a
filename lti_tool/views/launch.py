"""OIDC login initiation and the launch: the door from the platform into the tool."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import uuid
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import organisations, preferences
from ..certificates import name_from_claims
from ..errors import LaunchError
from ..launch_record import AGS_ENDPOINT, record_launch
from ..launch_validation import (
    CUSTOM,
    DEEP_LINKING_REQUEST,
    DEEP_LINKING_SETTINGS,
    DEPLOYMENT_ID,
    LOGIN_PREFIX,
    ValidatedLaunch,
)
from ..models import utcnow
from ..roles import LEARNER
from ..sessions import delete_cookie, set_cookie, start_session

bp = Blueprint("lti", __name__)
log = logging.getLogger(__name__)

STATE_COOKIE = "vamos_lti_state_"
CHECK_COOKIE = "vamos_cookie_check"
RELAY_FIELD = "vamos_relay"
LAUNCH_PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


def tool():
    return current_app.extensions["vamos"]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _with_query(url: str, params: dict) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


def pseudonym(value: str) -> str:
    """A short keyed hash for log lines: lets us correlate without logging personal identifiers. Keyed with the
    secret, because platform user ids are often small numbers whose plain hash anybody could look up."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), value.encode(), hashlib.sha256).hexdigest()[:12]


@bp.route("/lti/login", methods=["GET", "POST"])
@bp.route("/lti/login/<registration_id>", methods=["GET", "POST"])
def login(registration_id: str | None = None):
    """Third-party initiated login (OIDC step 1): remember state + nonce, send the browser to
    the platform's authorization endpoint."""
    params = request.values
    iss, login_hint = params.get("iss"), params.get("login_hint")
    client_id = params.get("client_id") or None
    if not iss or not login_hint or not params.get("target_link_uri"):
        raise LaunchError("bad_login", 400, "iss, login_hint or target_link_uri missing")

    t = tool()
    if registration_id:
        reg = t.validator.registration_by_id(registration_id)
        if reg is not None and (reg.issuer != iss or (client_id and client_id != reg.client_id)):
            reg = None
    else:
        reg = t.validator.registration(iss, client_id)
    if reg is None:
        raise LaunchError("unknown_registration", 403, "login for unknown iss/client_id")
    reg_id, reg_client_id, auth_login_url = reg.id, reg.client_id, reg.auth_login_url

    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    storage_target = params.get("lti_storage_target") or ""
    platform_origin = _origin(auth_login_url)
    t.cache.set(
        LOGIN_PREFIX + state,
        {
            "registration_id": reg_id,
            "nonce": nonce,
            "storage_target": storage_target,
            "platform_origin": platform_origin,
            "created": time.time(),
        },
        t.config.login_state_ttl,
    )
    auth_params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": reg_client_id,
        "redirect_uri": url_for("lti.launch", _external=True),
        "state": state,
        "nonce": nonce,
        "login_hint": login_hint,
    }
    if params.get("lti_message_hint"):
        auth_params["lti_message_hint"] = params["lti_message_hint"]
    auth_url = _with_query(auth_login_url, auth_params)

    if storage_target:
        # LTI Platform Storage: the state goes into the platform's window via postMessage,
        # so the launch works even when the browser blocks our cookies in the iframe.
        response = current_app.make_response(
            render_template(
                "login_storage.html",
                auth_url=auth_url,
                state=state,
                target=storage_target,
                platform_origin=platform_origin,
            )
        )
    elif request.headers.get("Sec-Fetch-Dest") == "iframe" and not params.get("vamos_new_window"):
        # Inside an iframe without platform storage: check that cookies work first and offer
        # to continue in a new window if they do not.
        new_window = url_for(request.endpoint, registration_id=registration_id, **{
            k: v for k, v in params.items() if k != "vamos_new_window"
        }, vamos_new_window="1", _external=True)
        response = current_app.make_response(
            render_template("login_cookie_check.html", auth_url=auth_url, new_window_url=new_window)
        )
        # Readable by the page script (not HttpOnly): if it is there, cookies work here.
        set_cookie(response, CHECK_COOKIE, "1", 600, http_only=False)
    else:
        response = redirect(auth_url, 302)
    if not storage_target:
        # With Platform Storage the platform's window keeps the state; otherwise the browser does, in a
        # partitioned cookie where it can (sessions.cookie_attributes).
        set_cookie(response, STATE_COOKIE + state, state, t.config.login_state_ttl)
    log.info("login registration=%s storage=%s", reg_id, bool(storage_target))
    return response


def _same_origin_post() -> bool:
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return True
    origin = request.headers.get("Origin")
    return bool(origin) and origin == _origin(request.host_url)


@bp.route("/lti/launch", methods=["POST"])
def launch():
    """The platform posts the id_token here (OIDC step 3)."""
    id_token, state = request.form.get("id_token"), request.form.get("state")
    if not id_token or not state:
        raise LaunchError("bad_login", 400, "id_token or state missing")
    t = tool()

    storage_state = request.form.get("lti_storage_state")
    if storage_state is not None:
        # Second step of the platform-storage flow: our own relay page read the state back
        # from the platform's window. Only a same-origin post may claim that.
        if not _same_origin_post():
            raise LaunchError("state_mismatch", 401, "storage relay post not same-origin")
        browser_state = storage_state
    else:
        browser_state = request.cookies.get(STATE_COOKIE + state)
        if browser_state is None:
            login = t.cache.get(LOGIN_PREFIX + state)  # a peek: nothing is consumed here
            if login and login.get("storage_target"):
                return render_template(
                    "launch_relay.html",
                    id_token=id_token,
                    state=state,
                    target=login["storage_target"],
                    platform_origin=login["platform_origin"],
                )
            if login and not request.form.get(RELAY_FIELD) and request.headers.get("Sec-Fetch-Dest") != "iframe":
                # A top-level window where the browser kept only a SameSite=Lax state cookie (plain HTTP on a
                # non-loopback address): Lax cookies ride on a same-site post, so our own page posts the token
                # once more. The state stays single-use and bound to this browser's cookie: nothing to replay.
                return render_template("launch_relay.html", id_token=id_token, state=state, target=None)
        elif request.form.get(RELAY_FIELD) and not _same_origin_post():
            raise LaunchError("state_mismatch", 401, "relay post not same-origin")

    result = t.validator.validate(id_token, state, browser_state)
    data = _record(result)
    sid = start_session(data)
    if log.isEnabledFor(logging.INFO):  # the keyed hash only when the line is written
        log.info(
            "launch ok registration=%s role=%s user=%s module=%s",
            result.registration_id, result.role, pseudonym(result.claims["sub"]), data["module_id"] or "-",
        )
    if result.message_type == DEEP_LINKING_REQUEST:
        target = url_for("adv.deep_linking", ls=sid)
    elif data["module_id"] and data.get("lesson_id"):
        target = url_for("learn.lesson", module_id=data["module_id"], lesson_id=data["lesson_id"], ls=sid)
    elif data["module_id"]:
        target = url_for("learn.module", module_id=data["module_id"], ls=sid)
    else:
        target = url_for("pages.start", ls=sid)
    if data["ask_organisation"]:
        target = url_for("orgchoice.choose", ls=sid, next=target)
    response = redirect(target, 303)
    if STATE_COOKIE + state in request.cookies:
        delete_cookie(response, STATE_COOKIE + state)
    return response


def _requested_lesson(claims: dict, module) -> str | None:
    """A link placed for a single lesson (deep linking) names it in the custom parameter ``lesson``."""
    custom = claims.get(CUSTOM) if isinstance(claims.get(CUSTOM), dict) else {}
    lesson_id = custom.get("lesson")
    if module is None or not isinstance(lesson_id, str) or module.lesson(lesson_id) is None:
        return None
    return lesson_id


def _record(result: ValidatedLaunch) -> dict:
    """Users, contexts and resource links, with as little personal data as features need (one transaction of
    upserts, ``lti_tool.launch_record``), and what the launch session keeps."""
    t = tool()
    claims = result.claims
    launch_id = str(uuid.uuid4())
    statements = 0
    catalog = t.catalog_for(claims["iss"])
    orm = organisations.claim_value(claims, t.config.organisation_claim) is not None  # choosing needs a Session
    if t.db.engine.dialect.name == "postgresql" and t.xapi is None and not orm:
        # One statement, atomic by itself (lti_tool/launch_record.py): no transaction round trips.
        with t.db.autocommit() as conn:
            rec = record_launch(conn, result, catalog, t.config.organisation_claim)
    else:
        with (t.db.session() if orm else t.db.connection()) as s:
            rec = record_launch(s, result, catalog, t.config.organisation_claim)
            if t.xapi is not None and rec.module_id and result.role == LEARNER \
                    and result.message_type != DEEP_LINKING_REQUEST:
                # xAPI "launched", in the launch's transaction (docs/xapi.md)
                statements = t.xapi.enqueue(s, claims["iss"], claims["sub"], [t.xapi.launched(
                    claims["iss"], claims["sub"], catalog.get(rec.module_id), utcnow(), launch_id)])
    if statements:
        t.statements_enqueued()
    return {
        "ask_organisation": rec.ask_organisation,
        "launch_id": launch_id,
        "role": result.role,
        "message_type": result.message_type,
        "registration_id": result.registration_id,
        "deployment_pk": result.deployment_pk,
        "deployment_id": claims[DEPLOYMENT_ID],
        "user_pk": rec.user_pk,
        "context_pk": rec.context_pk,
        "resource_link_pk": rec.resource_link_pk,
        "module_id": rec.module_id,
        "lesson_id": _requested_lesson(claims, catalog.get(rec.module_id) if rec.module_id else None),
        # Kept for the features that follow (score passback, placement, return link).
        "ags": claims.get(AGS_ENDPOINT),
        "deep_linking": claims.get(DEEP_LINKING_SETTINGS),
        "return_url": _return_url(claims),
        # Progress is keyed per person and module: (issuer, sub, module id), see lti_tool/progress.py.
        "issuer": claims["iss"],
        "sub": claims["sub"],
        "locale": _locale(claims),
        # The learner's stored choices (lti_tool/i18n.py reads them from the session; none: the launch's locale).
        "ui_language": rec.ui_language,
        "reading": preferences.Reading.decode(rec.reading).encode(),
        "csrf": secrets.token_urlsafe(32),  # every POST of the learner pages carries it
        # Only in the server-side session (never in lti_user): printed on a certificate if one is issued.
        "learner_name": name_from_claims(claims),
    }


def _locale(claims: dict) -> str | None:
    presentation = claims.get(LAUNCH_PRESENTATION)
    locale = presentation.get("locale") if isinstance(presentation, dict) else None
    return locale[:35] if isinstance(locale, str) and locale else None


def _return_url(claims: dict) -> str | None:
    presentation = claims.get(LAUNCH_PRESENTATION)
    url = presentation.get("return_url") if isinstance(presentation, dict) else None
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
