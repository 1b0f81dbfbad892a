"""SVG figures: parse safely, keep an allowlist, and say in German what had to go.

SVG is a document format that can run scripts (``<script>``, ``on*`` handlers, ``javascript:`` links,
embedded XHTML, CSS ``url()`` fetches). Figures come from trainers' folders and from uploads in the
browser editor, so both the validator (``check_svg``) and the upload path (``sanitize_svg``) use the
same walk over an allowlist: anything not known to be a static drawing is removed.

Parsing uses defusedxml, which refuses DTDs, entity expansion ("billion laughs") and external
references; such a file is rejected (``UnsafeSvgError``), never repaired.
"""
from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XHTML_NS = "http://www.w3.org/1999/xhtml"
MAX_SVG_BYTES = 1_000_000  # a figure drawn for a lesson is a few KB; anything this big is not a diagram
MAX_ELEMENTS = 20_000

# Namespaces that drawing programs add for their own bookkeeping: dropped without a message.
EDITOR_NAMESPACES = {
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://creativecommons.org/ns#",
    "http://ns.adobe.com/AdobeIllustrator/10.0/",
    "http://ns.adobe.com/SaveForWeb/1.0/",
    "http://ns.adobe.com/Extensibility/1.0/",
    "http://www.bohemiancoding.com/sketch/ns",
}

# Static drawing only: no script, no foreignObject, no animation (``<set>``/``<animate>`` can rewrite an
# href to javascript: after sanitising), no ``<image>`` (would load other files), no ``<iframe>``.
ALLOWED_ELEMENTS = frozenset("""
svg g defs title desc symbol use switch a style
path rect circle ellipse line polyline polygon
text tspan textPath
linearGradient radialGradient stop pattern clipPath mask marker
filter feBlend feColorMatrix feComponentTransfer feComposite feDropShadow feFlood feFuncA feFuncB feFuncG
feFuncR feGaussianBlur feMerge feMergeNode feMorphology feOffset
""".split())
SILENTLY_DROPPED_ELEMENTS = frozenset({"metadata"})  # editor metadata (RDF); harmless, not needed

ALLOWED_ATTRIBUTES = frozenset("""
id class style lang tabindex role aria-label aria-labelledby aria-describedby aria-hidden focusable
version baseProfile width height viewBox preserveAspectRatio x y x1 y1 x2 y2 cx cy r rx ry fx fy fr
d points pathLength transform href
fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin stroke-dasharray
stroke-dashoffset stroke-miterlimit stroke-opacity opacity color display visibility overflow
vector-effect paint-order shape-rendering text-rendering image-rendering color-interpolation
color-interpolation-filters
font font-family font-size font-weight font-style font-variant font-stretch text-anchor
dominant-baseline alignment-baseline baseline-shift letter-spacing word-spacing text-decoration
writing-mode direction unicode-bidi white-space dx dy rotate textLength lengthAdjust startOffset method
spacing side
offset stop-color stop-opacity gradientUnits gradientTransform spreadMethod
patternUnits patternContentUnits patternTransform clip-path clip-rule clipPathUnits mask maskUnits
maskContentUnits marker-start marker-mid marker-end markerWidth markerHeight markerUnits refX refY orient
filter filterUnits primitiveUnits in in2 result stdDeviation mode operator k1 k2 k3 k4 values type
tableValues slope intercept amplitude exponent flood-color flood-opacity radius
media
""".split())
ALLOWED_XML_ATTRIBUTES = frozenset({"lang", "space"})

_LOCAL_REF = re.compile(r"^#[A-Za-z_][\w.:-]*$")
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
# CSS that loads, runs or binds something; checked after removing comments and escapes.
_DANGEROUS_CSS = re.compile(r"@import|expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding|<\s*/", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


class UnsafeSvgError(ValueError):
    """The file is not an SVG or cannot be made safe; the message is German and meant for the author."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def sanitize_svg(data: bytes) -> bytes:
    """Return a safe copy of the SVG ``data`` (UTF-8, default SVG namespace), or raise ``UnsafeSvgError``."""
    root = _parse(data)
    _clean(root)
    _ensure_view_box(root)
    root.attrib = {"xmlns": SVG_NS, **root.attrib}  # tags are written unqualified (see _normalise_tag); one default namespace
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def check_svg(data: bytes) -> list[str]:
    """German descriptions of everything unsafe in ``data``; empty when the file is a clean SVG."""
    try:
        root = _parse(data)
    except UnsafeSvgError as exc:
        return [exc.message]
    return _clean(root)


def _ensure_view_box(root: ET.Element) -> None:
    """Give a drawing with only width/height a viewBox, so it scales down to a phone screen (lessons need one)."""
    if root.get("viewBox"):
        return
    try:
        width, height = (float(re.sub(r"px$", "", (root.get(k) or "").strip())) for k in ("width", "height"))
    except ValueError:
        return
    if width > 0 and height > 0:
        root.set("viewBox", f"0 0 {width:g} {height:g}")


def _parse(data: bytes) -> ET.Element:
    if not isinstance(data, (bytes, bytearray)):
        raise UnsafeSvgError("Die SVG-Datei muss als Bytes übergeben werden.")
    if len(data) > MAX_SVG_BYTES:
        raise UnsafeSvgError(f"Die SVG-Datei ist größer als {MAX_SVG_BYTES // 1_000_000} MB; bitte verkleinern.")
    if not data.strip():
        raise UnsafeSvgError("Die SVG-Datei ist leer.")
    try:
        root = fromstring(bytes(data), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UnsafeSvgError(
            "Die SVG-Datei enthält eine DTD, Entitäten oder externe Verweise. "
            "Bitte als „einfaches SVG“ ohne DOCTYPE speichern."
        ) from None
    except ET.ParseError as exc:
        line = getattr(exc, "position", (0, 0))[0]
        raise UnsafeSvgError(f"Die Datei ist kein gültiges SVG (XML-Fehler in Zeile {line}).") from None
    if _split(root.tag) not in ((SVG_NS, "svg"), ("", "svg")):
        raise UnsafeSvgError("Die Datei ist kein SVG: das äußerste Element muss <svg> sein.")
    if sum(1 for _ in root.iter()) > MAX_ELEMENTS:
        raise UnsafeSvgError(f"Die SVG-Datei hat mehr als {MAX_ELEMENTS} Elemente; bitte vereinfachen.")
    return root


def _split(tag: str) -> tuple[str, str]:
    if isinstance(tag, str) and tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag if isinstance(tag, str) else ""


def _clean(root: ET.Element) -> list[str]:
    """Remove everything not on the allowlist from ``root`` (in place); return German messages, no repeats."""
    problems: list[str] = []

    def report(message: str) -> None:
        if message not in problems:
            problems.append(message)

    stack = [root]
    while stack:
        element = stack.pop()
        _normalise_tag(element)
        _clean_attributes(element, report)
        element.attrib.pop("xmlns", None)
        for child in list(element):
            ns, local = _split(child.tag)
            if not isinstance(child.tag, str):  # comments, processing instructions
                element.remove(child)
            elif ns in EDITOR_NAMESPACES or (ns in (SVG_NS, "") and local in SILENTLY_DROPPED_ELEMENTS):
                _remove_keeping_tail(element, child)
            elif ns not in (SVG_NS, "") or local not in ALLOWED_ELEMENTS:
                _remove_keeping_tail(element, child)
                report(_element_message(ns, local))
            elif local == "style" and not _style_is_safe(child.text or ""):
                _remove_keeping_tail(element, child)
                report("<style> mit @import, externem url() oder Skript entfernt.")
            else:
                stack.append(child)
    return problems


def _normalise_tag(element: ET.Element) -> None:
    # Kept elements are all SVG; they are written unqualified under one xmlns on the root (ElementTree's
    # default_namespace option refuses unqualified attributes). Files without xmlns thus get it, too.
    element.tag = _split(element.tag)[1]


def _element_message(ns: str, local: str) -> str:
    if local == "script":
        return "<script> entfernt: Skripte sind in Abbildungen nicht erlaubt."
    if local == "foreignObject" or ns == XHTML_NS:
        return f"<{local}> entfernt: eingebettetes HTML (foreignObject) ist nicht erlaubt."
    if local in ("image", "feImage"):
        return f"<{local}> entfernt: Abbildungen dürfen keine anderen Bilddateien nachladen."
    if local in ("animate", "set", "animateTransform", "animateMotion", "discard"):
        return f"<{local}> entfernt: Animationen sind nicht erlaubt."
    return f"<{local}> entfernt: dieses Element ist in Abbildungen nicht erlaubt."


def _remove_keeping_tail(parent: ET.Element, child: ET.Element) -> None:
    # Text after a removed element (e.g. inside <text>) belongs to the drawing; keep it.
    if child.tail:
        index = list(parent).index(child)
        if index:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail
    parent.remove(child)


def _clean_attributes(element: ET.Element, report) -> None:
    for name in list(element.attrib):
        value = element.attrib[name]
        ns, local = _split(name)
        if ns in EDITOR_NAMESPACES:
            del element.attrib[name]
            continue
        if local.lower().startswith("on"):
            del element.attrib[name]
            report(f"Ereignis-Attribut {local} entfernt: Skripte sind in Abbildungen nicht erlaubt.")
            continue
        if local == "href" and ns in ("", XLINK_NS):
            del element.attrib[name]
            if _LOCAL_REF.match(value.strip()):
                element.set("href", value.strip())  # SVG 2 href; xlink:href needs no prefix any more
            else:
                report("Verweis (href) entfernt: nur Verweise innerhalb der Datei (#id) sind erlaubt.")
            continue
        if ns == XML_NS and local in ALLOWED_XML_ATTRIBUTES:
            continue
        if ns or local not in ALLOWED_ATTRIBUTES:
            del element.attrib[name]
            report(f"Attribut {local} entfernt: in Abbildungen nicht erlaubt.")
            continue
        if local == "style":
            safe = _clean_style_attribute(value)
            if safe != value:
                report("Gefährliche Angaben im style-Attribut entfernt (url(), @import oder Skript).")
                if safe:
                    element.set(name, safe)
                else:
                    del element.attrib[name]
            continue
        if not _value_is_safe(value):
            del element.attrib[name]
            report(f"Attribut {local} entfernt: es verweist auf eine andere Datei oder ein Skript.")


def _value_is_safe(value: str) -> bool:
    lowered = re.sub(r"[\s\x00-\x1f]", "", value).lower()
    if "javascript:" in lowered or "vbscript:" in lowered or "expression(" in lowered or lowered.startswith("data:"):
        return False
    return all(_LOCAL_REF.match(target.strip()) for _, target in _URL.findall(value))


def _style_is_safe(css: str) -> bool:
    css = _CSS_COMMENT.sub("", css)
    if "\\" in css:  # CSS escapes can hide "url(" or "@import"; our own drawings never need them
        return False
    return not _DANGEROUS_CSS.search(css) and _value_is_safe(css)


def _clean_style_attribute(style: str) -> str:
    kept = [d.strip() for d in style.split(";") if d.strip() and _style_is_safe(d)]
    return "; ".join(kept) if len(kept) != len([d for d in style.split(";") if d.strip()]) else style
