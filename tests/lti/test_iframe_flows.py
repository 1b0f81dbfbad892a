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

from .conftest import browser_session, error_code, parse_autopost


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
    # 127.0.0.1 is a potentially trustworthy origin: browsers keep Secure cookies from it over plain HTTP, so the
    # state cookie is partitioned (CHIPS) and survives an iframe with third-party cookies blocked.
    state_header = next(h for h in in_frame.raw.headers.getlist("Set-Cookie") if h.startswith("vamos_lti_state_"))
    assert "SameSite=None" in state_header and "Secure" in state_header and "Partitioned" in state_header

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
        assert "Partitioned" in cookie  # CHIPS: kept in an LMS iframe with third-party cookies blocked
        # ProxyFix: the redirect_uri we send the platform is the public HTTPS URL.
        assert "redirect_uri=https%3A%2F%2Ftool.example.org%2Flti%2Flaunch" in r.headers["Location"]
    finally:
        env.platform_server.stop()
        env.tool_server.stop()
        env.db.dispose()


def test_plain_http_on_a_lan_address_uses_lax_cookies_and_a_same_origin_relay(lti_env):
    """A tool reached over plain HTTP on a non-loopback name cannot set Secure cookies: the state cookie is
    SameSite=Lax, which the browser leaves out of the platform's cross-site post in a new window. Our own page
    then posts the token once more, same-origin, and the Lax cookie comes along."""
    lan = f"vamos.lan:{lti_env.tool_server.port}"
    host = {"Host": lan}
    lti_env.platform.tool_url = f"http://{lan}"  # registered as such; we connect to 127.0.0.1 with that Host

    def direct(url: str) -> str:
        return url.replace(lan, f"127.0.0.1:{lti_env.tool_server.port}")

    s = browser_session()
    page = s.get(lti_env.platform.issuer + "/lti/initiate",
                 params={"link": "link-testmodul", "user": "lernende", "window": "1"}, allow_redirects=False)
    login = s.get(direct(page.headers["Location"]), headers=host, allow_redirects=False)
    state_header = next(h for h in login.raw.headers.getlist("Set-Cookie") if h.startswith("vamos_lti_state_"))
    assert "SameSite=Lax" in state_header and "Secure" not in state_header
    action, id_token, state = parse_autopost(s.get(login.headers["Location"]).text)
    action = direct(action)
    # The cross-site post: the browser does not send the Lax cookie.
    cross = requests.post(action, data={"id_token": id_token, "state": state}, headers={
        **host, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document", "Origin": lti_env.platform.issuer})
    assert cross.status_code == 200 and 'name="vamos_relay"' in cross.text
    assert lti_env.count(LtiUser) == 0  # nothing validated or stored yet
    relay = {"id_token": id_token, "state": state, "vamos_relay": "1"}
    # Posted from another site, the relay is refused.
    forged = requests.post(action, data=relay, headers={**host, "Sec-Fetch-Site": "cross-site"},
                           cookies={f"vamos_lti_state_{state}": state})
    assert forged.status_code == 401 and error_code(forged) == "state_mismatch"
    # Same-origin without the cookie (another browser): refused, and the page speaks of a window, not a frame.
    stranger = requests.post(action, data=relay, headers={**host, "Sec-Fetch-Site": "same-origin",
                                                          "Sec-Fetch-Dest": "document"})
    assert stranger.status_code == 401 and error_code(stranger) == "state_mismatch"
    assert "im Rahmen" not in stranger.text and "Cookies" in stranger.text
    # The relay page's own post, with the browser's Lax cookie: the launch succeeds.
    final = s.post(action, data=relay, headers={**host, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "document"})
    assert final.status_code == 200 and "Testmodul Vereinsarbeit" in final.text
