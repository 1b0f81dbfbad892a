"""Calls from the tool to a platform's LTI Advantage services (AGS, NRPS) with OAuth2 access tokens.

* Token: ``client_credentials`` with a JWT client assertion (1EdTech Security Framework 4.1) signed
  with the tool's current key (``kid`` in /jwks); ``aud`` is the registration's auth audience or
  its token URL.
* Tokens are cached per registration and scope set in the shared launch cache (Redis or SQL, so every
  process and the worker share them) until shortly before they expire. A 401 from a service drops
  the cached token and the request is tried once more with a new one.
* ``ServiceError`` says whether a failure is worth retrying (network, timeouts, 5xx, 401, 408, 429)
  or cannot succeed (other 4xx), with a short reason for the trainers' page (no personal data).
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

import jwt
import requests

from .keys import signing_key
from .models import Registration
from .outbox import SendError

log = logging.getLogger(__name__)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
TOOL_SCOPES = AGS_SCOPES + (SCOPE_NRPS,)

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
RETRY_STATUS = {401, 408, 425, 429}
TOKEN_PREFIX = "svc-token:"


@dataclass
class ServiceError(SendError):  # an outbox send error: ``retry`` decides pending or failed
    reason: str
    retry: bool
    status: int | None = None
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Platform:
    """What a service call needs of a registration (detached from the database session)."""

    registration_id: str
    issuer: str
    client_id: str
    token_url: str
    audience: str

    @classmethod
    def of(cls, reg: Registration) -> "Platform":
        return cls(reg.id, reg.issuer, reg.client_id, reg.auth_token_url, reg.auth_audience or reg.auth_token_url)


def _reason(response: requests.Response) -> str:
    text = (response.text or "").strip().replace("\n", " ")
    return f"HTTP {response.status_code}" + (f": {text[:300]}" if text else "")


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


class ServiceClient:
    def __init__(self, db, cache, timeout: float = 10.0, http: requests.Session | None = None):
        self.db = db
        self.cache = cache
        self.timeout = timeout
        self.http = http or requests.Session()

    # ------------------------------------------------------------ tokens

    def _token_key(self, platform: Platform, scopes: tuple[str, ...]) -> str:
        digest = hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()[:16]
        return f"{TOKEN_PREFIX}{platform.registration_id}:{digest}"

    def access_token(self, platform: Platform, scopes: tuple[str, ...]) -> str:
        key = self._token_key(platform, scopes)
        cached = self.cache.get(key)
        if cached:
            return cached["access_token"]
        with self.db.session() as s:
            tool_key = signing_key(s)
            pem, kid = tool_key.private_pem, tool_key.kid
        now = int(time.time())
        assertion = jwt.encode(
            {"iss": platform.client_id, "sub": platform.client_id, "aud": platform.audience,
             "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16)},
            pem, algorithm="RS256", headers={"kid": kid},
        )
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }
        try:
            response = self.http.post(platform.token_url, data=form, timeout=self.timeout,
                                      headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise ServiceError(f"token endpoint unreachable: {type(exc).__name__}", True) from exc
        if response.status_code != 200:
            retry = response.status_code >= 500 or response.status_code in RETRY_STATUS
            raise ServiceError("token endpoint: " + _reason(response), retry, response.status_code,
                               _retry_after(response))
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = int(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceError("token endpoint: answer without access_token", True) from exc
        # Keep it until a minute before it expires (never less than a few seconds).
        self.cache.set(key, {"access_token": token}, max(5, expires_in - 60))
        return token

    # ------------------------------------------------------------ requests

    def request(self, platform: Platform, scopes: tuple[str, ...], method: str, url: str, *,
                accept: str | None = None, json_body=None, content_type: str | None = None) -> requests.Response:
        """One service call with a (cached) token; 2xx returns the response, anything else raises."""
        for second_try in (False, True):
            token = self.access_token(platform, scopes)
            headers = {"Authorization": f"Bearer {token}"}
            if accept:
                headers["Accept"] = accept
            kwargs = {}
            if json_body is not None:
                import json

                headers["Content-Type"] = content_type or "application/json"
                kwargs["data"] = json.dumps(json_body)
            try:
                response = self.http.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                raise ServiceError(f"{method} {url}: {type(exc).__name__}", True) from exc
            if response.status_code == 401 and not second_try:
                self.cache.delete(self._token_key(platform, scopes))
                continue
            if 200 <= response.status_code < 300:
                return response
            status = response.status_code
            retry = status >= 500 or status in RETRY_STATUS
            raise ServiceError(f"{method} {url}: " + _reason(response), retry, status, _retry_after(response))
        raise AssertionError("unreachable")


def next_link(response: requests.Response) -> str | None:
    """The ``rel="next"`` URL of a paged answer (RFC 8288 Link header), if any."""
    link = response.links.get("next") if response.headers.get("Link") else None
    return link.get("url") if link else None
