"""LTI Dynamic Registration 1.0: a platform (Moodle, Canvas, Brightspace, …) registers the tool itself.

1. The administrator pastes ``https://<tool>/register`` into the platform; the platform opens it with
   ``openid_configuration`` (URL of its OpenID configuration) and usually ``registration_token``.
2. We fetch the configuration and check it: the issuer's host is the configuration URL's host, the
   endpoints are there, the platform supports the ``id_token`` response type and RS256.
3. We POST our client registration (OpenID Connect Dynamic Client Registration plus the LTI tool
   configuration claim) to its ``registration_endpoint`` with the token as bearer.
4. The answer's ``client_id`` (and ``deployment_id``) become a registration and deployment here —
   the deployment ``pending`` until an administrator approves it (``vamos lti approve-deployment``),
   unless ``VAMOS_AUTO_APPROVE_REGISTRATIONS=1``.
5. The page then posts ``{subject: "org.imsglobal.lti.close"}`` to the platform's window.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from . import registrations, services
from .models import Deployment

log = logging.getLogger(__name__)

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
TOOL_NAME = "VAMOs-Lernmodule"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
REQUESTED_SCOPES = (services.SCOPE_LINEITEM, services.SCOPE_LINEITEM_READONLY, services.SCOPE_RESULT_READONLY,
                    services.SCOPE_SCORE, services.SCOPE_NRPS)
CANVAS_PLACEMENTS = ["link_selection", "assignment_selection"]


class RegistrationError(Exception):
    pass


@dataclass(frozen=True)
class Registered:
    registration_id: str
    issuer: str
    client_id: str
    deployment_id: str | None
    status: str  # active | pending


def _check_url(url, what: str) -> str:
    if not isinstance(url, str):
        raise RegistrationError(f"{what} missing")
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        if parts.hostname:
            return url
    raise RegistrationError(f"{what} is not an https URL")


def tool_configuration(base_url: str, platform_config: dict) -> dict:
    """The registration request body (Dynamic Registration 1.0, section 3.3)."""
    base = base_url.rstrip("/")
    launch = f"{base}/lti/launch"
    lti = platform_config.get(PLATFORM_CONFIGURATION) or {}
    family = str(lti.get("product_family_code") or "").lower()
    supported_messages = {m.get("type") for m in lti.get("messages_supported") or [] if isinstance(m, dict)}
    placements = ["ContentArea"] + (CANVAS_PLACEMENTS if family == "canvas" else [])
    messages = [
        {"type": "LtiResourceLinkRequest", "target_link_uri": launch, "label": TOOL_NAME},
        {"type": "LtiDeepLinkingRequest", "target_link_uri": launch, "label": "VAMOs-Modul einfügen",
         "placements": placements, "supported_types": ["ltiResourceLink"]},
    ]
    if supported_messages:
        messages = [m for m in messages if m["type"] in supported_messages] or messages
    supported_scopes = platform_config.get("scopes_supported")
    scopes = [s for s in REQUESTED_SCOPES if not isinstance(supported_scopes, list) or s in supported_scopes]
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base}/lti/login",
        "redirect_uris": [launch],
        "client_name": TOOL_NAME,
        "jwks_uri": f"{base}/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base).netloc,
            "target_link_uri": launch,
            "custom_parameters": {},
            "description": "Lernmodule für Migrant*innenorganisationen (VAMOs)",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "locale"],
            "messages": messages,
        },
    }


def fetch_platform_configuration(url: str, token: str | None, timeout: float) -> dict:
    _check_url(url, "openid_configuration")
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = requests.get(url, headers=headers, timeout=timeout)
        response.raise_for_status()
        config = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise RegistrationError(f"openid configuration not readable: {type(exc).__name__}") from exc
    if not isinstance(config, dict):
        raise RegistrationError("openid configuration is not a JSON object")
    issuer = _check_url(config.get("issuer"), "issuer")
    if urlsplit(issuer).netloc != urlsplit(url).netloc:
        raise RegistrationError("issuer host differs from the openid configuration URL's host")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        _check_url(config.get(name), name)
    if "id_token" not in (config.get("response_types_supported") or ["id_token"]):
        raise RegistrationError("platform does not support response type id_token")
    if "RS256" not in (config.get("id_token_signing_alg_values_supported") or ["RS256"]):
        raise RegistrationError("platform does not sign with RS256")
    if not isinstance(config.get(PLATFORM_CONFIGURATION), dict):
        raise RegistrationError("LTI platform configuration claim missing")
    return config


def register(db, config_url: str, token: str | None, base_url: str, *, auto_approve: bool = False,
             timeout: float = 10.0) -> Registered:
    config = fetch_platform_configuration(config_url, token, timeout)
    body = tool_configuration(base_url, config)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = requests.post(config["registration_endpoint"], json=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise RegistrationError(f"registration endpoint unreachable: {type(exc).__name__}") from exc
    if response.status_code not in (200, 201):
        raise RegistrationError(f"registration refused: HTTP {response.status_code} {response.text[:200]}")
    try:
        answer = response.json()
        client_id = answer["client_id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistrationError("registration answer without client_id") from exc
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationError("registration answer without client_id")
    tool_conf = answer.get(TOOL_CONFIGURATION) if isinstance(answer.get(TOOL_CONFIGURATION), dict) else {}
    deployment_id = tool_conf.get("deployment_id")
    deployment_id = str(deployment_id) if isinstance(deployment_id, (str, int)) and str(deployment_id) else None
    lti = config[PLATFORM_CONFIGURATION]
    name = " ".join(str(x) for x in (lti.get("product_family_code"), lti.get("version")) if x) or config["issuer"]
    with db.session() as s:
        reg = registrations.add_platform(
            s, issuer=config["issuer"], client_id=client_id, auth_login_url=config["authorization_endpoint"],
            auth_token_url=config["token_endpoint"], key_set_url=config["jwks_uri"],
            auth_audience=config.get("authorization_server") or None, name=f"{name} (dynamische Registrierung)",
        )
        status = Deployment.PENDING
        if deployment_id:
            if auto_approve:
                dep = registrations.approve_deployment(s, reg, deployment_id)
            else:
                dep = registrations.record_pending(s, reg, deployment_id)
            status = dep.status
        elif auto_approve:
            status = Deployment.ACTIVE
        result = Registered(reg.id, reg.issuer, reg.client_id, deployment_id, status)
    log.info("dynamic registration registration=%s deployment=%s status=%s", result.registration_id,
             deployment_id or "-", result.status)
    return result
