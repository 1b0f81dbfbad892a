"""The two ways a launch survives an iframe without third-party cookies, at the HTTP level
(the browser test runs the JavaScript for real):

* LTI Platform Storage (``lti_storage_target``): the state goes to the platform's window;
* otherwise a cookie check with an "open in a new window" fallback.
"""
from __future__ import annotations

import html
import re

import requests

from lti_tool.models import LtiUser

from .conftest import error_code, parse_autopost


def _attr(page: str, name: str) -> str:
    m = re.search(rf'{name}="([^"]*)"', page)
    assert m, name
    return html.unescape(m.group(1))


def _storage_login(env) -> tuple[requests.Session, str, str, str]:
    s = requests.Session()
    page = s.get(env.platform.issuer + "/lti/initiate", params={"link": "link-testmodul", "user": "lernende"})
    assert page.status_code == 200 and 'data-mode="put"' in page.text
    assert _attr(page.text, "data-platform-origin") == env.platform.issuer
    assert _attr(page.text, "data-target") == "_parent"
    state = _attr(page.text, "data-state")
    form = s.get(_attr(page.text, "data-auth-url"))
    action, id_token, form_state = parse_autopost(form.text)
    assert form_state == state
    return s, action, id_token, state


def test_platform_storage_launch_without_cookies(lti_env):
    _, action, id_token, state = _storage_login(lti_env)
    cookieless = requests.Session()  # the browser blocked every cookie of the tool
    relay = cookieless.post(action, data={"id_token": id_token, "state": state})
    assert relay.status_code == 200 and 'data-mode="get"' in relay.text
    assert lti_env.count(LtiUser) == 0  # the relay page validated and stored nothing yet

    # What the relay page's script posts after lti.get_data answered with the state.
    final = cookieless.post(
        action,
        data={"id_token": id_token, "state": state, "lti_storage_state": state},
        headers={"Origin": lti_env.tool_url, "Sec-Fetch-Site": "same-origin"},
    )
    assert final.status_code == 200 and "Testmodul Vereinsarbeit" in final.text
    assert "ls=" in final.url


def test_platform_storage_value_posted_cross_site_is_refused(lti_env):
    """An attacker's page cannot claim the storage check: the relay post must be same-origin."""
    _, action, id_token, state = _storage_login(lti_env)
    forged = requests.post(
        action,
        data={"id_token": id_token, "state": state, "lti_storage_state": state},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert forged.status_code == 401 and error_code(forged) == "state_mismatch"
    assert lti_env.count(LtiUser) == 0


def test_cookie_check_page_in_iframe_offers_new_window(lti_env):
    params = {
        "iss": lti_env.platform.issuer, "login_hint": "lernende", "client_id": lti_env.platform.client_id,
        "target_link_uri": lti_env.tool_url + "/lti/launch", "lti_message_hint": '{"link": "link-testmodul"}',
    }
    in_frame = requests.get(lti_env.tool_url + "/lti/login", params=params,
                            headers={"Sec-Fetch-Dest": "iframe"}, allow_redirects=False)
    assert in_frame.status_code == 200
    assert "Modul in neuem Fenster öffnen" in in_frame.text
    new_window = _attr(in_frame.text, 'class="button" href')
    assert "vamos_new_window=1" in new_window
    state_cookies = [c for c in in_frame.cookies if c.name.startswith("vamos_lti_state_")]
    assert len(state_cookies) == 1
    # Cookies over plain HTTP are SameSite=Lax (SameSite=None requires Secure/HTTPS).
    assert "SameSite=Lax" in in_frame.headers["Set-Cookie"]

    top_level = requests.get(new_window, allow_redirects=False, headers={"Sec-Fetch-Dest": "document"})
    assert top_level.status_code == 302
    assert top_level.headers["Location"].startswith(lti_env.platform.auth_url)


def test_behind_tls_proxy_cookies_are_samesite_none_secure(tmp_path, backend):
    from .conftest import make_config, start_env

    env = start_env(make_config(tmp_path, backend, proxy_fix=1))
    try:
        params = {"iss": env.platform.issuer, "login_hint": "lernende", "client_id": env.platform.client_id,
                  "target_link_uri": "https://tool.example.org/lti/launch"}
        r = requests.get(env.tool_url + "/lti/login", params=params, allow_redirects=False,
                         headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "tool.example.org"})
        assert r.status_code == 302
        cookie = r.headers["Set-Cookie"]
        assert "Secure" in cookie and "SameSite=None" in cookie
        # ProxyFix: the redirect_uri we send the platform is the public HTTPS URL.
        assert "redirect_uri=https%3A%2F%2Ftool.example.org%2Flti%2Flaunch" in r.headers["Location"]
    finally:
        env.platform_server.stop()
        env.tool_server.stop()
        env.db.dispose()
