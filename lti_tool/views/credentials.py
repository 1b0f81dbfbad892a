"""What a verifier or wallet dereferences from a credential, without any session (docs/lti.md, "Zertifikate"):

* ``/credentials/keys/<kid>`` — the public JWK named by a credential's ``kid`` (the URL itself);
  ``/credentials/jwks`` — every credential key ever used (none is withdrawn);
* ``/credentials/status/revocation`` — the Bitstring Status List credential (VC-JWT) with the revoked bits;
* ``/issuer`` — the issuer's Profile; ``/achievements/<module>/<version>`` — the Achievement (JSON for
  ``Accept: application/json``/``ld+json`` or ``.json``, HTML otherwise) and its image.

All of it is public by design and carries no personal data; responses allow any origin and short caching.
"""
from __future__ import annotations

import html

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from vamos_core.certificates import MEDIA_TYPE, ModuleInfo, sign_credential, status_list
from vamos_core.certificates.credential import build_achievement, issuer_profile

from .. import certificates as certs
from .. import credential_keys

bp = Blueprint("credentials", __name__)

JSON_TYPES = ("application/json", "application/ld+json")
CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def tool():
    return current_app.extensions["vamos"]


def public_base() -> str:
    return tool().config.base_url or request.url_root.rstrip("/")


def settings() -> certs.IssuerSettings:
    return certs.issuer_settings(public_base())


def public_response(response: Response, max_age: int = 300) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def _wants_json(name: str) -> tuple[str, bool]:
    if name.endswith(".json"):
        return name[: -len(".json")], True
    best = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES])
    return name, best in JSON_TYPES


@bp.route("/credentials/keys/<kid>")
def key(kid: str):
    with tool().db.session() as s:
        jwk = credential_keys.public_jwk(s, kid, public_base())
    if jwk is None:
        abort(404)
    response = jsonify(jwk)
    response.mimetype = "application/jwk+json"
    return public_response(response, 86400)


@bp.route("/credentials/jwks")
def jwks():
    with tool().db.session() as s:
        return public_response(jsonify(credential_keys.jwks(s, public_base())))


@bp.route("/credentials/status/revocation")
def status():
    """Signed anew on each request (a 16 KiB bitstring compresses to a few hundred bytes): a revocation or an
    erasure shows at once; verifiers may cache it for five minutes."""
    base = public_base()
    document = status_list.status_list_credential(certs.status_list_url(base), settings().issuer_id,
                                                  certs.revoked_status_indexes(tool().db))
    with tool().db.session() as s:
        signing = credential_keys.signing_key(s, base)
    return public_response(Response(sign_credential(document, signing), mimetype=MEDIA_TYPE), 300)


def profile_document(issuer_id: str | None = None) -> dict:
    profile = issuer_profile(settings())
    if issuer_id:
        profile["id"] = issuer_id
    return {"@context": CONTEXT, **profile}


def wants_json() -> bool:
    return _wants_json("")[1]


@bp.route("/issuer")
@bp.route("/issuer.json")
def issuer():
    profile = profile_document()
    if request.path.endswith(".json") or wants_json():
        return public_response(jsonify(profile))
    return public_response(Response(render_template("credential_public.html", kind="issuer", profile=profile)))


def _module(module_id: str, version: str) -> ModuleInfo | None:
    module = tool().modules.get_public(module_id)  # shipped, or an authored module's current version
    if module is not None and module.version == version:
        return ModuleInfo.from_module(module)
    return certs.achievement_snapshot(tool().db, module_id, version)


@bp.route("/achievements/<module_id>/<version>")
def achievement(module_id: str, version: str):
    version, as_json = _wants_json(version)
    info = _module(module_id, version)
    if info is None:
        abort(404)
    data = {"@context": CONTEXT, **build_achievement(info, settings())}
    if as_json:
        return public_response(jsonify(data))
    return public_response(Response(render_template("credential_public.html", kind="achievement",
                                                    achievement=data, info=info)))


@bp.route("/achievements/<module_id>/<version>/image.svg")
def achievement_image(module_id: str, version: str):
    info = _module(module_id, version)
    if info is None:
        abort(404)
    title, short = html.escape(info.title), html.escape(info.title[:34])  # cut before escaping: no broken entity
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
        '<circle cx="200" cy="200" r="190" fill="#0b5394"/><circle cx="200" cy="200" r="165" fill="#ffffff"/>'
        '<text x="200" y="150" text-anchor="middle" font-family="sans-serif" font-size="34" fill="#0b5394" '
        'font-weight="bold">VAMOs</text>'
        f'<text x="200" y="215" text-anchor="middle" font-family="sans-serif" font-size="20" fill="#222">{short}</text>'
        f'<text x="200" y="260" text-anchor="middle" font-family="sans-serif" font-size="16" fill="#444">'
        f'{html.escape(info.version)}</text></svg>'
    )
    return public_response(Response(svg, mimetype="image/svg+xml"), 86400)
