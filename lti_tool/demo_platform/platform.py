"""The demo platform (development aid): lti1p3platform wired into a small Flask app."""
from __future__ import annotations

import functools
import json
import threading
import typing as t
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, jsonify, redirect, render_template, request
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/"


@dataclass(frozen=True)
class DemoUser:
    id: str
    label: str
    roles: tuple[str, ...]


DEMO_USERS = {
    "lernende": DemoUser("lernende", "Lea Lernende (Lernende)", (ROLE + "membership#Learner",)),
    "trainer": DemoUser("trainer", "Tarek Trainer (Trainer)", (ROLE + "membership#Instructor",)),
    "koordination": DemoUser(
        "koordination",
        "Kim Koordination (Koordination)",
        (ROLE + "institution/person#Administrator", ROLE + "membership#Learner"),
    ),
}


def new_private_key() -> str:
    return JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()


@functools.lru_cache(maxsize=32)
def _public_and_kid(private_pem: str) -> tuple[str, str]:
    # Loading an RSA private key is slow (validation); do it once per key, not per request.
    jwk = JWK.from_pem(private_pem.encode())
    return jwk.export_to_pem().decode(), Registration.get_jwk(private_pem)["kid"]


def public_pem(private_pem: str) -> str:
    return _public_and_kid(private_pem)[0]


class DemoRegistration(Registration):
    def get_kid(self):
        key = self.get_platform_private_key()
        return _public_and_kid(key)[1] if key else None


@dataclass
class DemoPlatform:
    """Settings and keys of the demo platform; the tests use it to sign and rotate keys."""

    issuer: str
    tool_url: str
    client_id: str = "vamos-demo-client"
    deployment_id: str = "vamos-demo-deployment"
    context_id: str = "demo-kurs-1"
    context_title: str = "Demo-Kurs: Vereinsarbeit"
    private_key: str = field(default_factory=new_private_key)
    storage_target: str | None = "_parent"  # None: launch without LTI Platform Storage
    locale: str = "de-DE"  # sent in the launch_presentation claim; the tool's interface language
    links: dict[str, dict] = field(default_factory=dict)  # resource link id -> {title, module}
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def login_url(self) -> str:
        return self.tool_url + "/lti/login"

    @property
    def launch_url(self) -> str:
        return self.tool_url + "/lti/launch"

    @property
    def auth_url(self) -> str:
        return self.issuer + "/lti/authorize"

    @property
    def token_url(self) -> str:
        return self.issuer + "/lti/token"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/lti/jwks"

    def registration(self) -> Registration:
        return (
            DemoRegistration()
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(self.login_url)
            .set_launch_url(self.launch_url)
            .set_platform_public_key(public_pem(self.private_key))
            .set_platform_private_key(self.private_key)
            .set_tool_key_set_url(self.tool_url + "/jwks")
        )

    def kid(self) -> str:
        return self.registration().get_kid()

    def rotate_key(self) -> str:
        """Replace the platform's signing key, as platforms do; the old key is no longer published."""
        with self._lock:
            self.private_key = new_private_key()
        return self.kid()

    def sign(self, payload: dict, headers: dict | None = None) -> str:
        """Sign with the platform's real key (used by tests to build known-bad payloads)."""
        reg = self.registration()
        if headers is None:
            return reg.platform_encode_and_sign(dict(payload))
        return Registration.encode_and_sign(dict(payload), self.private_key, headers)

    def add_link(self, link_id: str, title: str, module: str | None) -> None:
        self.links[link_id] = {"title": title, "module": module}


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: t.Any) -> None:
        self.platform: DemoPlatform = kwargs["platform"]

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        return self.platform.registration()


class FlaskPlatformRequest(Request):
    def build_metadata(self, req) -> dict:
        return {
            "method": req.method,
            "form_data": req.form.to_dict(),
            "get_data": req.args.to_dict(),
            "headers": dict(req.headers),
            "content_type": req.content_type,
            "path": req.path,
            "json": req.get_json(silent=True),
        }


class FlaskOIDCLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = json.dumps(kwargs, sort_keys=True)

    def get_redirect(self, url: str):
        return redirect(url)


class FlaskMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    def __init__(self, req: FlaskPlatformRequest, conf: PlatformConf):
        super().__init__(req, conf)
        self.platform = conf.platform

    def prepare_launch(self, preflight_response: dict) -> None:
        # lti1p3platform does not check where it posts the id_token: only to the registered URL.
        if preflight_response.get("redirect_uri") != self.platform.launch_url:
            abort(400, "redirect_uri is not registered")
        user = DEMO_USERS.get(preflight_response.get("login_hint", ""))
        if user is None:
            abort(400, "unknown user")
        try:
            hint = json.loads(preflight_response.get("lti_message_hint") or "{}")
        except ValueError:
            abort(400, "bad lti_message_hint")
        link = self.platform.links.get(hint.get("link", ""))
        if link is None:
            abort(400, "unknown resource link")
        self.set_user_data(user.id, list(user.roles), full_name=user.label)
        self.set_resource_link_claim(hint["link"], title=link["title"])
        self.set_launch_context_claim(
            self.platform.context_id,
            context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            context_title=self.platform.context_title,
            context_label="DEMO",
        )
        self.set_launch_presentation_claim("iframe", return_url=self.platform.issuer + "/")
        # lti1p3platform has no parameter for the locale; it is part of the same claim.
        presentation = self.lti_claim_launch_presentation["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"]
        presentation["locale"] = self.platform.locale
        if link["module"]:
            self.set_custom_parameters_claim({"module": link["module"]})

    def render_launch_form(self, launch_data: dict, **kwargs: t.Any):
        return render_template("demo_platform/autopost.html", **launch_data)


def create_demo_platform_app(platform: DemoPlatform) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PACKAGE_DIR / "templates"),
        static_folder=str(PACKAGE_DIR / "static" / "demo_platform"),
        static_url_path="/static",
    )
    app.extensions["demo_platform"] = platform

    def conf() -> PlatformConf:
        return PlatformConf(platform=platform)

    @app.route("/")
    def home():
        return render_template("demo_platform/home.html", platform=platform, users=DEMO_USERS.values())

    @app.route("/kurs/<link_id>")
    def course(link_id: str):
        user = DEMO_USERS.get(request.args.get("user", ""))
        link = platform.links.get(link_id)
        if user is None or link is None:
            abort(404)
        start = "/lti/initiate?" + urlencode({"link": link_id, "user": user.id})
        tool_origin = "{0.scheme}://{0.netloc}".format(urlsplit(platform.tool_url))
        return render_template(
            "demo_platform/course.html", platform=platform, user=user, link=link, start=start,
            new_window=start + "&window=1", tool_origin=tool_origin,
        )

    @app.route("/lti/initiate")
    def initiate():
        """Third-party initiated login: send the browser to the tool's login URL."""
        if request.args.get("link") not in platform.links or request.args.get("user") not in DEMO_USERS:
            abort(400)
        login = FlaskOIDCLogin(None, conf())
        login.set_lti_message_hint(link=request.args["link"])
        url = login.prepare_preflight_url(request.args["user"])
        if platform.storage_target and not request.args.get("window"):
            url += "&" + urlencode({"lti_storage_target": platform.storage_target})
        return redirect(url)

    @app.route("/lti/authorize", methods=["GET", "POST"])
    def authorize():
        """OIDC authorization endpoint: answers with the signed id_token, posted to the tool."""
        launch = FlaskMessageLaunch(FlaskPlatformRequest(request), conf())
        return launch.lti_launch()

    @app.route("/lti/jwks")
    def jwks():
        c = conf()
        c.get_registration()
        return jsonify(c.get_jwks())

    @app.route("/lti/token", methods=["POST"])
    def token():
        c = conf()
        c.get_registration()
        try:
            return jsonify(c.get_access_token(request.form.to_dict()))
        except Exception as exc:  # a development aid: say what was wrong
            return jsonify({"error": "invalid_request", "error_description": str(exc)}), 400

    return app
