"""Test-run wide: a summary of skipped tests with their reasons at the end of every run (``make test``).

Skips are easy to miss behind ``-q``; the last lines say how many tests were skipped, why, and how many of them
are browser tests (those need Debian's Chromium: ``make test`` installs it as root). CI requires 0.
"""
from __future__ import annotations

import os
from collections import Counter

import pytest

# Apps and tool servers of the tests start without the warm-up (certificate fonts, templates: a second or two each,
# hundreds of apps); tests/certificates/test_warm_up.py checks the warm-up itself.
os.environ.setdefault("VAMOS_WARM_UP", "0")

BROWSER_FIXTURES = {"browser", "browser_3pc_blocked"}


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: uses Debian's Chromium (set from the test's fixtures)")


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # From the reports, not from the collection: the reports carry each test's keywords, the browser marker
    # included (and also reach the controller when the suite runs under pytest-xdist, where only workers collect).
    skipped = terminalreporter.stats.get("skipped", [])
    browser_ids = {r.nodeid for reports in terminalreporter.stats.values() for r in reports
                   if "browser" in (getattr(r, "keywords", None) or {})}
    browser = len({r.nodeid for r in skipped if r.nodeid in browser_ids})
    terminalreporter.write_line(
        f"Übersprungen: {len(skipped)} Tests, davon {browser} Browser-Tests (von {len(browser_ids)}).")
    for reason, count in Counter(_reason(r) for r in skipped).most_common():
        terminalreporter.write_line(f"  {count} × {reason}")


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
