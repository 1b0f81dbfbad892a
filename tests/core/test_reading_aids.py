"""Reading aids for German as a second language (issue 17), the core's part.

* every glossary term of every shipped module carries its translation into the six other interface languages,
  and every lesson a "Kurz und einfach" summary — the check that fails the build (``vamos validate
  --reading-aids``, run by ``make test``) names file, line and field when one is missing;
* term translations and summaries travel through the OLX (Open edX) and the editor's round trip unchanged;
* search finds lessons and terms with or without umlauts and by a term's translation;
* numbers and dates follow the interface language (Persian digits for ``fa``, Arabic-Indic for ``ar-EG``);
* tables in lessons are focusable, labelled regions.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from vamos_core import locale_format
from vamos_core.languages import TRANSLATED_LANGUAGES
from vamos_core.loader import load_catalog, validate_paths
from vamos_core.markdown import render_markdown
from vamos_core.reading_aids import missing_reading_aids, reading_aid_problems
from vamos_core.search import fold, search

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "course_content"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


def test_every_term_of_every_shipped_module_has_the_six_translations(catalog):
    for module in catalog.modules.values():
        assert module.glossary, module.id
        for term in module.glossary:
            have = dict(term.translations)
            assert set(have) == set(TRANSLATED_LANGUAGES), f"{module.id}/{term.id}: {sorted(have)}"
            assert all(text.strip() and text != term.term for code, text in have.items() if code != "en"), term.id
    assert reading_aid_problems(list(catalog.modules.values())) == []


def test_every_shipped_lesson_has_a_short_plain_summary(catalog):
    for module in catalog.modules.values():
        for lesson in module.lessons:
            words = len(lesson.plain_summary.split())
            assert 20 <= words <= 90, f"{module.id}/{lesson.id}: {words} words"


def test_a_missing_translation_fails_the_build_with_file_line_and_field(tmp_path):
    folder = tmp_path / "finanzierung"
    shutil.copytree(CONTENT / "finanzierung", folder)
    glossary = folder / "glossary.yaml"
    text = glossary.read_text(encoding="utf-8")
    first_farsi = next(line for line in text.splitlines() if line.strip().startswith("fa:"))
    glossary.write_text(text.replace(first_farsi + "\n", "", 1), encoding="utf-8")
    lesson = folder / "lessons" / "eigenmittel.md"
    lines = lesson.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("plain_summary:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    lesson.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")

    modules, problems = validate_paths([folder])
    assert problems == [] and len(modules) == 1  # valid content: a trainer may save it
    found = [str(p) for p in missing_reading_aids(modules[0])]
    assert len(found) == 2, found
    assert found[0].startswith("finanzierung/glossary.yaml:") and "terms[0].translations" in found[0]
    assert "translation missing for fa" in found[0]
    assert found[1] == ("finanzierung/lessons/eigenmittel.md:2: plain_summary: "
                        "the lesson has no 'Kurz und einfach' summary")
    command = [sys.executable, "-m", "vamos_cli.cli", "validate", "--reading-aids", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "translation missing for fa" in result.stderr
    assert subprocess.run(command[:4] + [str(folder)], capture_output=True, cwd=tmp_path).returncode == 0


def test_unknown_or_empty_translation_is_a_content_problem(tmp_path):
    folder = tmp_path / "finanzierung"
    shutil.copytree(CONTENT / "finanzierung", folder)
    glossary = folder / "glossary.yaml"
    lines = glossary.read_text(encoding="utf-8").splitlines(keepends=True)
    uk = next(i for i, line in enumerate(lines) if line.strip().startswith("uk:"))
    tr = next(i for i, line in enumerate(lines) if line.strip().startswith("tr:"))
    lines[tr] = '      tr: " "\n'
    lines.insert(uk, '      xx: "nope"\n')
    glossary.write_text("".join(lines), encoding="utf-8")
    _modules, problems = validate_paths([folder])
    fields = {(p.field, p.message) for p in problems}
    assert ("terms[0].translations.xx", "unknown language 'xx' (allowed: en, ar, fa, tr, ru, uk)") in fields
    assert ("terms[0].translations.tr", "must be a non-empty text") in fields


def test_translations_and_summaries_travel_through_the_olx(catalog):
    from vamos_core.block_fields import lesson_fields, lesson_from_fields, module_from_fields
    from vamos_core.olx import read_block_element, write_block_element
    import xml.etree.ElementTree as ET

    module = catalog.get("finanzierung")
    lesson = module.lessons[0]
    node = ET.Element("x")
    write_block_element(node, "vamos_lesson", lesson_fields(module, lesson))
    values = read_block_element(ET.fromstring(ET.tostring(node)))
    assert lesson_from_fields(values).plain_summary == lesson.plain_summary
    rebuilt = module_from_fields({"glossary": values["glossary"], "module_id": module.id}, [], None)
    assert [t.translations for t in rebuilt.glossary] == [t.translations for t in module.glossary]


def test_search_ignores_case_and_umlaut_spelling_and_finds_terms_by_translation(catalog):
    module = catalog.get("finanzierung")
    for query in ("Zuwendungsbestätigung", "zuwendungsbestaetigung", "ZUWENDUNGSBESTATIGUNG"):
        results = search(module, query, "ar")
        assert [hit.lesson.id for hit in results.lessons][:1] == ["eigenmittel"], query
        assert any(hit.term.id == "zuwendungsbestaetigung" for hit in results.terms)
        first = results.lessons[0]
        assert fold(first.match) == fold("Zuwendungsbestätigung") and "<" not in first.before + first.after
    arabic = next(t for t in module.glossary if t.id == "zuwendungsbestaetigung").translation("ar")
    assert [hit.term.id for hit in search(module, arabic, "ar").terms] == ["zuwendungsbestaetigung"]
    assert search(module, "x").lessons == () and search(module, "gibt es sicher nicht").lessons == ()


def test_numbers_and_dates_follow_the_interface_language():
    assert locale_format.number(66.67, "de") == "66,7"
    assert locale_format.number(66.67, "en") == "66.7"
    assert locale_format.number(66.67, "fa") == "۶۶٫۷"
    assert locale_format.number(2026, "ar_EG") == "٢٠٢٦"
    assert locale_format.number(2026, "ar") == "2026"  # CLDR: plain Arabic uses Latin digits
    assert locale_format.month("2026-12", "ru") == "декабрь 2026\u202fг."  # the stand-alone month name
    assert locale_format.month("2026-12", "fa") == "دسامبر ۲۰۲۶"
    assert locale_format.long_date(date(2026, 12, 2), "tr") == "2 Aralık 2026"
    assert "۱۷:۰۵" in locale_format.short_datetime(datetime(2026, 12, 2, 17, 5), "fa")


def test_lesson_tables_are_focusable_labelled_regions():
    html = render_markdown("| Sphäre | Steuer &amp; Pflicht |\n|---|---|\n| a | b |\n\nText\n\n| x |\n|---|\n| y |\n")
    assert html.count('role="region" tabindex="0"') == 2
    assert 'aria-label="Tabelle 1: Sphäre, Steuer &amp; Pflicht"' in html
    assert 'aria-label="Tabelle 2: x"' in html
