"""Accessibility without exceptions (issue 17): every page, German and Arabic, 1280 px and 320 px.

The pages are found the way people find them: learners walk the journey (module, lessons with tables and an open
glossary pop-up, print view, search, quiz with a refused and an accepted submission, result, certificate); trainers
and coordinators start from their launch and follow every link of the pages they reach (the staff header, lists,
detail pages) — so a new page is checked without anyone adding it here. Public pages (verification, the issuer's
profile) and error pages (404, an expired session) are opened directly.

On every page, in ``de`` and ``ar``:
* axe-core with the WCAG 2.1 A/AA tags finds no violation, at 1280 px and at 320 px;
* nothing is wider than the viewport at 320 px (WCAG 1.4.10 reflow);
* with the WCAG 1.4.12 text-spacing override at 320 px (line height 1.5, paragraph spacing 2, letter spacing
  0.12, word spacing 0.16) no element clips its content: no box with ``overflow: hidden/clip`` is smaller than what
  it holds, and no element that was inside the viewport before is pushed out of it (element boxes compared);
* ``<title>`` is unique among the pages of the same kind (two certificates, two lessons never share one).
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser_support import browser  # noqa: F401 - shared fixture
from vamos_core.content import default_content_dir

from .conftest import make_config, start_env
from .test_learner_browser import AXE, axe_violations

MODULE = "kommunikation-im-verband"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "a11y"
WIDTHS = (1280, 320)
MAX_PAGES_PER_ROLE = 45
# Links that leave the HTML pages: files, downloads, machine-readable endpoints, the platform.
NOT_A_PAGE = re.compile(r"/export|\.pdf|\.zip|\.csv|\.xlsx|/pdf|/badge|/media/|/jwks|\.json|/zip|/certificates/download|/download|"
                        r"/credentials/[^/]+/image|/status-list|/keys/|/preferences/|logout")

TEXT_SPACING = """() => {
  const style = document.createElement("style");
  style.textContent = `* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
                           word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }`;
  document.head.appendChild(style);
}"""

BOXES = """() => {
  const out = [];
  const all = document.body.querySelectorAll("*");
  // Inside a scrolling region (a wide table in its focusable region) content may extend: it scrolls there.
  const scrolls = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll") return true; } return false; };
  all.forEach((el, i) => {
    if (scrolls(el)) return;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    out.push([i, r.left, r.right, el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
              (typeof el.className === "string" && el.className ? "." + el.className.split(" ")[0] : "")]);
  });
  return out;
}"""

CLIPPED = """() => {
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    const s = getComputedStyle(el);
    const hides = (v) => v === "hidden" || v === "clip";
    if (!(hides(s.overflowX) || hides(s.overflowY))) continue;
    if (el.closest(".skip-link, .visually-hidden, [hidden]")) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;  // visually hidden helpers (1 px) hide on purpose
    if ((hides(s.overflowX) && el.scrollWidth > el.clientWidth + 1) ||
        (hides(s.overflowY) && el.scrollHeight > el.clientHeight + 1)) {
      found.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("a11y")
    env = start_env(make_config(tmp, {"database_url": "", "redis_url": ""}, content_dir=str(default_content_dir())))
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


def launch(page, env, user: str) -> None:
    page.goto(f"{env.platform.issuer}/lti/initiate?link=link-{MODULE}&user={user}&window=1")
    page.wait_for_url(re.compile(rf"/module/{MODULE}\?ls="))


def sid_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["ls"][0]


def check_page(page, name: str, found: dict) -> None:
    """axe at both widths, reflow at 320 px, text spacing at both widths; problems collected under ``name``."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        violations = axe_violations(page)
        if violations:
            problems.append((width, "axe", violations))
        if width == 320:
            overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                problems.append((width, "wider than the viewport by px", overflow))
    for width in (320,):  # the narrow case is where added spacing can clip or push out (1280 has room)
        page.set_viewport_size({"width": width, "height": 900})
        before = {i: (left, right) for i, left, right, _name in page.evaluate(BOXES)}
        page.evaluate(TEXT_SPACING)
        clipped = page.evaluate(CLIPPED)
        after_boxes = page.evaluate(BOXES)
        pushed_out = [(name, round(left), round(right)) for i, left, right, name in after_boxes
                      if i in before and before[i][0] >= 0 and before[i][1] <= width + 0.5
                      and (left < -0.5 or right > width + 0.5)]
        if clipped:
            problems.append((width, "text spacing clips", clipped[:5]))
        if pushed_out:
            problems.append((width, "text spacing pushes elements out of the viewport", pushed_out[:6]))
        page.reload()
    if problems:
        found[name] = problems


PER_ENDPOINT = 2  # every kind of page (Flask endpoint) twice: all page types, and two to compare titles


def crawl(page, env, start_urls: list[str], sid: str, seen: set, found: dict, titles: dict, role: str) -> set:
    """Follow the links of every page reached, checking each; at most PER_ENDPOINT pages of one endpoint.
    Returns the endpoints checked."""
    tool_origin = env.tool_url
    routes = env.tool_app.url_map.bind("localhost")
    queue = list(start_urls)
    per_endpoint: dict = defaultdict(int)
    while queue and sum(per_endpoint.values()) < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        key = re.sub(r"([?&])ls=[^&]+", r"\1", url)
        try:
            endpoint, _args = routes.match(urlsplit(url).path, method="GET")
        except Exception:  # noqa: BLE001 - not one of our GET routes
            continue
        if key in seen or per_endpoint[endpoint] >= PER_ENDPOINT:
            continue
        seen.add(key)
        try:
            response = page.goto(url)
        except Exception as exc:  # noqa: BLE001 - a link that turned out to be a download is no page
            if "Download is starting" in str(exc):
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        per_endpoint[endpoint] += 1
        titles[endpoint][urlsplit(page.url).path] = page.title()  # one title per page (a filter keeps its page)
        check_page(page, f"{role} {urlsplit(page.url).path}", found)
        for href in page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.href)"):
            if href.startswith(tool_origin) and not NOT_A_PAGE.search(href) and "#" not in href:
                if "ls=" not in href:
                    href += ("&" if "?" in href else "?") + f"ls={sid}"
                queue.append(href)
    return set(per_endpoint)


@pytest.mark.parametrize("language", ["de", "ar"])
def test_every_page_passes_axe_reflow_and_text_spacing(browser, env, language):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    env.platform.locale = language
    module = env.tool_app.extensions["vamos"].catalog.get(MODULE)
    tool = env.tool_url
    found: dict = {}
    titles: dict = defaultdict(dict)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        # --- the learner's journey ---
        launch(page, env, "lernende")
        sid = sid_of(page.url)
        base = f"{tool}/module/{MODULE}"
        check_page(page, "learner module", found)
        with_table = next(lesson for lesson in module.lessons if "|---" in lesson.body_markdown.replace(" ", ""))
        for lesson in module.lessons:
            page.goto(f"{base}/lesson/{lesson.id}?ls={sid}")
            titles["lesson"][lesson.id] = page.title()
            if lesson is with_table:
                assert page.locator(".lesson-body .table-wrap[role=region][tabindex='0'][aria-label]").count() > 0
                page.locator("a.glossary-term").first.click()
                check_page(page, f"learner lesson {lesson.id} (table, pop-up)", found)
            if page.locator(".lesson-done button[type=submit]").count():  # the German run may have done it
                page.locator(".lesson-done button[type=submit]").click()
                page.wait_for_load_state()
        page.goto(f"{base}/lesson/{with_table.id}/print?ls={sid}")
        check_page(page, "learner print view", found)
        page.goto(f"{base}/search?ls={sid}&q=Verein")
        check_page(page, "learner search results", found)
        page.goto(f"{base}/search?ls={sid}&q=x")
        check_page(page, "learner search too short", found)
        page.goto(f"{base}/quiz?ls={sid}")
        check_page(page, "learner quiz", found)
        page.locator("form[action*='/quiz/start'] button").click()
        page.wait_for_url(re.compile(r"/quiz/attempt"))
        check_page(page, "learner quiz attempt", found)
        page.locator("button[name=action][value=submit]").click()  # nothing answered: 422 with the list
        page.wait_for_selector(".error-summary[role=alert]")
        assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
        check_page(page, "learner quiz refused", found)
        for question in module.quiz.questions:
            for option in sorted(question.correct_ids):
                page.check(f"#q-{question.id}-{option}")
        page.locator("button[name=action][value=submit]").click()
        page.wait_for_url(re.compile(r"/quiz/result/"))
        check_page(page, "learner quiz result", found)
        page.goto(f"{base}?ls={sid}")
        assert page.locator("#zertifikat a[href*='/certificate']").count() > 0
        check_page(page, "learner module with certificate", found)
        verify = page.locator("#zertifikat a[href*='/verify']").first.evaluate("a => a.href")

        # --- public and error pages ---
        for name, url in (("public verify form", f"{tool}/verify"), ("public verify valid", verify),
                          ("public start", f"{tool}/"), ("error 404", f"{base}/lesson/gibt-es-nicht?ls={sid}"),
                          ("error no session", f"{base}")):
            page.goto(url if url.startswith("http") else tool + url)
            check_page(page, name, found)
        public_seen: set = set()
        page.goto(verify)
        public_links = [h for h in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.href)")
                        if h.startswith(tool) and "/credentials/" in h and not NOT_A_PAGE.search(h)]
        for href in public_links[:4]:
            if href not in public_seen:
                public_seen.add(href)
                page.goto(href)
                if "text/html" in (page.evaluate("() => document.contentType") or ""):
                    check_page(page, f"public {urlsplit(href).path}", found)

        # --- trainers and coordinators: everything reachable from their launch ---
        reached = {}
        for role in ("trainer", "koordination"):  # each role sees its own pages (its header, its rights)
            launch(page, env, role)
            sid = sid_of(page.url)
            reached[role] = crawl(page, env, [page.url], sid, set(), found, titles, role)
    finally:
        context.close()
    # The staff pages were really reached (the header's links and what they link to).
    assert {"adv.roster", "adv.scores", "pages.placement", "authoring.index"} <= reached["trainer"]
    assert {"coord.dashboard", "coord.audit_log", "coord.learners", "certs.course_list"} <= reached["koordination"]
    report = ARTIFACTS / f"a11y-{language}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(found, indent=1, ensure_ascii=False), encoding="utf-8")
    assert found == {}, f"see {report}: {found}"
    lessons = list(titles.pop("lesson").values())
    assert len(set(lessons)) == len(lessons), f"lesson titles repeat: {lessons}"
    repeated = {kind: pages for kind, pages in titles.items() if len(set(pages.values())) < len(pages)}
    assert not repeated, f"pages of one kind share a title: {repeated}"
