from vamos_core.glossary import link_glossary_terms
from vamos_core.markdown import render_markdown
from vamos_core.model import GlossaryTerm

TERMS = (
    GlossaryTerm("ehrenamt", "Ehrenamt", "Freiwillige, unbezahlte Tätigkeit."),
    GlossaryTerm("ehrenamtspauschale", "Ehrenamtspauschale", "Bis 960 € steuerfrei <im Jahr>.", ("Ehrenamtsfreibetrag",)),
)


def test_first_mention_is_linked_once_longest_term_wins():
    html = render_markdown("Die Ehrenamtspauschale hilft dem Ehrenamt. Noch einmal: Ehrenamtspauschale.")
    out, used = link_glossary_terms(html, TERMS)
    assert out.count('class="glossary-term"') == 2
    assert '<a class="glossary-term" href="#begriff-ehrenamtspauschale"' in out
    assert "data-definition=\"Bis 960 € steuerfrei &lt;im Jahr&gt;.\"" in out  # definitions are escaped
    assert [t.id for t in used] == ["ehrenamtspauschale", "ehrenamt"]


def test_no_links_in_headings_links_or_inside_words():
    html = render_markdown("## Ehrenamt\n\n[Ehrenamt](https://x.de) und Ehrenamtliche und Ehrenamtsfreibetrag")
    out, used = link_glossary_terms(html, TERMS)
    assert "<h2>Ehrenamt</h2>" in out
    assert "Ehrenamtliche" in out and 'href="#begriff-ehrenamt"' not in out  # "Ehrenamtliche" is another word
    assert [t.id for t in used] == ["ehrenamtspauschale"]  # via its alias
