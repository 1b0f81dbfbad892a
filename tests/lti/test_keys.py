"""Key handling: platform key rotation, rate-limited JWKS refetch, tool key rotation."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from lti_tool import keys
from lti_tool.errors import LaunchError
from lti_tool.models import ToolKey, utcnow

from .conftest import error_code, make_config, run_cli, start_env, unverified_claims


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


# ------------------------------------------------------------------ issue 16: refetch per (registration, kid)


@pytest.fixture
def unspaced_env(tmp_path, backend):
    """The tool without the per-registration spacing of refetches (tested on its own below), so a launch right
    after a junk request is not refused by it."""
    env = start_env(make_config(tmp_path, backend, jwks_refetch_spacing=0))
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


def test_a_junk_kid_does_not_spend_the_refetch_of_the_platforms_real_new_key(unspaced_env):
    env = unspaced_env
    assert env.launch(env.start_login()).status_code == 200
    assert env.platform_hits["/lti/jwks"] == 1
    login = env.start_login()
    junk = env.platform.sign(unverified_claims(login.id_token), headers={"kid": "junk-kid"})
    r = env.launch(login, id_token=junk)
    assert r.status_code == 401 and error_code(r) == "unknown_key"
    assert env.platform_hits["/lti/jwks"] == 2  # the junk kid spent its own refetch
    env.platform.rotate_key()  # … and then the platform rotates
    response = env.launch(env.start_login())
    assert response.status_code == 200, response.text[:300]  # the real new kid has its own allowance
    assert env.platform_hits["/lti/jwks"] == 3
    for _ in range(3):  # the same junk kid again: no further refetch
        login = env.start_login()
        r = env.launch(login, id_token=env.platform.sign(unverified_claims(login.id_token), headers={"kid": "junk-kid"}))
        assert error_code(r) == "unknown_key"
    assert env.platform_hits["/lti/jwks"] == 3


def test_a_new_key_under_the_same_kid_is_refetched_once_after_the_signature_failure(unspaced_env):
    env = unspaced_env
    assert env.launch(env.start_login()).status_code == 200
    old_kid = env.platform.kid()
    assert env.platform.rotate_key(keep_kid=True) == old_kid  # new key, same kid
    response = env.launch(env.start_login())
    assert response.status_code == 200, response.text[:300]
    assert env.platform_hits["/lti/jwks"] == 2  # one refetch after the signature failure
    assert env.launch(env.start_login()).status_code == 200
    assert env.platform_hits["/lti/jwks"] == 2
    # A forged signature under the real kid: one refetch at most (rate-limited), then refused.
    for _ in range(3):
        login = env.start_login()
        head, body, sig = login.id_token.split(".")
        forged = f"{head}.{body}.{sig[:-8]}{'A' * 8 if not sig.endswith('A' * 8) else 'B' * 8}"
        r = env.launch(login, id_token=forged)
        assert r.status_code == 401 and error_code(r) == "bad_signature"
    assert env.platform_hits["/lti/jwks"] <= 3


def test_refetches_are_spaced_per_registration_and_an_allowance_is_only_spent_when_used(tmp_path):
    from lti_tool.cache import SqlCache
    from lti_tool.db import Database
    from lti_tool.platform_keys import PlatformKeys

    db = Database(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    db.migrate()
    cache = SqlCache(db)
    fetched = []
    published = {"keys": []}

    def fetch(url):
        fetched.append(url)
        return published

    pk = PlatformKeys(cache, refetch_interval=60, cache_ttl=3600, fetch=fetch, refetch_spacing=60)
    with pytest.raises(LaunchError):
        pk.public_key_pem("reg", "https://lms/jwks", "a")  # cold fetch (not counted) + refetch for kid a
    assert len(fetched) == 2
    with pytest.raises(LaunchError):
        pk.public_key_pem("reg", "https://lms/jwks", "b")  # spacing: no fetch for b now …
    assert len(fetched) == 2
    cache.delete("jwks-refetch:reg")  # … the spacing has passed
    with pytest.raises(LaunchError):
        pk.public_key_pem("reg", "https://lms/jwks", "b")  # … b's allowance was not spent: it refetches now
    assert len(fetched) == 3
    db.dispose()
