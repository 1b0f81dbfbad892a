"""Lesson Markdown → safe HTML, and the checks the validator runs on lesson bodies.

Two layers on purpose: the validator refuses unsafe input with a precise line (trainers learn what is wrong),
and the renderer sanitizes its output with nh3 anyway (defence in depth: nothing authored reaches a browser raw).
"""
from __future__ import annotations

import functools

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin

# Callout type → German label shown to learners.
CALLOUT_LABELS: dict[str, str] = {
    "fall": "Fall aus der Praxis",
    "info": "Info",
    "tipp": "Tipp",
    "achtung": "Achtung",
    "checkliste": "Checkliste",
    "vorlage": "Vorlage",
    "aufgabe": "Aufgabe für Ihren Verein",
    "beispiel": "Beispiel",
    "recht": "Rechtsgrundlage",
}

# A figure's long description: ``::: bildbeschreibung`` right after the figure (see figures.py).
DESCRIPTION_BLOCK = "bildbeschreibung"
BLOCK_TYPES = set(CALLOUT_LABELS) | {DESCRIPTION_BLOCK}

ALLOWED_RAW_TAGS = {"abbr", "sup", "sub", "br"}
ALLOWED_TAGS = {
    "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "strong", "em", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "img", "a",
    "div", "p", "span", "abbr", "sup", "sub", "dl", "dt", "dd", "details", "summary",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "download"},
    "img": {"src", "alt", "title", "loading", "width", "height", "decoding"},
    "abbr": {"title"},
    "div": {"role", "aria-label"},
    "th": {"style", "scope"},
    "td": {"style"},
    "ol": {"start"},
}
# nh3 takes classes separately from attributes (listing "class" in both is an error).
ALLOWED_CLASSES = {
    "div": {"callout"} | {f"callout-{name}" for name in CALLOUT_LABELS},
    "p": {"callout-title"},
    "a": {"download", "external", "citation", "glossary-term"},
    "span": {"callout-label"},
    "details": {"figure-description"},
}
URL_SCHEMES = {"https", "http", "mailto"}

_DANGEROUS_TAGS = {"script", "style", "iframe", "object", "embed", "form", "input", "button", "link", "meta", "base", "svg", "math"}
_TAG_RE = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")
_EVENT_ATTR_RE = re.compile(r"\bon[a-z]+\s*=", re.IGNORECASE)
_BAD_SCHEME_RE = re.compile(r"(?:javascript|vbscript|data)\s*:", re.IGNORECASE)
_CALLOUT_OPEN_RE = re.compile(r"^\s*:::\s*([A-Za-z][\w-]*)?(.*)$")
_WORD_RE = re.compile(r"[0-9A-Za-zÄÖÜäöüß€§][0-9A-Za-zÄÖÜäöüßÀ-ɏ€§.,'’*/-]*")


@dataclass(frozen=True)
class BodyProblem:
    line: int  # 1-based line within the body
    field: str
    message: str


def _render_callout(self, tokens: list[Token], idx: int, _options, env) -> str:
    token = tokens[idx]
    if token.nesting != 1:
        return "</div>\n"
    kind, _, title = token.info.strip().partition(" ")
    label = CALLOUT_LABELS.get(kind, kind)
    title = title.strip()
    heading = f'<span class="callout-label">{html.escape(label)}</span>'
    if title:
        heading += f": {html.escape(title)}"
    return (
        f'<div class="callout callout-{html.escape(kind)}" role="note" aria-label="{html.escape(label)}">\n'
        f'<p class="callout-title">{heading}</p>\n'
    )


def _render_description(self, tokens: list[Token], idx: int, _options, env) -> str:
    # Closed by default: the long description is there for whoever needs it, not in everyone's way.
    if tokens[idx].nesting != 1:
        return "</details>\n"
    return '<details class="figure-description">\n<summary>Bildbeschreibung (ausführlicher Text)</summary>\n'


def _figures(state) -> None:
    """A paragraph holding only a titled image becomes <figure> with <figcaption> (title = caption)."""
    tokens = state.tokens
    for i in range(len(tokens) - 2):
        opening, inline, closing = tokens[i], tokens[i + 1], tokens[i + 2]
        if opening.type != "paragraph_open" or inline.type != "inline" or closing.type != "paragraph_close":
            continue
        children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
        if len(children) == 1 and children[0].type == "image" and children[0].attrGet("title"):
            opening.tag = closing.tag = "figure"
            children[0].meta["caption"] = children[0].attrGet("title")


def _render_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    raw_src = token.attrGet("src") or ""
    src = _resolve(raw_src, env)
    caption = token.meta.get("caption")
    sizer = env.get("media_size") if isinstance(env, dict) else None
    size = sizer(raw_src) if sizer and _is_relative(raw_src) else None
    # Width/height let the browser reserve the space (no jump on phones); CSS scales the image down.
    dimensions = f' width="{size[0]}" height="{size[1]}"' if size else ""
    out = f'<img src="{html.escape(src)}" alt="{html.escape(alt)}"{dimensions} loading="lazy" decoding="async">'
    if caption:
        out += f"<figcaption>{html.escape(caption)}</figcaption>"
    return out


def _render_link_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    href = token.attrGet("href") or ""
    if _is_relative(href):
        token.attrSet("href", _resolve(href, env))
        token.attrSet("class", "download")
        token.attrSet("download", "")
    else:
        token.attrSet("class", "external")
    return self.renderToken(tokens, idx, options, env)


def _is_relative(url: str) -> bool:
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) and not url.startswith(("#", "/"))


def _resolve(url: str, env) -> str:
    resolver = env.get("media_url") if isinstance(env, dict) else None
    return resolver(url) if resolver and _is_relative(url) else url


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable(["table", "strikethrough"])
    for name in CALLOUT_LABELS:
        md.use(container_plugin, name=name, render=_render_callout)
    md.use(container_plugin, name=DESCRIPTION_BLOCK, render=_render_description)
    md.core.ruler.push("vamos_figures", _figures)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("link_open", _render_link_open)
    return md


# The gender star (Migrant*innen, Teilnehmer*in) sits between letters, where CommonMark would read two of them
# in one paragraph as emphasis. Authors write German, not intra-word emphasis, so such stars are literal.
_GENDER_STAR_RE = re.compile(r"(?<=[A-Za-zÄÖÜäöüß])\*(?=[a-zäöüß])")


def protect_gender_star(text: str) -> str:
    return _GENDER_STAR_RE.sub(r"\\*", text)


def render_markdown(
    text: str, media_url: Callable[[str], str] | None = None,
    media_size: Callable[[str], tuple[int, int] | None] | None = None,
) -> str:
    """Render lesson Markdown to sanitized HTML. ``media_url`` maps ``media/x.png`` to the adapter's URL;
    ``media_size`` gives an image's intrinsic size (``figures.image_size``) for width/height attributes."""
    raw = markdown_parser().render(protect_gender_star(text), {"media_url": media_url, "media_size": media_size})
    return scrollable_tables(sanitize_html(_shift_headings(raw)))


_TABLE_RE = re.compile(r"<table>(.*?)</table>", re.S)
_HEADER_CELL_RE = re.compile(r"<th[^>]*>(.*?)</th>", re.S)


def scrollable_tables(fragment: str) -> str:
    """Each table in a labelled region that takes keyboard focus: a wide table scrolls sideways on a phone and
    keyboard users must be able to scroll it too (WCAG 2.1.1, axe ``scrollable-region-focusable``). The label
    names the table by its column headings, in the lesson's language."""
    count = 0

    def wrap(match: re.Match) -> str:
        nonlocal count
        count += 1
        headings = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in _HEADER_CELL_RE.findall(match.group(1))]
        label = f"Tabelle {count}" + (": " + ", ".join(h for h in headings if h) if any(headings) else "")
        if len(label) > 120:
            label = label[:117].rstrip(", ") + " …"
        return (f'<div class="table-wrap" role="region" tabindex="0" aria-label="{html.escape(label, quote=True)}">'
                f"{match.group(0)}</div>")

    return _TABLE_RE.sub(wrap, fragment)


def sanitize_html(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        allowed_classes=ALLOWED_CLASSES,
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )


def _shift_headings(fragment: str) -> str:
    # The page owns the single <h1> (the lesson title); a "# " in a lesson becomes <h2>.
    return re.sub(r"<(/?)h1>", r"<\1h2>", fragment)


# --- validation ---------------------------------------------------------------------------------------------

# Source citations like [G2] or [Q20-IKMO] name an entry of module.yaml "sources" (ids are lowercase there).
CITATION_RE = re.compile(r"\[([GQ][0-9]+(?:-[A-Za-z0-9]+)*)\](?!\()")
_LOWER_CITATION_RE = re.compile(r"\[([gq][0-9]+(?:-[a-z0-9]+)*)\](?!\()")


def check_body(text: str, module_dir: Path, source_ids: set[str] | None = None) -> list[BodyProblem]:
    """Every problem of a lesson body, with 1-based body lines."""
    problems: list[BodyProblem] = []
    if source_ids is not None:
        for number, line in enumerate(text.splitlines(), start=1):
            for match in CITATION_RE.finditer(line):
                if match.group(1).lower() not in source_ids:
                    problems.append(BodyProblem(number, "citation", f"[{match.group(1)}] is not in module.yaml sources"))
            for match in _LOWER_CITATION_RE.finditer(line):
                if match.group(1) in source_ids:  # would silently stay plain text: citations are written [Q1]
                    problems.append(BodyProblem(number, "citation", f"write the citation in capitals: [{match.group(1).upper()}]"))
    problems += _check_raw_html_and_schemes(text)
    problems += _check_callout_fences(text)
    for kind, url, alt, line in _images_and_links(text):
        if kind == "image":
            if not alt:
                problems.append(BodyProblem(line, "image", f"image '{url}' has no alternative text"))
            problems += _check_target(url, "image", line, module_dir)
        elif _is_relative(url):
            problems += _check_target(url, "link", line, module_dir)
        elif url.startswith("http://"):
            problems.append(BodyProblem(line, "link", f"use https:// instead of http:// ({url})"))
    return problems


@functools.lru_cache(maxsize=512)
def _images_and_links(text: str) -> tuple[tuple[str, str, str, int], ...]:
    """(kind, url, alt text, line) of every image and link: parsing is most of a lesson's validation, and the
    editor validates the whole module on every save while only one lesson changed."""
    found = []
    for token, line in _inline_children(markdown_parser().parse(text, {})):
        if token.type == "image":
            alt = "".join(c.content for c in token.children or []).strip()
            found.append(("image", token.attrGet("src") or "", alt, line))
        elif token.type == "link_open":
            found.append(("link", token.attrGet("href") or "", "", line))
    return tuple(found)


def _check_target(url: str, field: str, line: int, module_dir: Path) -> list[BodyProblem]:
    if not _is_relative(url):
        return []
    path = url.split("#", 1)[0].split("?", 1)[0]
    target = (module_dir / path).resolve()
    root = module_dir.resolve()
    if root not in target.parents:
        return [BodyProblem(line, field, f"'{url}' points outside the module folder")]
    if not target.is_file():
        return [BodyProblem(line, field, f"'{url}' does not exist in the module folder")]
    return []


def _inline_children(tokens: list[Token]) -> Iterator[tuple[Token, int]]:
    for token in tokens:
        if token.type != "inline" or not token.map:
            continue
        line = token.map[0] + 1
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            yield child, line


def _check_raw_html_and_schemes(text: str) -> list[BodyProblem]:
    problems = []
    in_code = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        for match in _TAG_RE.finditer(line):
            name = match.group(2).lower()
            attrs = match.group(3)
            if name in _DANGEROUS_TAGS:
                problems.append(BodyProblem(number, "html", f"<{name}> is not allowed in lessons"))
            elif name not in ALLOWED_RAW_TAGS:
                problems.append(BodyProblem(number, "html", f"raw HTML <{name}> is not allowed (use Markdown)"))
            if _EVENT_ATTR_RE.search(attrs):
                problems.append(BodyProblem(number, "html", "event handler attributes (on…=) are not allowed"))
        if _BAD_SCHEME_RE.search(line) and re.search(r"\]\(\s*(?:javascript|vbscript|data)\s*:|href\s*=|src\s*=", line, re.I):
            problems.append(BodyProblem(number, "link", "javascript:, vbscript: and data: links are not allowed"))
    return problems


def _check_callout_fences(text: str) -> list[BodyProblem]:
    problems = []
    stack: list[int] = []
    in_code = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        match = None if in_code else _CALLOUT_OPEN_RE.match(line)
        if not match:
            continue
        kind = match.group(1)
        if kind is None and not match.group(2).strip():
            if stack:
                stack.pop()
            else:
                problems.append(BodyProblem(number, "callout", "':::' closes a callout that was never opened"))
        elif kind not in BLOCK_TYPES:
            problems.append(
                BodyProblem(number, "callout", f"unknown callout type '{kind}' (allowed: {', '.join(CALLOUT_LABELS)}, {DESCRIPTION_BLOCK})")
            )
        else:
            stack.append(number)
    problems += [BodyProblem(line, "callout", "callout is not closed with ':::'") for line in stack]
    return problems


def count_words(text: str) -> int:
    """Words of running text, ignoring Markdown syntax, URLs and callout fences."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"^\s*:::.*$", lambda m: m.group(0).replace(":::", " "), text, flags=re.M)
    text = re.sub(r"https?://\S+", " ", text)
    return len(_WORD_RE.findall(text))


def plain_text(text: str) -> str:
    """The lesson as plain text (for search and certificates)."""
    return re.sub(r"\s+", " ", nh3.clean(render_markdown(text), tags=set())).strip()
