"""Server-side Flask sessions keyed by an id, stored in the shared launch cache.

Inside an LMS iframe the browser may refuse our cookies, so the session id also travels in the
URL (``?ls=…``) and in forms; links built with ``session_url()`` carry it. The id is 256 random
bits; pages set ``Referrer-Policy: no-referrer`` so it does not leak to other sites.
"""
from __future__ import annotations

import secrets

from flask import Flask, Request, Response, session, url_for
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

COOKIE_NAME = "vamos_session"
PARAM = "ls"
PREFIX = "session:"


class LaunchSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None):
        def on_update(_self):
            _self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.modified = False
        self.new_id = False


def _form_sid(request: Request) -> str | None:
    """The session id posted in a form. A body over the size limit is not read here: the view reading the
    form raises the 413 that the error page explains (uploads raise their own limit before that)."""
    from werkzeug.exceptions import RequestEntityTooLarge

    try:
        return request.form.get(PARAM)
    except RequestEntityTooLarge:
        return None


class LaunchSessionInterface(SessionInterface):
    def _cache(self, app: Flask):
        return app.extensions["vamos"].cache

    def open_session(self, app: Flask, request: Request) -> LaunchSession:
        sid = request.args.get(PARAM) or _form_sid(request) or request.cookies.get(COOKIE_NAME)
        if sid and 20 <= len(sid) <= 100:
            data = self._cache(app).get(PREFIX + sid)
            if data is not None:
                return LaunchSession(data, sid)
        return LaunchSession()

    def save_session(self, app: Flask, session: LaunchSession, response: Response) -> None:
        if not session.modified or not session.sid:
            return
        config = app.extensions["vamos"].config
        self._cache(app).set(PREFIX + session.sid, dict(session), config.session_ttl)
        if session.new_id:
            set_cookie(response, COOKIE_NAME, session.sid, config.session_ttl)


def start_session(data: dict) -> str:
    """Replace the current session with a fresh one (new id: no fixation) and return its id."""
    session.clear()
    session.sid = secrets.token_urlsafe(32)
    session.new_id = True
    session.update(data)
    return session.sid


def session_url(endpoint: str, **values) -> str:
    """url_for that keeps the launch session id, for pages inside iframes without cookies."""
    sid = getattr(session, "sid", None)
    if sid:
        values[PARAM] = sid
    return url_for(endpoint, **values)


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    """Cookies that survive the LMS iframe: SameSite=None needs Secure, i.e. HTTPS (ProxyFix
    makes request.is_secure true behind a TLS proxy). Over plain HTTP (local demo) use Lax."""
    from flask import request

    if request.is_secure:
        response.set_cookie(name, value, max_age=max_age, secure=True, httponly=True, samesite="None", path="/")
    else:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax", path="/")


def current_launch() -> dict | None:
    return dict(session) if session.get("role") else None

