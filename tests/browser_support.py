"""Shared Playwright browser for UI tests: Debian's Chromium, headless, never `playwright install`.

Skips with a reason when Chromium or Playwright is missing; fails instead when
VAMOS_REQUIRE_SERVICES=1 (CI), so a browser test can never silently not run there.
"""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def services_required() -> bool:
    return os.environ.get("VAMOS_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str):
    if services_required():
        pytest.fail(f"{reason} (VAMOS_REQUIRE_SERVICES=1: required on CI)")
    pytest.skip(reason)


# Every wait in a browser test is a condition (a URL, an element, a function); this is only the ceiling after
# which a condition counts as never met. The multi-hop LTI launch on a loaded 2-core CI machine took up to ~20 s,
# so the ceiling is generous; VAMOS_BROWSER_TIMEOUT_MS raises it further on slower machines.
DEFAULT_TIMEOUT_MS = int(os.environ.get("VAMOS_BROWSER_TIMEOUT_MS", "90000"))

# Chromium with third-party cookies blocked, as the browsers of 2026 do by default (Chrome's "Block third-party
# cookies" setting; the switch is the test equivalent). Partitioned (CHIPS) cookies are still allowed.
THIRD_PARTY_COOKIES_BLOCKED = ["--test-third-party-cookie-phaseout"]

_SHARED = {"playwright": None, "browser": None, "users": 0, "blocked": None}


class PatientBrowser:
    """The Playwright browser whose contexts and pages wait up to DEFAULT_TIMEOUT_MS for a condition."""

    def __init__(self, browser):
        self._browser = browser

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **kw):
        # A German browser, like most of our users': pages without a launch (verification, errors) follow the
        # browser's Accept-Language since issue 17, and headless Chromium would otherwise say en-US.
        kw.setdefault("locale", "de-DE")
        context = self._browser.new_context(**kw)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        return context

    def new_page(self, **kw):
        kw.setdefault("locale", "de-DE")
        page = self._browser.new_page(**kw)
        page.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        return page


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if not executable:
        skip_or_fail("Debian chromium not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright (Python package) not installed")
    # One Playwright and one Chromium per process: test modules in several folders import this fixture, and a
    # second sync_playwright() while the first is running fails ("Sync API inside the asyncio loop").
    if _SHARED["browser"] is None:
        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = _SHARED["playwright"].chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    _SHARED["users"] += 1
    try:
        yield PatientBrowser(_SHARED["browser"])
    finally:
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            if _SHARED["blocked"] is not None:
                _SHARED["blocked"].close()
            _SHARED["browser"].close()
            _SHARED["playwright"].stop()
            _SHARED.update(browser=None, playwright=None, blocked=None)


@pytest.fixture(scope="session")
def browser_3pc_blocked(browser):
    """A second Chromium of the same Playwright, with third-party cookies blocked."""
    if _SHARED["blocked"] is None:
        _SHARED["blocked"] = _SHARED["playwright"].chromium.launch(
            executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS + THIRD_PARTY_COOKIES_BLOCKED)
    return PatientBrowser(_SHARED["blocked"])
