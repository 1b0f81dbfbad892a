"""The demo platform (development aid): lti1p3platform wired into a small Flask app."""
from __future__ import annotations

import functools
import json
import threading
import time
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
    name: str  # the person's name as the platform sends it (launch, NRPS): printed on certificates
    role_label: str  # shown next to the name on the demo LMS's pages only
    roles: tuple[str, ...]

    @property
    def email(self) -> str:
        # LMSs send the e-mail address with the name; the tool must not keep it anywhere.
        return f"{self.id}.demo@lms.example.org"

    def label(self) -> str:
        return f"{self.name} ({self.role_label})"


DEMO_USERS = {
    "lernende": DemoUser("lernende", "Lea Lernende", "Lernende", (ROLE + "membership#Learner",)),
    "trainer": DemoUser("trainer", "Tarek Trainer", "Trainer", (ROLE + "membership#Instructor",)),
    "koordination": DemoUser(
        "koordination",
        "Kim Koordination",
        "Koordination",
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
    fixed_kid: str | None = None  # a platform that changed its key under the same kid (tests)

    def get_kid(self):
        if self.fixed_kid:
            return self.fixed_kid
        key = self.get_platform_private_key()
        return _public_and_kid(key)[1] if key else None

    def get_jwks(self):
        keys = super().get_jwks()
        if self.fixed_kid:
            keys = [{**key, "kid": self.fixed_kid} for key in keys]
        return keys


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
    links: dict[str, dict] = field(default_factory=dict)  # resource link id -> {title, module, lesson, lineitem}
    # LTI Advantage services (development aid and test double, built on lti1p3platform's classes).
    deep_link_accept_multiple: bool = True
    deep_link_data: str | None = "demo-dl-data"  # the opaque `data` a tool must echo unchanged
    deep_link_results: list[dict] = field(default_factory=list)  # validated responses (content items)
    ags: bool = True  # send the AGS claim with resource link launches
    allow_creating_lineitems: bool = True
    lineitems: dict[str, dict] = field(default_factory=dict)  # line item URL -> line item
    scores: list[dict] = field(default_factory=list)  # every score received: {lineitem, score}
    fail_mode: str | None = None  # None | "500" | "timeout" | "400": how token/AGS endpoints fail
    fail_sleep: float = 2.0  # seconds a "timeout" answer hangs (longer than the tool's client timeout)
    nrps: bool = True
    extra_members: list[dict] = field(default_factory=list)  # roster members besides DEMO_USERS
    members_page_size: int = 2
    custom: dict = field(default_factory=dict)  # further custom parameters of every link (e.g. organisation)
    fixed_kid: str | None = None  # set by rotate_key(keep_kid=True)
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
        reg = DemoRegistration()
        reg.fixed_kid = self.fixed_kid
        return (
            reg
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(self.login_url)
            .set_launch_url(self.launch_url)
            .set_platform_public_key(public_pem(self.private_key))
            .set_platform_private_key(self.private_key)
            .set_tool_key_set_url(self.tool_url + "/jwks")
            .set_deeplink_launch_url(self.launch_url)
        )

    def kid(self) -> str:
        return self.registration().get_kid()

    def rotate_key(self, keep_kid: bool = False) -> str:
        """Replace the platform's signing key, as platforms do; the old key is no longer published.
        ``keep_kid``: publish the new key under the old kid (some platforms number their keys "1", "2", …
        and reuse a number)."""
        with self._lock:
            if keep_kid:
                self.fixed_kid = self.kid()
            self.private_key = new_private_key()
        return self.kid()

    def sign(self, payload: dict, headers: dict | None = None) -> str:
        """Sign with the platform's real key (used by tests to build known-bad payloads)."""
        reg = self.registration()
        if headers is None:
            return reg.platform_encode_and_sign(dict(payload))
        return Registration.encode_and_sign(dict(payload), self.private_key, headers)

    def add_link(self, link_id: str, title: str, module: str | None, lesson: str | None = None,
                 lineitem: str | None = None) -> None:
        self.links[link_id] = {"title": title, "module": module, "lesson": lesson, "lineitem": lineitem}

    @property
    def lineitems_url(self) -> str:
        return f"{self.issuer}/ags/{self.context_id}/lineitems"

    @property
    def memberships_url(self) -> str:
        return f"{self.issuer}/nrps/{self.context_id}/memberships"

    def add_lineitem(self, item: dict) -> dict:
        with self._lock:
            url = f"{self.lineitems_url}/{len(self.lineitems) + 1}"
            stored = {**item, "id": url}
            self.lineitems[url] = stored
        return stored

    def scores_for(self, user_id: str | None = None) -> list[dict]:
        with self._lock:
            return [s for s in self.scores if user_id is None or s["score"].get("userId") == user_id]

    def members(self) -> list[dict]:
        users = [{"user_id": u.id, "name": u.name, "email": f"{u.id}@demo.example", "roles": list(u.roles),
                  "status": "Active"}
                 for u in DEMO_USERS.values()]
        return users + list(self.extra_members)


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
        if hint.get("deep_link"):
            self._prepare_deep_link(user)
            return
        link = self.platform.links.get(hint.get("link", ""))
        if link is None:
            abort(400, "unknown resource link")
        self.set_user_data(user.id, list(user.roles), full_name=user.name, email_address=user.email)
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
        if link["module"] or self.platform.custom:
            custom = dict(self.platform.custom)
            if link["module"]:
                custom["module"] = link["module"]
            if link.get("lesson"):
                custom["lesson"] = link["lesson"]
            self.set_custom_parameters_claim(custom)
        if self.platform.ags:
            self.set_ags(self.platform.lineitems_url, link.get("lineitem"),
                         allow_creating_lineitems=self.platform.allow_creating_lineitems)
        if self.platform.nrps:
            self.set_nrps(self.platform.memberships_url)

    def _prepare_deep_link(self, user: DemoUser) -> None:
        """An LtiDeepLinkingRequest (lti1p3platform's deep linking claim) for placing modules."""
        self.set_user_data(user.id, list(user.roles), full_name=user.name, email_address=user.email)
        self.set_launch_context_claim(
            self.platform.context_id, context_title=self.platform.context_title, context_label="DEMO",
            context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        )
        self.set_dl(self.platform.issuer + "/lti/deep_link_return", title="Lernmodul einfügen",
                    accept_types={"ltiResourceLink"}, extra_data=self.platform.deep_link_data)
        settings = self._deep_linking_launch_data["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
        settings["accept_multiple"] = self.platform.deep_link_accept_multiple
        settings["accept_presentation_document_targets"] = ["iframe", "window"]

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

    @app.route("/einfuegen")
    def deep_link_page():
        """Deep Linking inside the course page's frame, as Moodle's "Inhalt auswählen" dialog does it (the
        tool's answer is posted back inside the same frame); a new-window link as the fallback."""
        user = DEMO_USERS.get(request.args.get("user", ""))
        if user is None:
            abort(404)
        start = "/lti/initiate?" + urlencode({"deep_link": 1, "user": user.id})
        tool_origin = "{0.scheme}://{0.netloc}".format(urlsplit(platform.tool_url))
        return render_template(
            "demo_platform/course.html", platform=platform, user=user, link={"title": "Lernmodule einfügen"},
            start=start, new_window=start + "&window=1", tool_origin=tool_origin,
        )

    @app.route("/lti/initiate")
    def initiate():
        """Third-party initiated login: send the browser to the tool's login URL."""
        deep_link = request.args.get("deep_link") == "1"
        if (not deep_link and request.args.get("link") not in platform.links) or request.args.get("user") not in DEMO_USERS:
            abort(400)
        login = FlaskOIDCLogin(None, conf())
        if deep_link:
            login.set_lti_message_hint(deep_link=1)
        else:
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
        failure = _failure(platform)
        if failure is not None:
            return failure
        c = conf()
        c.get_registration()
        try:
            return jsonify(c.get_access_token(request.form.to_dict()))
        except Exception as exc:  # a development aid: say what was wrong
            return jsonify({"error": "invalid_request", "error_description": str(exc)}), 400

    add_advantage_routes(app, platform, conf)
    return app


def _failure(platform: DemoPlatform):
    """The switch for resilience tests: answer 500, hang (then 504), or refuse with 400."""
    mode = platform.fail_mode
    if mode == "500":
        return jsonify({"error": "server_error"}), 500
    if mode == "timeout":
        time.sleep(platform.fail_sleep)
        return jsonify({"error": "gateway_timeout"}), 504
    if mode == "400":
        return jsonify({"error": "invalid_request", "error_description": "score refused by the demo platform"}), 400
    return None


SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def add_advantage_routes(app: Flask, platform: DemoPlatform, conf) -> None:
    """Deep linking return, AGS (line items, scores) and NRPS (memberships) of the demo platform."""

    def require_token(*scopes: str) -> None:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            abort(401)
        c = conf()
        c.get_registration()
        try:
            ok = c.validate_token(auth[7:], allowed_scopes=list(scopes))
        except Exception:  # noqa: BLE001 - expired, wrong signature, …
            abort(401)
        if not ok:
            abort(403)

    @app.route("/lti/deep_link_return", methods=["POST"])
    def deep_link_return():
        c = conf()
        c.get_registration()
        token = request.form.get("JWT", "")
        try:
            items = c.validate_deeplinking_resp({"JWT": token})
            claims = c.tool_validate_and_decode(token)
        except Exception as exc:  # noqa: BLE001
            return f"invalid deep linking response: {exc}", 400
        # What lti1p3platform does not check: addressed to us, from our client, data echoed unchanged.
        aud = claims.get("aud")
        if platform.issuer not in (aud if isinstance(aud, list) else [aud]) or claims.get("iss") != platform.client_id:
            return "deep linking response: wrong aud or iss", 400
        if claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id") != platform.deployment_id:
            return "deep linking response: wrong deployment_id", 400
        if claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/data") != platform.deep_link_data:
            return "deep linking response: data not echoed", 400
        if len(items) > 1 and not platform.deep_link_accept_multiple:
            return "deep linking response: several items but accept_multiple is false", 400
        created = []
        for item in items:
            link_id = f"dl-{len(platform.links) + 1}"
            custom = item.get("custom") or {}
            lineitem = None
            if isinstance(item.get("lineItem"), dict):
                lineitem = platform.add_lineitem({**item["lineItem"], "resourceLinkId": link_id})["id"]
            platform.add_link(link_id, item.get("title", ""), custom.get("module"), custom.get("lesson"), lineitem)
            created.append(link_id)
        platform.deep_link_results.append({"claims": claims, "items": items, "links": created})
        return render_template("demo_platform/deep_link_done.html", platform=platform, links=created)

    @app.route("/ags/<context_id>/lineitems", methods=["GET", "POST"])
    def lineitems(context_id: str):
        failure = _failure(platform)
        if failure is not None and platform.fail_mode != "400":
            return failure
        if request.method == "POST":
            require_token(SCOPE + "lineitem")
            if not platform.allow_creating_lineitems:
                abort(403)
            body = request.get_json(force=True, silent=True) or {}
            if not isinstance(body.get("scoreMaximum"), (int, float)) or not body.get("label"):
                return jsonify({"error": "label and scoreMaximum required"}), 400
            return jsonify(platform.add_lineitem(body)), 201, {"Content-Type": "application/vnd.ims.lis.v2.lineitem+json"}
        require_token(SCOPE + "lineitem", SCOPE + "lineitem.readonly")
        wanted = request.args.get("resource_link_id")
        items = [i for i in platform.lineitems.values() if not wanted or i.get("resourceLinkId") == wanted]
        return jsonify(items), 200, {"Content-Type": "application/vnd.ims.lis.v2.lineitemcontainer+json"}

    @app.route("/ags/<context_id>/lineitems/<int:number>/scores", methods=["POST"])
    def post_score(context_id: str, number: int):
        failure = _failure(platform)
        if failure is not None:
            return failure
        require_token(SCOPE + "score")
        url = f"{platform.lineitems_url}/{number}"
        if url not in platform.lineitems:
            return jsonify({"error": "no such line item"}), 404
        if request.mimetype != "application/vnd.ims.lis.v1.score+json":
            return jsonify({"error": "wrong content type"}), 415
        score = request.get_json(force=True, silent=True) or {}
        for name in ("userId", "timestamp", "activityProgress", "gradingProgress"):
            if not score.get(name):
                return jsonify({"error": f"{name} missing"}), 400
        with platform._lock:
            platform.scores.append({"lineitem": url, "score": score})
        return "", 204

    @app.route("/nrps/<context_id>/memberships")
    def memberships(context_id: str):
        require_token(NRPS_SCOPE)
        members = platform.members()
        size = max(1, platform.members_page_size)
        page = max(1, request.args.get("page", 1, type=int))
        chunk = members[(page - 1) * size: page * size]
        headers = {"Content-Type": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"}
        if page * size < len(members):
            headers["Link"] = f'<{platform.memberships_url}?page={page + 1}>; rel="next"'
        body = {"id": platform.memberships_url,
                "context": {"id": platform.context_id, "title": platform.context_title, "label": "DEMO"},
                "members": chunk}
        return jsonify(body), 200, headers
