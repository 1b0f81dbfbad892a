"""SVG figures are hostile input: every sample must come out without a way to run, load or expand anything."""
from __future__ import annotations

import re

import pytest

from vamos_core.svg import UnsafeSvgError, check_svg, sanitize_svg

HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 50">'
CLEAN = (
    HEAD + '<title>Wirkungstreppe</title><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/>'
    '</linearGradient><marker id="pfeil"><path d="M0 0L5 5"/></marker></defs>'
    '<rect x="1" y="1" width="98" height="48" fill="url(#g)" style="stroke: #333; stroke-width: 2"/>'
    '<line x1="0" y1="0" x2="10" y2="10" marker-end="url(#pfeil)"/>'
    '<use href="#pfeil"/><use xlink:href="#pfeil"/>'
    '<text x="50" y="25" font-size="12" text-anchor="middle">Größe &amp; Wirkung</text>'
    '<style>.k { fill: #0a5; font-weight: bold }</style></svg>'
)

HOSTILE = {
    "script": HEAD + '<script>alert(1)</script><circle r="5"/></svg>',
    "script-cdata": HEAD + "<script><![CDATA[alert(1)]]></script></svg>",
    "onload": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "onclick-upper": HEAD + '<rect ONCLICK="alert(1)"/></svg>',
    "foreignObject": HEAD + '<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/></body></foreignObject></svg>',
    "xhtml-script": HEAD + '<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script></svg>',
    "javascript-href": HEAD + '<a href="javascript:alert(1)"><text>x</text></a></svg>',
    "javascript-xlink": HEAD + '<a xlink:href=" JaVaScRiPt:alert(1)"><text>x</text></a></svg>',
    "javascript-entity-tab": HEAD + '<a href="java&#9;script:alert(1)"><text>x</text></a></svg>',
    "data-href": HEAD + '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="><text>x</text></a></svg>',
    "external-use": HEAD + '<use href="https://evil.example/sprite.svg#a"/></svg>',
    "image-external": HEAD + '<image href="https://evil.example/track.png" width="1" height="1"/></svg>',
    "image-data": HEAD + '<image xlink:href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="/></svg>',
    "style-import": HEAD + '<style>@import url("https://evil.example/x.css");</style></svg>',
    "style-url": HEAD + "<style>rect { fill: url(https://evil.example/p.svg#x) }</style></svg>",
    "style-escape": HEAD + "<style>rect { background: \\75 rl(https://evil.example) }</style></svg>",
    "style-attr-url": HEAD + '<rect style="fill: red; background-image: url(https://evil.example/t.png)"/></svg>',
    "fill-external-url": HEAD + '<rect fill="url(https://evil.example/p.svg#g)"/></svg>',
    "set-href": HEAD + '<a href="#x"><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>',
    "animate": HEAD + '<animate attributeName="href" values="javascript:alert(1)"/></svg>',
    "iframe": HEAD + '<iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example"/></svg>',
    "unknown-attribute": HEAD + '<rect formaction="javascript:alert(1)"/></svg>',
    "event-in-editor-ns": HEAD + '<rect xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="click"/></svg>',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_samples_are_reported_and_cleaned(name):
    data = HOSTILE[name].encode()
    problems = check_svg(data)
    assert problems, name
    assert all(isinstance(p, str) and p for p in problems)
    out = sanitize_svg(data).decode().lower()
    squeezed = re.sub(r"\s", "", out)
    for bad in ("<script", "onload", "onclick", "onerror", "javascript:", "data:", "foreignobject", "evil.example",
                "@import", "<set", "<animate", "<iframe", "<image", "formaction", "\\75"):
        assert bad not in squeezed, (name, bad, out)
    assert check_svg(sanitize_svg(data)) == []  # the cleaned file is clean


def test_clean_file_has_no_problems_and_keeps_the_drawing():
    assert check_svg(CLEAN.encode()) == []
    out = sanitize_svg(CLEAN.encode()).decode()
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'viewBox="0 0 100 50"' in out and "<title>Wirkungstreppe</title>" in out
    assert "Größe &amp; Wirkung" in out and 'fill="url(#g)"' in out and 'marker-end="url(#pfeil)"' in out
    assert out.count('href="#pfeil"') == 2  # xlink:href becomes the SVG 2 href
    assert "stroke: #333" in out and ".k { fill: #0a5" in out


def test_style_attribute_keeps_safe_declarations():
    out = sanitize_svg(HOSTILE["style-attr-url"].encode()).decode()
    assert 'style="fill: red"' in out


def test_plain_words_in_labels_are_not_mistaken_for_urls():
    data = HEAD + '<g aria-label="Meta-data: Stand 2026"><rect width="1" height="1"/></g></svg>'
    assert check_svg(data.encode()) == []


def test_text_after_a_removed_element_stays():
    data = HEAD + '<text>vor <script>x</script>nach</text></svg>'
    out = sanitize_svg(data.encode()).decode()
    assert "vor nach" in out


def test_editor_metadata_is_dropped_without_a_message():
    data = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" inkscape:version="1.2">'
        '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>'
        '<sodipodi:namedview/><g inkscape:label="Ebene 1"><rect width="1" height="1"/></g><!-- Kommentar --></svg>'
    )
    assert check_svg(data.encode()) == []
    out = sanitize_svg(data.encode()).decode()
    assert "inkscape" not in out and "sodipodi" not in out and "metadata" not in out and "Kommentar" not in out


def test_view_box_is_added_from_width_and_height():
    out = sanitize_svg(b'<svg xmlns="http://www.w3.org/2000/svg" width="120px" height="80"><rect/></svg>').decode()
    assert 'viewBox="0 0 120 80"' in out
    out = sanitize_svg(b'<svg xmlns="http://www.w3.org/2000/svg" width="50%" height="80"><rect/></svg>').decode()
    assert "viewBox" not in out  # relative sizes give no drawing size; the validator then asks for a viewBox


def test_missing_namespace_is_added():
    out = sanitize_svg(b'<svg viewBox="0 0 1 1"><rect width="1" height="1"/></svg>').decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in out and "<rect " in out


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>"""
DOCTYPE_ONLY = b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>'


@pytest.mark.parametrize(
    "data, words",
    [
        (BILLION_LAUGHS, "DTD"),
        (XXE, "DTD"),
        (DOCTYPE_ONLY, "DTD"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>", "kein gültiges SVG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "kein gültiges SVG"),
        (b"<html><body>x</body></html>", "äußerste Element muss <svg>"),
        (b'<x:svg xmlns:x="urn:other"/>', "äußerste Element muss <svg>"),
        (b"   ", "leer"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"<g/>" * 20_001 + b"</svg>", "Elemente"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><desc>" + b"x" * 1_000_001 + b"</desc></svg>", "größer als"),
    ],
)
def test_unsafe_or_not_svg_is_refused_in_german(data, words):
    with pytest.raises(UnsafeSvgError) as info:
        sanitize_svg(data)
    assert words in info.value.message and str(info.value) == info.value.message
    assert check_svg(data) == [info.value.message]


def test_messages_are_not_repeated():
    data = HEAD + "<script>1</script>" * 5 + "</svg>"
    assert len(check_svg(data.encode())) == 1
