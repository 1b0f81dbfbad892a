"""Markdown → sanitized HTML: safe output even when the validator is bypassed, and the documented extensions."""
from __future__ import annotations

import pytest

from vamos_core.markdown import count_words, render_markdown

XSS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[klick](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<div onclick="alert(1)">x</div>',
    "![x](javascript:alert(1))",
    '<svg onload="alert(1)">',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    "<form action='https://evil.example'><input name=a></form>",
]


@pytest.mark.parametrize("source", XSS)
def test_no_script_no_handlers_no_javascript_links(source):
    out = render_markdown(source).lower()
    for bad in ("<script", "onerror", "onclick", "onload", '="javascript:', "<iframe", "<style", '="data:', "<form", "<input", "<svg"):
        assert bad not in out


def test_callouts_headings_tables_figures_downloads():
    text = """# Titel im Text

::: checkliste Vor dem Antrag
- Ziel klar
:::

| A | B |
|---|---|
| 1 | 2 |

![Alt-Text](media/bild.png "Bildunterschrift")

[Vorlage](media/vorlage.csv) und [extern](https://www.bamf.de/)
"""
    out = render_markdown(text, media_url=lambda p: f"/media/m/{p}")
    assert "<h1>" not in out and "<h2>Titel im Text</h2>" in out  # the page owns the single h1
    assert 'class="callout callout-checkliste"' in out and "Checkliste</span>: Vor dem Antrag" in out
    assert "<table>" in out and "<td>1</td>" in out
    assert '<figure><img src="/media/m/media/bild.png" alt="Alt-Text"' in out and "<figcaption>Bildunterschrift</figcaption></figure>" in out
    assert 'href="/media/m/media/vorlage.csv"' in out and 'class="download"' in out
    assert 'href="https://www.bamf.de/"' in out and 'rel="noopener noreferrer"' in out


def test_allowed_inline_html_survives():
    out = render_markdown('Der <abbr title="eingetragener Verein">e. V.</abbr> hat 7<sup>1</sup>')
    assert '<abbr title="eingetragener Verein">e. V.</abbr>' in out and "<sup>1</sup>" in out


def test_word_count_ignores_markup():
    assert count_words("::: fall Titel\nEin Satz mit [Link](https://x.y/z).\n:::\n") == 6


def test_gender_star_is_never_emphasis():
    out = render_markdown("Migrant*innen und Ehrenamtliche*r treffen Teilnehmer*innen. Das ist *wichtig*.")
    assert "Migrant*innen" in out and "Ehrenamtliche*r" in out and "Teilnehmer*innen" in out
    assert out.count("<em>") == 1 and "<em>wichtig</em>" in out
