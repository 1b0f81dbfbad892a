"""The Open Badges 3.0 credential: required fields, and verification by an independent JOSE library."""
from __future__ import annotations

import base64
import json
import random
from datetime import datetime, timezone

import jwt  # PyJWT: deliberately not jwcrypto, which signs
import pytest

from vamos_core.certificates import CredentialError, SigningKey, build_credential, issue_credential, verify_credential

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Open Badges 3.0 (1EdTech, §B data model and §8.2 JSON Web Token Proof Format): required properties.
REQUIRED_CREDENTIAL = ["@context", "id", "type", "issuer", "validFrom", "name", "credentialSubject"]
REQUIRED_PROFILE = ["id", "type"]
REQUIRED_SUBJECT = ["type", "achievement"]  # plus id or identifier
REQUIRED_ACHIEVEMENT = ["id", "type", "name", "description", "criteria"]
REQUIRED_JWT_CLAIMS = ["iss", "jti", "nbf", "sub"]  # exp only with validUntil
ALLOWED_JOSE_HEADERS = {"alg", "kid", "jwk", "typ"}  # "Additional JOSE Headers are NOT allowed"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"


def pyjwt_verify(token: str, jwks: dict) -> dict:
    """Verify as a third party would: pick the key by kid from the published JWKS."""
    header = jwt.get_unverified_header(token)
    try:
        key = jwt.PyJWKSet.from_dict(jwks)[header.get("kid")]
    except KeyError as exc:  # a changed kid names no published key: that is a failed verification
        raise jwt.PyJWKSetError("no published key for this kid") from exc
    return jwt.decode(
        token, key.key, algorithms=["RS256"],
        options={"require": REQUIRED_JWT_CLAIMS, "verify_aud": False},
    )


@pytest.fixture(scope="module")
def token(make_data, signing_key):
    return issue_credential(make_data("Ayşe Yılmaz-Müller"), signing_key)


def test_credential_has_every_required_open_badges_field(make_data):
    data = make_data("Ольга Петрова")
    credential = build_credential(data)
    assert all(field in credential for field in REQUIRED_CREDENTIAL)
    assert credential["@context"][0] == VC_CONTEXT
    assert any(c.startswith(OB_CONTEXT_PREFIX) for c in credential["@context"])
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(credential["type"])
    assert all(field in credential["issuer"] for field in REQUIRED_PROFILE)
    assert "Profile" in credential["issuer"]["type"]
    assert credential["issuer"]["name"] == data.issuer.organisation_name
    subject = credential["credentialSubject"]
    assert all(field in subject for field in REQUIRED_SUBJECT)
    assert "AchievementSubject" in subject["type"]
    achievement = subject["achievement"]
    assert all(field in achievement for field in REQUIRED_ACHIEVEMENT)
    assert "Achievement" in achievement["type"]
    assert achievement["criteria"]["narrative"]
    for objective in data.module.objectives:
        assert objective in achievement["criteria"]["narrative"]
    assert datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00")) == data.completed_at


def test_learner_is_pseudonymous(make_data):
    data = make_data("Ольга Петрова")
    text = json.dumps(build_credential(data), ensure_ascii=False)
    assert credential_subject_id(data) == data.learner_pseudonym
    assert "Ольга" not in text and "@" not in text.replace("@context", "")
    with pytest.raises(ValueError):
        make_data(learner_pseudonym="mailto:olga@example.org")


def credential_subject_id(data):
    return build_credential(data)["credentialSubject"]["id"]


def test_independent_library_verifies_against_published_jwks(token, jwks, make_data):
    claims = pyjwt_verify(token, jwks)
    assert claims["iss"] == claims["issuer"]["id"] == "https://lernen.vamos.example/"
    assert claims["jti"] == claims["id"]
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["nbf"] == int(datetime.fromisoformat(claims["validFrom"].replace("Z", "+00:00")).timestamp())
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": "tool-key-2026-1", "typ": "JWT"}
    assert set(header) <= ALLOWED_JOSE_HEADERS
    assert "d" not in jwks["keys"][0]  # only the public part is published


def test_own_verifier_returns_the_credential(token, jwks):
    credential = verify_credential(token, jwks)
    assert credential["credentialSubject"]["achievement"]["name"] == "Finanzierung im Verein"
    assert "iss" not in credential


def flip(token: str, position: int, replacement: str) -> str:
    return token[:position] + replacement + token[position + 1 :]


def test_any_changed_byte_fails_independent_verification(token, jwks):
    # Every position, with the top bit of its 6-bit group flipped: always a data bit, even in the
    # last symbol of a segment (whose low bits are padding that RFC 4648 decoders may ignore).
    positions = [i for i, c in enumerate(token) if c != "."]
    for i in positions:
        changed = flip(token, i, B64URL[(B64URL.index(token[i]) + 32) % 64])
        with pytest.raises(jwt.PyJWTError):
            pyjwt_verify(changed, jwks)
    # And random other bytes (any value, also outside the alphabet) at random positions of each part.
    rng = random.Random(6)
    header_end, payload_end = token.index("."), token.rindex(".")
    sample = rng.sample(range(header_end), 20) + rng.sample(range(header_end + 1, payload_end), 150) \
        + rng.sample(range(payload_end + 1, len(token) - 1), 80)
    for i in sample:
        replacement = chr(rng.choice([b for b in range(33, 127) if chr(b) != token[i]]))
        with pytest.raises(jwt.PyJWTError):
            pyjwt_verify(flip(token, i, replacement), jwks)


def test_any_changed_byte_fails_our_verification(token, jwks):
    rng = random.Random(7)
    for i in range(len(token)):  # every position, including the padding bits of the last symbols
        replacement = rng.choice([c for c in B64URL + ". =" if c != token[i]])
        with pytest.raises(CredentialError):
            verify_credential(flip(token, i, replacement), jwks)


def test_wrong_key_unknown_kid_and_early_use_fail(token, jwks, make_data, signing_key):
    other = SigningKey(
        private_pem=_other_pem(), kid=signing_key.kid  # same kid, different key: forged
    )
    forged = issue_credential(make_data(), other)
    with pytest.raises(jwt.PyJWTError):
        pyjwt_verify(forged, jwks)
    with pytest.raises(CredentialError):
        verify_credential(forged, jwks)
    with pytest.raises(CredentialError, match="unknown kid"):
        verify_credential(issue_credential(make_data(), SigningKey(signing_key.private_pem, "old")), jwks)
    early = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(CredentialError, match="not yet valid"):
        verify_credential(token, jwks, now=early)


def test_claims_must_match_the_credential(token, jwks, signing_key):
    from vamos_core.certificates import sign_credential

    credential = verify_credential(token, jwks)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload["sub"] == credential["credentialSubject"]["id"]
    tampered = dict(credential, id="https://elsewhere.example/1")
    resigned = sign_credential(tampered, signing_key)  # consistent, signed by us: fine
    assert verify_credential(resigned, jwks)["id"] == "https://elsewhere.example/1"


def test_score_only_when_module_shows_it(make_data, module_info):
    shown = build_credential(make_data(score=80.0))["credentialSubject"]
    assert shown["result"][0]["value"] == "80 %"
    hidden_module = type(module_info)(**{**module_info.__dict__, "show_score": False})
    hidden = build_credential(make_data(score=80.0, module=hidden_module))["credentialSubject"]
    assert "result" not in hidden


def _other_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
