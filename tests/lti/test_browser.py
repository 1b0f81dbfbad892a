"""A real browser (Debian Chromium via Playwright) launches from the demo platform in an iframe.

The platform is served as ``localhost`` and the tool as ``127.0.0.1``: different sites, so the
tool runs as a third-party iframe. Its Lax cookies are not sent on the platform's cross-site
form post, so the launch can only succeed through LTI Platform Storage (postMessage), and the
pages after it only through the session id carried in the URL.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import browser  # noqa: F401 - shared fixture

from .conftest import make_config, start_env

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def demo_env(tmp_path):
    env = start_env(make_config(tmp_path, {"database_url": "", "redis_url": ""}), platform_host="localhost")
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


@pytest.mark.parametrize("user, label", [("lernende", "Lernende"), ("trainer", "Trainerin oder Trainer")])
def test_launch_in_iframe_from_demo_platform(browser, demo_env, user, label):  # noqa: F811
    page = browser.new_page()
    try:
        page.goto(demo_env.platform.issuer + "/")
        page.locator(f'a.launch[data-user="{user}"][data-link="link-testmodul"]').click()
        frame = page.frame_locator("#tool-frame")
        heading = frame.locator("h1")
        heading.wait_for()
        page.wait_for_function(
            "() => document.querySelector('#tool-frame').contentDocument === null"
        )  # cross-origin frame: the platform page cannot read the tool's document
        frame.locator("text=Testmodul Vereinsarbeit").first.wait_for()
        assert heading.inner_text() == "Testmodul Vereinsarbeit"
        assert f"Angemeldet als: {label}" in frame.locator(".role").inner_text()
        # Relay page, then the storage-confirmed post: the Platform Storage path was taken.
        assert demo_env.tool_hits.get("/lti/launch") == 2
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"lti-iframe-launch-{user}.png"), full_page=True)
    finally:
        page.close()
