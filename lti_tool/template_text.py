"""Interface texts of the templates remembered per process: a page calls ``_()`` a few dozen times, and each
call went through Flask-Babel's lookup of the request's translations and Jinja's escaping and formatting —
about half of the module page's rendering (bench/perf_log.md, session 5).

``install`` wraps the ``gettext`` the app already installed (``lti_tool.i18n``: Flask-Babel, new-style): a call
without variables is answered from a memo keyed by the active locale (``flask_babel.get_locale()``, which also
follows ``force_locale``), the message and the autoescape mode; the first call of each key goes through the
installed function, so catalogs, fallbacks and escaping stay exactly theirs. A call with variables remembers
the translated message (``i18n.message_template``) and fills in the variables each time (``i18n.fill``: numbers in
the locale's digits). Catalogs are loaded once per process (Flask-Babel's own cache), so a remembered text is
never stale.
"""
from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from jinja2 import pass_context

from . import i18n

MAX_TEXTS = 20000  # locales × messages; cleared when full


def install(app: Flask) -> None:
    env = app.jinja_env
    inner = env.globals.get("gettext")
    if inner is None or not getattr(env, "newstyle_gettext", False):
        return
    memo: dict = {}

    @pass_context
    def gettext(__context, __string, **variables):
        if variables:
            key = (get_locale(), __string, __context.eval_ctx.autoescape, "template")
            template = memo.get(key)
            if template is None:
                template = i18n.message_template(__context, __string)
                if len(memo) >= MAX_TEXTS:
                    memo.clear()
                memo[key] = template
            return i18n.fill(template, variables)
        key = (get_locale(), __string, __context.eval_ctx.autoescape)
        found = memo.get(key)
        if found is None:
            found = inner(__context, __string)
            if len(memo) >= MAX_TEXTS:
                memo.clear()
            memo[key] = found
        return found

    env.globals["gettext"] = gettext
    env.globals["_"] = gettext  # directly: Jinja's alias would look ``gettext`` up and call it on every use
