"""Application factory of the VAMOs LTI 1.3 tool."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access_log, keys
from .cache import LaunchCache, make_cache
from .config import ToolConfig
from .db import Database
from .errors import MESSAGES, LaunchError
from .launch_validation import LaunchValidator
from .platform_keys import PlatformKeys
from .sessions import LaunchSessionInterface, session_url

log = logging.getLogger("lti_tool")


@dataclass
class Tool:
    """Everything a request needs, kept on ``app.extensions['vamos']`` (no module globals)."""

    config: ToolConfig
    db: Database
    cache: LaunchCache
    platform_keys: PlatformKeys
    validator: LaunchValidator
    _catalog: object | None = None
    _modules: object | None = None
    _authoring: object | None = None
    score_worker: object | None = None  # score_sync.ScoreWorker when VAMOS_SCORE_WORKER=inline
    xapi: object | None = None  # xapi_outbox.XapiRecorder when an LRS is configured (VAMOS_XAPI_LRS_URL)
    xapi_worker: object | None = None  # outbox.OutboxWorker of the statements when VAMOS_XAPI_WORKER=inline

    def scores_enqueued(self) -> None:
        """After a progress event wrote outbox rows: make sure the in-process worker runs, and wake it."""
        if self.score_worker is not None:
            self.score_worker.start()
            self.score_worker.wake()

    def statements_enqueued(self) -> None:
        """After an event wrote xAPI statements: make sure the in-process worker runs, and wake it."""
        if self.xapi_worker is not None:
            self.xapi_worker.start()
            self.xapi_worker.wake()

    @property
    def catalog(self):
        """The shipped modules (VAMOs-Standard) only; pages ask ``modules`` (per platform, with authored ones)."""
        if self._catalog is None:
            from .catalog import load_tool_catalog

            self._catalog = load_tool_catalog(self.config.content_dir)
        return self._catalog

    @property
    def modules(self):
        """The catalogue per platform: shipped plus that platform's published modules (``authoring.directory``)."""
        if self._modules is None:
            from .authoring.directory import ModuleDirectory

            self._modules = ModuleDirectory(self.catalog, self.db, self.config.instance_dir / "authored")
        return self._modules

    def catalog_for(self, issuer: str | None):
        """The modules of one platform: shipped ones and those its trainers published."""
        from .authoring.directory import PlatformCatalog

        return PlatformCatalog(self.modules, issuer)

    @property
    def authoring(self):
        if self._authoring is None:
            from .authoring.service import AuthoringService

            self._authoring = AuthoringService(self.db, self.modules)
        return self._authoring


def create_app(config: ToolConfig | None = None, **overrides) -> Flask:
    config = config or ToolConfig.from_env(**overrides)
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per subset table of every certificate
    access_log.install()

    app = Flask(__name__, instance_path=str(config.instance_dir.resolve()))
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=256 * 1024,  # an id_token is a few KB
        TEMPLATES_AUTO_RELOAD=False,
    )
    if config.proxy_fix:
        n = config.proxy_fix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)

    if not config.base_url and not config.is_sqlite:
        # Without a configured public URL, verification URLs printed on certificates would follow the
        # request's Host header, which a client controls.
        log.warning("VAMOS_BASE_URL is not set: set it to the tool's public https URL in production")
    db = Database(config.database_url)
    if config.auto_migrate:
        db.migrate()
    with db.session() as s:
        keys.ensure_key(s)
    cache = make_cache(config, db)
    platform_keys = PlatformKeys(cache, config.jwks_refetch_interval, config.jwks_cache_ttl,
                                 refetch_spacing=config.jwks_refetch_spacing)
    validator = LaunchValidator(db, cache, platform_keys, config.jwt_leeway, config.max_token_age)
    tool = Tool(config, db, cache, platform_keys, validator)
    tool.catalog  # loaded now, not in the first learner's request (see lti_tool/catalog.py)
    app.extensions["vamos"] = tool
    if config.score_worker == "inline":
        from .score_sync import ScoreSender, ScoreWorker

        tool.score_worker = ScoreWorker(ScoreSender.from_config(config, db, cache), config.score_poll_interval)
        _start_worker_lazily(app, tool.score_worker)
    from .xapi_outbox import XapiRecorder

    tool.xapi = XapiRecorder.from_config(config)
    if tool.xapi is not None and config.xapi_worker == "inline":
        from .outbox import OutboxWorker
        from .xapi_outbox import XapiSender

        tool.xapi_worker = OutboxWorker(XapiSender.from_config(config, db), config.xapi_poll_interval)
        _start_worker_lazily(app, tool.xapi_worker)
    app.session_interface = LaunchSessionInterface()
    from . import i18n

    i18n.init_app(app)
    from . import template_text

    template_text.install(app)  # after i18n: wraps the gettext it installed
    app.jinja_env.globals["session_url"] = session_url
    from . import staff_nav

    staff_nav.init_app(app)

    from .views import advantage, authoring, certificates, coordination, credentials, interventions, launch, learn, pages, preferences, reading

    app.register_blueprint(advantage.bp)
    app.register_blueprint(launch.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(learn.bp)
    app.register_blueprint(certificates.bp)
    app.register_blueprint(credentials.bp)
    app.register_blueprint(coordination.bp)
    app.register_blueprint(coordination.choice_bp)
    app.register_blueprint(authoring.bp)
    app.register_blueprint(interventions.bp)
    app.register_blueprint(preferences.bp)
    app.register_blueprint(reading.bp)
    _register_error_pages(app)
    _register_security_headers(app)
    if config.warm_up:
        _warm_up(app)
    app.config["KEY_OVERLAP"] = timedelta(hours=config.key_overlap_hours)
    return app


def _warm_up(app: Flask) -> None:
    """Per process (gunicorn calls the factory in each worker, before it accepts requests): the certificate fonts
    and every template compiled, so no learner's request pays for them."""
    from vamos_core import certificates

    try:
        certificates.warm_up()
    except Exception as exc:  # noqa: BLE001 - e.g. fonts missing: the tool still serves; issuing says why later
        log.warning("certificate fonts not prepared at start: %s", type(exc).__name__)
    for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
        app.jinja_env.get_template(name)


def _start_worker_lazily(app: Flask, worker) -> None:
    """An outbox worker thread (scores, xAPI statements) starts in the serving process (never before a pre-forking
    server forks): with the first request if rows wait in its outbox, else with the first row written."""
    checked = {"done": False}

    @app.before_request
    def _maybe_start_worker():
        if checked["done"]:
            return
        checked["done"] = True
        if worker.sender.has_pending():
            worker.start()


HTTP_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def _error_page(code: str, status: int, message_key: str | None = None):
    return render_template("error.html", message=MESSAGES[message_key or code], code=code), status


def _situation_message(code: str) -> str:
    """The text for where the browser actually was: a failed state check in a frame advises a new window,
    the same failure in a window must not (that is what failed)."""
    if code == "state_mismatch" and request.headers.get("Sec-Fetch-Dest", "iframe") != "iframe":
        return "state_mismatch_window"
    return code


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(LaunchError)
    def launch_error(exc: LaunchError):
        # Only the stable code and the non-personal detail reach the log.
        log.warning("refused code=%s status=%s detail=%s", exc.code, exc.status, exc.detail)
        return _error_page(exc.code, exc.status, _situation_message(exc.code))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = HTTP_CODES.get(exc.code or 0)
        if code is not None:
            return _error_page(code, exc.code)
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # A bug must still show a page the learner understands (and is logged with its traceback).
        log.exception("unexpected error: %s", type(exc).__name__)
        return _error_page("server_error", 500)


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        # Embeddable in any LMS (frame-ancestors *), scripts only from our own static folder,
        # and no Referer: URLs may carry the launch session id. Lesson videos may come from the
        # organisation's own https server (content format, video.url); media cannot run code.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self' https:; frame-ancestors *; base-uri 'none'; "
            "object-src 'none'",
        )
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        # Behind TLS (directly or via the proxy's X-Forwarded-Proto with VAMOS_PROXY_FIX) browsers must never fall
        # back to plain HTTP: the session id travels in URLs. Not over plain HTTP (the local demo).
        max_age = app.extensions["vamos"].config.hsts_max_age
        if max_age > 0 and request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        return response
