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


_SHARED = {"playwright": None, "browser": None, "users": 0}


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
        yield _SHARED["browser"]
    finally:
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            _SHARED["browser"].close()
            _SHARED["playwright"].stop()
            _SHARED.update(browser=None, playwright=None)
