"""Access logs without personal data: the query string of ``/lti/login`` carries ``login_hint`` and
``lti_message_hint`` (platform user ids), so it never reaches a log line.

``RedactLoginQuery`` is a logging filter the app factory installs on the access loggers of gunicorn
(``gunicorn.access``: the atoms dict of its access log format) and of the development server (``werkzeug``:
a formatted line). docs/lti.md also documents a gunicorn ``--access-logformat`` without any query string
(``%(U)s`` instead of ``%(r)s``), which keeps the ``?ls=`` session ids of other pages out of the log too.
"""
from __future__ import annotations

import logging
import re

LOGIN_QUERY = re.compile(r"(/lti/login(?:/[^\s?\"]*)?)\?[^\s\"]*")
ACCESS_LOGGERS = ("gunicorn.access", "werkzeug")
# Documented in docs/lti.md; tests/lti/test_transport.py runs gunicorn with it.
GUNICORN_ACCESS_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'


def redact(text: str) -> str:
    return LOGIN_QUERY.sub(r"\1", text)


class RedactLoginQuery(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):  # gunicorn: the atoms of the access log format
            atoms = dict(record.args)
            for key in ("r", "U", "q"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact(atoms[key])
            if str(atoms.get("U", "")).startswith("/lti/login"):
                atoms["q"] = ""
            record.args = atoms
        else:
            message = record.getMessage()
            if "/lti/login" in message:
                record.msg, record.args = redact(message), None
        return True


def install() -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLoginQuery) for f in logger.filters):
            logger.addFilter(RedactLoginQuery())
