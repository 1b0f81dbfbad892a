"""Where a form may send the browser back to: only a path of one of our own GET routes.

Browsers drop tabs and newlines and read a backslash as a slash, so "/%09/evil.example" or "/\\evil.example"
would leave the site: nothing but the characters of our paths is accepted, and the path must match a route
(issue 16; the organisation choice and, since issue 17, the language switch and reading settings use it).
"""
from __future__ import annotations

import re

from flask import current_app
from werkzeug.exceptions import HTTPException

SAFE_PATH = re.compile(r"/[A-Za-z0-9_\-./]*")  # our routes: no %, no backslash, no whitespace or control characters
SAFE_QUERY = re.compile(r"[A-Za-z0-9_\-.=&]*")


def local_path(path: str) -> bool:
    if len(path) > 2000 or not SAFE_PATH.fullmatch(path) or path.startswith("//") or "/../" in path + "/":
        return False
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    return endpoint != "static"


def local_target(target: str, drop_bad_query: bool = False) -> str | None:
    """``target`` if it is one of our pages (path and a plain query), else None. With ``drop_bad_query`` a good
    path with a query we do not accept (e.g. a search term with umlauts) keeps the path alone."""
    if not isinstance(target, str):
        return None
    path, _, query = target.partition("?")
    if not local_path(path):
        return None
    if not SAFE_QUERY.fullmatch(query):
        return path if drop_bad_query else None
    return path + ("?" + query if query else "")
