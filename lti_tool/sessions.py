"""Server-side Flask sessions keyed by an id, stored in the shared launch cache.

Inside an LMS iframe the browser may refuse our cookies, so the session id also travels in the
URL (``?ls=…``) and in forms; links built with ``session_url()`` carry it. The id is 256 random
bits; pages set ``Referrer-Policy: no-referrer`` so it does not leak to other sites.
"""
from __future__ import annotations

import secrets
from urllib.parse import quote, urlsplit

from flask import Flask, Request, Response, request, session, url_for
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


_URLS: dict[tuple, str] = {}


def session_url(endpoint: str, **values) -> str:
    """url_for that keeps the launch session id, for pages inside iframes without cookies.

    A page builds a dozen of these; werkzeug's URL building is the costly part, so the URL without the session
    id is remembered per process (by script root, endpoint and values; the id is the last query parameter, as
    url_for puts it) and the id appended. Endpoints that need more than the path (``_external``, ``_anchor``
    and the like) go through url_for every time."""
    sid = getattr(session, "sid", None)
    if any(name.startswith("_") for name in values):
        if sid:
            values[PARAM] = sid
        return url_for(endpoint, **values)
    try:
        key = (request.script_root, request.blueprint if endpoint.startswith(".") else None, endpoint,
               *values.items())
        url = _URLS.get(key)
    except TypeError:  # a value that cannot be a key
        key, url = None, None
    if url is None:
        url = url_for(endpoint, **values)
        if key is not None:
            if len(_URLS) >= 4096:
                _URLS.clear()
            _URLS[key] = url
    if not sid:
        return url
    return f"{url}{'&' if '?' in url else '?'}{PARAM}={quote(sid, safe='')}"


LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def secure_context() -> bool:
    """True when the browser will keep a ``Secure`` cookie from this request: HTTPS (ProxyFix makes
    request.is_secure true behind a TLS proxy), or plain HTTP on a loopback host, which browsers treat as a
    potentially trustworthy origin (Chromium 156 and Firefox store Secure cookies from http://127.0.0.1 and
    http://localhost; measured in docs/lti.md, "Cookies im Rahmen")."""
    if request.is_secure:
        return True
    host = urlsplit("//" + request.host).hostname or ""
    return host in LOOPBACK_HOSTS or host.endswith(".localhost")


def cookie_attributes(http_only: bool = True) -> str:
    """``SameSite=None; Secure; Partitioned`` (CHIPS) where the browser accepts Secure cookies: sent on the
    platform's cross-site form post and kept inside an LMS iframe even with third-party cookies blocked, in the
    partition of the LMS's site only. Elsewhere (plain HTTP on a LAN address) ``SameSite=Lax``; the launch then
    confirms the state with a same-origin relay post (``views/launch.py``)."""
    attrs = "Path=/; SameSite=None; Secure; Partitioned" if secure_context() else "Path=/; SameSite=Lax"
    return attrs + ("; HttpOnly" if http_only else "")


def set_cookie(response: Response, name: str, value: str, max_age: int, http_only: bool = True) -> None:
    """A cookie that survives the LMS iframe where the browser allows it (see ``cookie_attributes``)."""
    response.headers.add("Set-Cookie", f"{name}={value}; Max-Age={int(max_age)}; {cookie_attributes(http_only)}")


def delete_cookie(response: Response, name: str) -> None:
    """Expire a cookie set by ``set_cookie``: a partitioned cookie is only replaced by one with the same
    attributes."""
    response.headers.add("Set-Cookie", f"{name}=; Max-Age=0; {cookie_attributes()}")


def current_launch() -> dict | None:
    return dict(session) if session.get("role") else None

