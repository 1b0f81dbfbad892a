"""Key handling: platform key rotation, rate-limited JWKS refetch, tool key rotation."""
from __future__ import annotations

from datetime import timedelta

import requests

from lti_tool import keys
from lti_tool.models import ToolKey, utcnow

from .conftest import error_code, run_cli, unverified_claims


def test_platform_key_rotation_does_not_break_launches(lti_env):
    assert lti_env.launch(lti_env.start_login()).status_code == 200
    assert lti_env.platform_hits.get("/lti/jwks") == 1  # fetched once, then cached

    old_kid = lti_env.platform.kid()
    new_kid = lti_env.platform.rotate_key()
    assert new_kid != old_kid
    login = lti_env.start_login()
    assert unverified_claims(login.id_token)  # signed with the new key
    response = lti_env.launch(login)
    assert response.status_code == 200, response.text[:300]
    assert lti_env.platform_hits["/lti/jwks"] == 2  # one refetch for the unknown kid

    # Later launches use the refreshed cache.
    assert lti_env.launch(lti_env.start_login()).status_code == 200
    assert lti_env.platform_hits["/lti/jwks"] == 2


def test_unknown_kid_refetch_is_rate_limited(lti_env):
    assert lti_env.launch(lti_env.start_login()).status_code == 200
    for _ in range(3):  # a flood of made-up kids
        login = lti_env.start_login()
        forged = lti_env.platform.sign(unverified_claims(login.id_token), headers={"kid": "made-up"})
        response = lti_env.launch(login, id_token=forged)
        assert response.status_code == 401 and error_code(response) == "unknown_key"
    # At most one refetch inside the interval (the first fetch already started it).
    assert lti_env.platform_hits["/lti/jwks"] == 2


def test_tool_key_rotation_keeps_old_key_published_during_overlap(lti_env, capsys):
    jwks_url = lti_env.tool_url + "/jwks"
    before = {k["kid"] for k in requests.get(jwks_url).json()["keys"]}
    assert len(before) == 1
    key = requests.get(jwks_url).json()["keys"][0]
    assert key["alg"] == "RS256" and key["use"] == "sig" and "d" not in key  # public part only

    assert run_cli(lti_env, "lti", "rotate-keys", "--overlap-hours", "24") == 0
    assert "new signing key" in capsys.readouterr().out
    during = {k["kid"] for k in requests.get(jwks_url).json()["keys"]}
    assert len(during) == 2 and before < during

    with lti_env.db.session() as s:
        new = keys.signing_key(s)
        assert new.kid not in before
        # After the overlap the old key is gone from /jwks.
        for old in s.query(ToolKey).filter(ToolKey.kid.in_(before)):
            old.retire_at = utcnow() - timedelta(seconds=1)
    after = {k["kid"] for k in requests.get(jwks_url).json()["keys"]}
    assert after == {new.kid}


def test_cli_registers_and_lists_platforms(lti_env, capsys):
    assert run_cli(
        lti_env, "lti", "add-platform", "--issuer", "https://moodle.example.org", "--client-id", "abc123",
        "--deployment-id", "1", "--auth-login-url", "https://moodle.example.org/mod/lti/auth.php",
        "--auth-token-url", "https://moodle.example.org/mod/lti/token.php",
        "--key-set-url", "https://moodle.example.org/mod/lti/certs.php", "--base-url", "https://tool.example.org",
    ) == 0
    out = capsys.readouterr().out
    assert "https://tool.example.org/lti/login" in out
    assert "https://tool.example.org/lti/launch" in out
    assert "https://tool.example.org/jwks" in out
    assert "deployment 1: active" in out
    assert run_cli(lti_env, "lti", "list-platforms") == 0
    listing = capsys.readouterr().out
    assert "https://moodle.example.org" in listing and lti_env.platform.issuer in listing
    assert run_cli(lti_env, "lti", "list-deployments", "--status", "pending") == 0
    assert "no deployments" in capsys.readouterr().out
