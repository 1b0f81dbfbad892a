"""The launch baseline: a minimal LTI 1.3 tool written the way pylti1p3's Flask documentation shows it.

FlaskRequest, ToolConfDict, FlaskOIDCLogin(...).redirect(), FlaskMessageLaunch(...).get_launch_data()
(= validate()), FlaskCacheDataStorage over a Flask-Caching cache, and the platform's JWKS fetched on
every launch (pylti1p3's default: ``set_public_key_caching`` is not called). The first page is a small
template showing the launch, rendered by the launch request itself.

The one deviation from the documentation's ``CACHE_TYPE: simple``: a process-local cache breaks as soon
as login and launch reach different gunicorn workers, so the baseline uses a cache every worker shares —
Redis when BASELINE_REDIS_URL is set (the PostgreSQL + Redis comparison), else Flask-Caching's
FileSystemCache in a folder (the SQLite comparison: one host, no server).

    gunicorn 'bench.baseline_tool:create_app()'   # configured by BASELINE_* environment variables
"""
from __future__ import annotations

import os

from flask import Flask, render_template_string
from flask_caching import Cache
from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.tool_config import ToolConfDict

PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><p>Angemeldet als {{ name }} ({{ roles|length }} Rollen), Modul {{ module }}.</p>
</body></html>"""


def create_app() -> Flask:
    env = os.environ
    app = Flask(__name__)
    app.secret_key = env.get("VAMOS_SECRET_KEY", "baseline")
    redis_url = env.get("BASELINE_REDIS_URL", "")
    if redis_url:
        cache_config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url,
                        "CACHE_KEY_PREFIX": env.get("BASELINE_REDIS_PREFIX", "baseline:")}
    else:
        cache_config = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": env["BASELINE_CACHE_DIR"],
                        "CACHE_THRESHOLD": 100000}
    cache = Cache(app, config={**cache_config, "CACHE_DEFAULT_TIMEOUT": 600})

    issuer = env["BASELINE_ISSUER"]
    client_id = env["BASELINE_CLIENT_ID"]
    tool_conf = ToolConfDict({
        issuer: [{
            "default": True,
            "client_id": client_id,
            "auth_login_url": env["BASELINE_AUTH_LOGIN_URL"],
            "auth_token_url": env["BASELINE_AUTH_TOKEN_URL"],
            "key_set_url": env["BASELINE_KEY_SET_URL"],
            "key_set": None,
            "deployment_ids": [env["BASELINE_DEPLOYMENT_ID"]],
        }]
    })
    with open(env["BASELINE_PRIVATE_KEY_FILE"]) as fh:
        tool_conf.set_private_key(issuer, fh.read(), client_id=client_id)

    def storage() -> FlaskCacheDataStorage:
        return FlaskCacheDataStorage(cache)

    @app.route("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.route("/login", methods=["GET", "POST"])
    def login():
        flask_request = FlaskRequest()
        target_link_uri = flask_request.get_param("target_link_uri")
        if not target_link_uri:
            raise Exception('Missing "target_link_uri" param')
        oidc_login = FlaskOIDCLogin(flask_request, tool_conf, launch_data_storage=storage())
        return oidc_login.redirect(target_link_uri)

    @app.route("/launch", methods=["POST"])
    def launch():
        flask_request = FlaskRequest()
        message_launch = FlaskMessageLaunch(flask_request, tool_conf, launch_data_storage=storage())
        data = message_launch.get_launch_data()
        custom = data.get("https://purl.imsglobal.org/spec/lti/claim/custom", {}) or {}
        return render_template_string(PAGE, title="VAMOs (Baseline)", name=data.get("name", ""),
                                      roles=data.get("https://purl.imsglobal.org/spec/lti/claim/roles", []),
                                      module=custom.get("module", "-"), launch_id=message_launch.get_launch_id())

    return app
