"""The certification suite's twelve "known bad payloads", plus further hardening checks.

Each payload starts from the platform's real launch (lti1p3platform's signed id_token for a real
login), is mutated, and — except "not a JWT", "no kid" and "wrong kid" headers — signed again
with the platform's real key. Every one must be refused with a 4xx German error page, and
nothing may be stored.
"""
from __future__ import annotations

import time

import jwt
import pytest

from lti_tool.launch_validation import (
    DEPLOYMENT_ID,
    MESSAGE_TYPE,
    RESOURCE_LINK,
    ROLES,
    VERSION,
)
from lti_tool.models import LtiContext, LtiUser, ResourceLink

from .conftest import error_code, unverified_claims


def _without(*names):
    def mutate(claims):
        for name in names:
            claims.pop(name, None)
    return mutate


def _set(name, value):
    def mutate(claims):
        claims[name] = value
    return mutate


def _no_resource_link_id(claims):
    claims[RESOURCE_LINK] = {k: v for k, v in claims[RESOURCE_LINK].items() if k != "id"}


def _bad_timestamps(claims):
    now = int(time.time())
    claims["iat"], claims["exp"] = now - 7200, now - 3600


# name: (mutation of the claims, header override or None, expected status, expected error code)
KNOWN_BAD = {
    "no_kid": (None, {}, 401, "bad_header"),
    "wrong_kid": (None, {"kid": "not-the-platforms-kid"}, 401, "unknown_key"),
    "wrong_lti_version": (_set(VERSION, "1.2.0"), None, 400, "unsupported_message"),
    "no_lti_version": (_without(VERSION), None, 400, "missing_claim"),
    "invalid_lti_message_not_a_jwt": ("not-a-jwt", None, 400, "not_a_jwt"),
    "missing_lti_claims": (_without(MESSAGE_TYPE, VERSION, DEPLOYMENT_ID, ROLES, RESOURCE_LINK), None, 400, "missing_claim"),
    "timestamps_incorrect": (_bad_timestamps, None, 401, "expired"),
    "message_type_claim_missing": (_without(MESSAGE_TYPE), None, 400, "missing_claim"),
    "role_claim_missing": (_without(ROLES), None, 400, "missing_claim"),
    "deployment_id_claim_missing": (_without(DEPLOYMENT_ID), None, 400, "missing_claim"),
    "resource_link_id_missing": (_no_resource_link_id, None, 400, "missing_claim"),
    "user_claim_missing": (_without("sub"), None, 400, "missing_claim"),
}


def forge(env, login, mutate, headers):
    if mutate == "not-a-jwt":
        return "this.is-not-a-jwt"
    claims = unverified_claims(login.id_token)
    if mutate:
        mutate(claims)
    return env.platform.sign(claims, headers=headers)


def assert_refused_and_nothing_stored(env, response, status, code):
    assert response.status_code == status, response.text[:300]
    assert error_code(response) == code
    assert '<html lang="de" dir="ltr">' in response.text
    assert "Was können Sie tun?" in response.text
    for model in (LtiUser, LtiContext, ResourceLink):
        assert env.count(model) == 0


@pytest.mark.parametrize("name", list(KNOWN_BAD))
def test_known_bad_payload_is_refused(lti_env, name):
    mutate, headers, status, code = KNOWN_BAD[name]
    login = lti_env.start_login()
    response = lti_env.launch(login, id_token=forge(lti_env, login, mutate, headers))
    assert_refused_and_nothing_stored(lti_env, response, status, code)
    # The refusal consumed nothing: the genuine token of the same login still launches.
    assert lti_env.launch(login).status_code == 200


def test_the_unmodified_resigned_payload_is_accepted(lti_env):
    """Control for the test above: re-signing itself does not cause the refusals."""
    login = lti_env.start_login()
    response = lti_env.launch(login, id_token=forge(lti_env, login, None, None))
    assert response.status_code == 200


HARDENING = {
    "untrusted_extra_audience": (lambda c: c.update(aud=[c["aud"], "someone-else"], azp=c["aud"]), 401, "bad_audience"),
    "azp_not_our_client": (lambda c: c.update(azp="someone-else"), 401, "bad_audience"),
    "audience_not_us": (lambda c: c.update(aud="someone-else", azp="someone-else"), 403, "unknown_registration"),
    "issued_in_the_future": (lambda c: c.update(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200), 401, "expired"),
    "too_old_but_not_expired": (lambda c: c.update(iat=int(time.time()) - 3600, exp=int(time.time()) + 3600), 401, "expired"),
    "other_nonce": (lambda c: c.update(nonce="not-the-login-nonce"), 401, "unknown_state"),
    "unsupported_message_type": (lambda c: c.update({MESSAGE_TYPE: "LtiSubmissionReviewRequest"}), 400, "unsupported_message"),
    "roles_not_a_list": (lambda c: c.update({ROLES: "Learner"}), 400, "missing_claim"),
}


@pytest.mark.parametrize("name", list(HARDENING))
def test_hardening_beyond_pylti1p3_defaults(lti_env, name):
    mutate, status, code = HARDENING[name]
    login = lti_env.start_login()
    response = lti_env.launch(login, id_token=forge(lti_env, login, mutate, None))
    assert_refused_and_nothing_stored(lti_env, response, status, code)


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_only_rs256_is_accepted(lti_env, alg):
    login = lti_env.start_login()
    claims = unverified_claims(login.id_token)
    kid = lti_env.platform.kid()
    if alg == "HS256":
        # Key confusion: a symmetric signature must never be accepted, whatever the secret.
        token = jwt.encode(claims, key="x" * 32, algorithm="HS256", headers={"kid": kid})
    else:
        token = jwt.encode(claims, key=None, algorithm="none", headers={"kid": kid})
    response = lti_env.launch(login, id_token=token)
    assert_refused_and_nothing_stored(lti_env, response, 401, "bad_header")


def test_bad_signature_is_refused(lti_env):
    login = lti_env.start_login()
    header, body, signature = login.id_token.split(".")
    tampered = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
    response = lti_env.launch(login, id_token=f"{header}.{tampered}.{signature}")
    assert response.status_code in (400, 401)
    assert error_code(response) in ("bad_signature", "not_a_jwt")
    assert lti_env.count(LtiUser) == 0


def test_login_for_an_unknown_platform_is_refused(lti_env):
    import requests

    response = requests.get(
        f"{lti_env.tool_url}/lti/login",
        params={"iss": "https://evil.example", "login_hint": "x", "target_link_uri": lti_env.tool_url + "/lti/launch"},
        allow_redirects=False,
    )
    assert response.status_code == 403
    assert error_code(response) == "unknown_registration"
    missing = requests.get(f"{lti_env.tool_url}/lti/login", params={"iss": lti_env.platform.issuer})
    assert missing.status_code == 400 and error_code(missing) == "bad_login"
