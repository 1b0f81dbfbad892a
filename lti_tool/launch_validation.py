"""Validation of an LTI 1.3 launch (id_token + state), per the 1EdTech Security Framework.

Hardened beyond pylti1p3's defaults:

* RS256 only, ``kid`` required; an unknown kid causes one rate-limited JWKS refetch;
* ``aud`` must contain our client_id and nothing else we do not trust; ``azp`` must be ours;
* ``exp``/``iat`` checked with a small leeway, and the token must be recent;
* state and nonce are single-use across processes (atomic pop/add in the shared cache),
  and they are consumed only after everything else checked out, so a refused launch stores nothing;
* the claims the certification suite requires are present.

The checks run cheapest and least trusting first; nothing about the token is believed before
its signature is verified except the fields needed to find the key (iss, aud, kid).

Registrations and *active* deployments found in the database are remembered per process for
``MEMO_SECONDS`` (they change only through the CLI): a launch then needs no query to find them. A
registration edited with ``vamos lti add-platform`` reaches running processes within that time; unknown
and pending ones are never remembered, so an approval takes effect at once.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from . import registrations
from .cache import LaunchCache
from .db import Database
from .errors import LaunchError
from .memo import TtlMemo
from .models import Deployment
from .platform_keys import PlatformKeys
from .roles import map_roles

log = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
ROLES = CLAIM + "roles"
RESOURCE_LINK = CLAIM + "resource_link"
TARGET_LINK_URI = CLAIM + "target_link_uri"
CONTEXT = CLAIM + "context"
CUSTOM = CLAIM + "custom"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGES = {RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST}

LOGIN_PREFIX = "login:"
NONCE_PREFIX = "nonce:"
MEMO_SECONDS = 30.0


@dataclass(frozen=True)
class RegistrationRef:
    """What a login and a launch need of a registration (remembered per process, see the module doc)."""

    id: str
    issuer: str
    client_id: str
    auth_login_url: str
    key_set_url: str

    @classmethod
    def of(cls, reg) -> "RegistrationRef":
        return cls(reg.id, reg.issuer, reg.client_id, reg.auth_login_url, reg.key_set_url)


@dataclass
class ValidatedLaunch:
    registration_id: str
    deployment_pk: int
    claims: dict[str, Any]
    role: str
    login: dict[str, Any] = field(default_factory=dict)

    @property
    def message_type(self) -> str:
        return self.claims[MESSAGE_TYPE]


def _b64json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def split_unverified(id_token: str) -> tuple[dict, dict]:
    """Header and body of a compact JWS, without trusting them. LaunchError(not_a_jwt) if malformed."""
    parts = id_token.split(".") if isinstance(id_token, str) else []
    if len(parts) != 3 or not all(parts[:2]):
        raise LaunchError("not_a_jwt", 400, "not three parts")
    try:
        header, body = _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, UnicodeError) as exc:
        raise LaunchError("not_a_jwt", 400, "undecodable") from exc
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise LaunchError("not_a_jwt", 400, "not JSON objects")
    return header, body


def _require_str(claims: dict, name: str, label: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise LaunchError("missing_claim", 400, f"{label} missing or invalid")
    return value


def check_message_claims(claims: dict) -> None:
    """The claims LTI 1.3 core and the certification suite require of a launch."""
    version = claims.get(VERSION)
    if version is None:
        raise LaunchError("missing_claim", 400, "version missing")
    if version != "1.3.0":
        raise LaunchError("unsupported_message", 400, "wrong version")
    message_type = claims.get(MESSAGE_TYPE)
    if not message_type:
        raise LaunchError("missing_claim", 400, "message_type missing")
    if message_type not in SUPPORTED_MESSAGES:
        raise LaunchError("unsupported_message", 400, "message_type not supported")
    _require_str(claims, DEPLOYMENT_ID, "deployment_id")
    _require_str(claims, "sub", "sub")
    roles = claims.get(ROLES)
    # The claim must be there; an empty list (anonymous or unknown role) is allowed.
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise LaunchError("missing_claim", 400, "roles missing or invalid")
    if not isinstance(claims.get(TARGET_LINK_URI), str):
        raise LaunchError("missing_claim", 400, "target_link_uri missing")
    if message_type == RESOURCE_LINK_REQUEST:
        link = claims.get(RESOURCE_LINK)
        if not isinstance(link, dict):
            raise LaunchError("missing_claim", 400, "resource_link missing")
        _require_str(link, "id", "resource_link.id")
    else:
        settings = claims.get(DEEP_LINKING_SETTINGS)
        if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
            raise LaunchError("missing_claim", 400, "deep_linking_settings missing")


@functools.lru_cache(maxsize=64)
def _public_key(pem: bytes):
    """The platform's key as an object, loaded once per PEM (PyJWT would parse the PEM on every launch)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    return load_pem_public_key(pem)


class LaunchValidator:
    def __init__(
        self,
        db: Database,
        cache: LaunchCache,
        keys: PlatformKeys,
        leeway: int = 60,
        max_token_age: int = 600,
        clock=time.time,
    ):
        self.db = db
        self.cache = cache
        self.keys = keys
        self.leeway = leeway
        self.max_token_age = max_token_age
        self.clock = clock
        self._memo = TtlMemo(MEMO_SECONDS)  # (kind, ...) -> registration or deployment; see module doc

    def registration(self, issuer: str, client_id: str | None = None) -> RegistrationRef | None:
        """The registration of (issuer, client_id); without client_id only if the issuer has exactly one."""
        return self._registration(("reg", issuer, client_id),
                                  lambda s: registrations.find_registration(s, issuer, client_id))

    def registration_by_id(self, registration_id: str) -> RegistrationRef | None:
        return self._registration(("reg-id", registration_id),
                                  lambda s: registrations.get_registration(s, registration_id))

    def _registration(self, key: tuple, lookup) -> RegistrationRef | None:
        found = self._memo.get(key)
        if found is None:
            with self.db.session() as s:
                reg = lookup(s)
                if reg is None:
                    return None  # unknown ones are never remembered: a new registration works at once
                found = RegistrationRef.of(reg)
            self._memo.put(key, found)
        return found

    def validate(self, id_token: str, state: str, browser_state: str | None) -> ValidatedLaunch:
        header, unverified = split_unverified(id_token)

        # The browser that started the login must be the one finishing it (cookie or
        # LTI platform storage carries the state): defeats login CSRF with a stolen token.
        if not browser_state or not hmac.compare_digest(str(browser_state), str(state)):
            raise LaunchError("state_mismatch", 401, "state not confirmed by the browser")

        if header.get("alg") != "RS256":
            raise LaunchError("bad_header", 401, "alg is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise LaunchError("bad_header", 401, "no kid")

        issuer = unverified.get("iss")
        aud = unverified.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not isinstance(issuer, str) or not audiences:
            raise LaunchError("unknown_registration", 403, "iss or aud missing")
        reg = next((found for candidate in audiences if isinstance(candidate, str)
                    if (found := self.registration(issuer, candidate)) is not None), None)
        if reg is None:
            raise LaunchError("unknown_registration", 403, "no registration for iss/aud")
        reg_id, client_id, key_set_url = reg.id, reg.client_id, reg.key_set_url

        pem = self.keys.public_key_pem(reg_id, key_set_url, kid)
        try:
            claims = self._verify(id_token, pem, issuer, client_id)
        except LaunchError as exc:
            if exc.detail != "InvalidSignatureError":
                raise
            # The platform may have replaced its key under the same kid: one rate-limited refetch, one more check.
            fresh = self.keys.refetch_after_failure(reg_id, key_set_url, kid, pem)
            if fresh is None:
                raise
            claims = self._verify(id_token, fresh, issuer, client_id)
        check_message_claims(claims)

        login = self._consume_login(state, reg_id, claims)
        deployment_pk = self._active_deployment(reg_id, claims[DEPLOYMENT_ID])
        return ValidatedLaunch(reg_id, deployment_pk, claims, map_roles(claims[ROLES]), login)

    def _verify(self, id_token: str, pem: bytes, issuer: str, client_id: str) -> dict:
        now = self.clock()
        try:
            claims = jwt.decode(
                id_token,
                _public_key(pem),
                algorithms=["RS256"],
                audience=client_id,
                issuer=issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError) as exc:
            raise LaunchError("expired", 401, type(exc).__name__) from exc
        except jwt.MissingRequiredClaimError as exc:
            code = "expired" if exc.claim in ("exp", "iat") else "missing_claim"
            raise LaunchError(code, 401 if code == "expired" else 400, f"{exc.claim} missing") from exc
        except jwt.InvalidAudienceError as exc:
            raise LaunchError("bad_audience", 401, "aud") from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError("bad_signature", 401, type(exc).__name__) from exc
        if not isinstance(claims["iat"], (int, float)) or not isinstance(claims["exp"], (int, float)):
            raise LaunchError("expired", 401, "iat/exp not numeric")
        if now - claims["iat"] > self.max_token_age + self.leeway:
            raise LaunchError("expired", 401, "token too old")
        aud = claims["aud"]
        audiences = [aud] if isinstance(aud, str) else list(aud)
        # Every audience must be us: a token also addressed to someone else is not ours to accept.
        if any(a != client_id for a in audiences):
            raise LaunchError("bad_audience", 401, "untrusted audience")
        if len(audiences) > 1 and "azp" not in claims:
            raise LaunchError("bad_audience", 401, "azp missing with several audiences")
        if "azp" in claims and claims["azp"] != client_id:
            raise LaunchError("bad_audience", 401, "azp is not our client_id")
        if not isinstance(claims["nonce"], str) or not claims["nonce"]:
            raise LaunchError("missing_claim", 400, "nonce")
        return claims

    def _consume_login(self, state: str, reg_id: str, claims: dict) -> dict:
        nonce_key = NONCE_PREFIX + hashlib.sha256(f"{reg_id}\n{claims['nonce']}".encode()).hexdigest()
        ttl = self.max_token_age + 2 * self.leeway
        consume = getattr(self.cache, "consume_login", None)
        if consume is not None:  # Redis: state taken and nonce marked in one round trip (cache.RedisCache)
            login, nonce_new = consume(LOGIN_PREFIX + state, reg_id, claims["nonce"], nonce_key, ttl)
        else:
            login, nonce_new = self.cache.pop(LOGIN_PREFIX + state), None
        if login is None:
            raise LaunchError("unknown_state", 401, "state unknown, used or expired")
        if login.get("registration_id") != reg_id or not hmac.compare_digest(
            str(login.get("nonce", "")), claims["nonce"]
        ):
            raise LaunchError("unknown_state", 401, "token not issued for this login")
        if nonce_new is None:
            nonce_new = self.cache.add(nonce_key, 1, ttl)
        if not nonce_new:
            raise LaunchError("replayed", 401, "nonce already used")
        return login

    def _active_deployment(self, reg_id: str, deployment_id: str) -> int:
        known = self._memo.get(("dep", reg_id, deployment_id))
        if known is not None:
            return known
        with self.db.session() as s:
            reg = registrations.get_registration(s, reg_id)
            dep = registrations.find_deployment(s, reg, deployment_id)
            if dep is None:
                dep = registrations.record_pending(s, reg, deployment_id)
                log.warning("deployment pending approval registration=%s deployment_pk=%s", reg_id, dep.id)
            active, dep_pk = dep.status == Deployment.ACTIVE, dep.id
        # Raised after the commit, so the pending deployment stays recorded for the administrator.
        if not active:
            raise LaunchError("pending_deployment", 403, "deployment not approved")
        self._memo.put(("dep", reg_id, deployment_id), dep_pk)
        return dep_pk
