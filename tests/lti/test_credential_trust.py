"""Credentials any verifier can check for years (issue 16), over real HTTP against the running tool:

* an old credential still verifies after the LTI keys were rotated twice with zero overlap (and the credential key
  once): a third JOSE library (joserfc — neither jwcrypto, which signs, nor PyJWT) dereferences the credential's
  ``kid`` URL and checks the signature with the key it finds there;
* the credential validates against 1EdTech's Open Badges 3.0 JSON schema (vendored in
  tests/certificates/vendor, source named inside);
* issuer profile, achievement definition and its image answer at their ids;
* revocation shows in the published W3C Bitstring Status List (itself a VC-JWT checked via its own ``kid``).
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import requests
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey
from joserfc.jws import extract_compact

from lti_tool import certificates as certs
from lti_tool.models import Certificate
from vamos_core.certificates import status_list

from .conftest import run_cli
from .test_certificates_lti import MODULE, code_on, complete_over_http, http_env, launch_as  # noqa: F401

SCHEMA = json.loads((Path(__file__).parents[1] / "certificates" / "vendor"
                     / "ob_v3p0_achievementcredential_schema.json").read_text(encoding="utf-8"))


def verify_by_kid(token: str) -> tuple[dict, dict]:
    """What an outside verifier does: read the kid from the JOSE header, fetch it, verify with that key."""
    header = extract_compact(token.encode("ascii")).protected
    assert set(header) <= {"alg", "kid", "typ"} and header["alg"] == "RS256"
    response = requests.get(header["kid"], timeout=10)
    assert response.status_code == 200, header["kid"]
    jwk = response.json()
    assert "d" not in jwk and jwk["kid"] == header["kid"]
    decoded = jose_jwt.decode(token, RSAKey.import_key(jwk), algorithms=["RS256"])
    return header, decoded.claims


def lti_kids(env) -> set[str]:
    return {k["kid"] for k in requests.get(env.tool_url + "/jwks", timeout=10).json()["keys"]}


def status_bit(credential: dict) -> bool:
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    response = requests.get(entry["statusListCredential"], timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/vc+jwt")
    _header, status_vc = verify_by_kid(response.text)
    assert "BitstringStatusListCredential" in status_vc["type"]
    assert status_vc["credentialSubject"]["statusPurpose"] == "revocation"
    bits = status_list.decode_list(status_vc["credentialSubject"]["encodedList"])
    assert len(bits) * 8 >= status_list.LIST_SIZE  # herd privacy: at least 131,072 positions
    return status_list.is_set(bits, int(entry["statusListIndex"]))


def test_old_credential_verifies_after_two_zero_overlap_lti_rotations_and_shows_revocation(http_env):
    env = http_env
    browser, sid = launch_as(env, "lernende")
    complete_over_http(env, browser, sid)
    code = code_on(browser.get(f"{env.tool_url}/module/{MODULE}", params={"ls": sid}).text)
    download = browser.get(f"{env.tool_url}/module/{MODULE}/certificate.jwt", params={"ls": sid})
    assert download.status_code == 200
    token = download.text

    lti_before = lti_kids(env)
    assert run_cli(env, "lti", "rotate-keys", "--overlap-hours", "0") == 0
    assert run_cli(env, "lti", "rotate-keys", "--overlap-hours", "0") == 0
    assert run_cli(env, "lti", "rotate-credential-key") == 0
    lti_after = lti_kids(env)
    assert len(lti_after) == 1 and not lti_after & lti_before  # every LTI key of issuance time is withdrawn

    header, credential = verify_by_kid(token)
    assert header["kid"].startswith(env.tool_url + "/credentials/keys/")
    assert header["kid"] not in lti_before | lti_after  # a credential key, not an LTI key
    jsonschema.Draft201909Validator.check_schema(SCHEMA)
    jsonschema.Draft201909Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(credential)
    # The credential key set lists the old key too (and the new one that signs now).
    published = {k["kid"] for k in requests.get(env.tool_url + "/credentials/jwks", timeout=10).json()["keys"]}
    assert header["kid"] in published and len(published) == 2

    # Issuer profile, achievement definition (JSON and HTML) and its image dereference at their ids.
    issuer = requests.get(credential["issuer"]["id"], headers={"Accept": "application/json"}, timeout=10).json()
    assert issuer["id"] == credential["issuer"]["id"] and "Profile" in issuer["type"]
    achievement = credential["credentialSubject"]["achievement"]
    published_achievement = requests.get(achievement["id"], headers={"Accept": "application/ld+json"}, timeout=10)
    assert published_achievement.status_code == 200
    assert {k: v for k, v in published_achievement.json().items() if k != "@context"} == achievement
    page = requests.get(achievement["id"], timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"] and achievement["name"] in page.text
    image = requests.get(achievement["image"]["id"], timeout=10)
    assert image.status_code == 200 and image.headers["Content-Type"].startswith("image/svg+xml")
    assert requests.get(env.tool_url + f"/achievements/{MODULE}/0.0-unbekannt", timeout=10).status_code == 404

    # Revocation a verifier can see: bit unset while valid, set after the coordinator revoked it.
    assert status_bit(credential) is False
    cert = certs.by_code(env.db, code)
    certs.revoke(env.db, cert.id, "Täuschung festgestellt")
    assert status_bit(credential) is True
    assert requests.get(f"{env.tool_url}/verify/{code}.json", timeout=10).json()["status"] == "revoked"


def test_status_positions_are_random_and_unique(http_env):
    env = http_env
    browser, sid = launch_as(env, "lernende")
    complete_over_http(env, browser, sid)
    with env.db.session() as s:
        rows = s.query(Certificate).all()
    assert len(rows) == 1 and rows[0].status_index is not None
    assert 0 <= rows[0].status_index < status_list.LIST_SIZE
    encoded = status_list.encode_list([0, 7, 8, 131_071])
    bits = status_list.decode_list(encoded)
    assert [i for i in (0, 1, 7, 8, 9, 131_071) if status_list.is_set(bits, i)] == [0, 7, 8, 131_071]
    with pytest.raises(ValueError):
        status_list.status_entry("https://x.example/s", status_list.LIST_SIZE)


def test_credentials_signed_with_lti_keys_before_the_migration_keep_verifying(tmp_path):
    """Migration 0008 moves the public LTI keys into the credential key set: a credential signed before it (kid = the
    bare thumbprint of an LTI key) still verifies after the LTI keys rotated away."""
    import jwt as pyjwt
    from sqlalchemy import create_engine, text

    from lti_tool import keys
    from lti_tool.app import create_app
    from lti_tool.db import upgrade
    from vamos_core.certificates import SigningKey, sign_credential

    from .conftest import make_config

    url = f"sqlite:///{tmp_path / 'legacy.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine, "0005")
    old = keys.generate_key()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO lti_tool_key (kid, private_pem, public_jwk, created_at) "
                          "VALUES (:kid, :pem, :jwk, CURRENT_TIMESTAMP)"),
                     {"kid": old.kid, "pem": old.private_pem, "jwk": old.public_jwk})
    engine.dispose()
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "https://x.example/verify/1",
                  "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": {"id": "https://x.example/"},
                  "validFrom": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "urn:uuid:1", "achievement": {}}}
    token = sign_credential(credential, SigningKey(old.private_pem, old.kid))  # as issued before 0008

    app = create_app(make_config(tmp_path, {"database_url": url, "redis_url": "", "auto_migrate": True}))
    try:
        with app.extensions["vamos"].db.session() as s:
            keys.rotate(s, timedelta(0))
            keys.rotate(s, timedelta(0))
        client = app.test_client()
        assert old.kid not in {k["kid"] for k in client.get("/jwks").get_json()["keys"]}
        published = client.get("/credentials/jwks").get_json()
        key = pyjwt.PyJWKSet.from_dict(published)[old.kid]
        assert pyjwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False})["jti"]
        assert client.get(f"/credentials/keys/{old.kid}").status_code == 200
        # their issuer id was the tool's root: it answers with the profile for machines
        legacy = client.get("/", headers={"Accept": "application/json"}).get_json()
        assert legacy["id"] == "http://localhost/" and "Profile" in legacy["type"]
        # the legacy key never signs: new credentials use a key of their own
        with app.extensions["vamos"].db.session() as s:
            from lti_tool import credential_keys

            assert credential_keys.current(s).kid != old.kid
    finally:
        app.extensions["vamos"].db.dispose()
