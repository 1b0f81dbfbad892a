"""Every interface catalog (LTI tool and XBlocks) is complete, compiled and keeps what code relies on.

Seven interface languages (issue 17). A translation that drops a placeholder crashes the page at run time
(``%(name)s`` → KeyError) or silently loses a value (``{count}``), a dropped HTML tag breaks markup, and a
plural entry needs exactly the forms its language's ``Plural-Forms`` header declares (Arabic: six).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "en", "ar", "fa", "tr", "ru", "uk")
CATALOGS = {
    "lti": (ROOT / "lti_tool" / "translations", "messages"),
    "xblocks": (ROOT / "xblocks" / "translations", "text"),
}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdif]|%[sdif]|\{[a-z_0-9]*\}")
TAG = re.compile(r"</?([a-z]+)[^>]*>")


def _read(path: Path):
    with open(path, "rb") as fh:
        return read_po(fh) if path.suffix in (".po", ".pot") else read_mo(fh)


def _forms(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _template_ids(kind: str) -> set:
    folder, domain = CATALOGS[kind]
    pot = folder / f"{domain}.pot"
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in _read(pot) if m.id}


@pytest.mark.parametrize("kind", sorted(CATALOGS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_and_keeps_placeholders_and_tags(kind, language):
    folder, domain = CATALOGS[kind]
    po = _read(folder / language / "LC_MESSAGES" / f"{domain}.po")
    ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in po if m.id}
    assert ids == _template_ids(kind), f"{kind}/{language}: catalog and template differ — run pybabel update"
    problems = []
    for m in po:
        if not m.id:
            continue
        sources = _forms(m.id)
        targets = _forms(m.string)
        label = sources[0][:60]
        if m.fuzzy or not all(targets):
            problems.append(f"untranslated or fuzzy: {label!r}")
            continue
        if isinstance(m.id, (list, tuple)) and len(targets) != po.num_plurals:
            problems.append(f"{len(targets)} plural forms instead of {po.num_plurals}: {label!r}")
        wanted = sorted(set(PLACEHOLDER.findall(sources[-1])))
        wanted_tags = sorted(TAG.findall(sources[0]))
        for target in targets:
            found = sorted(set(PLACEHOLDER.findall(target)))
            # A singular may spell its number out ("eine Datei"), so only the plural's set is binding there.
            if found != wanted and not (set(found) <= set(wanted) and len(targets) > 1):
                problems.append(f"placeholders {found} instead of {wanted}: {label!r}")
            if sorted(TAG.findall(target)) != wanted_tags:
                problems.append(f"HTML tags differ: {label!r}")
    assert not problems, f"{kind}/{language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("kind", sorted(CATALOGS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_source(kind, language):
    folder, domain = CATALOGS[kind]
    po = _read(folder / language / "LC_MESSAGES" / f"{domain}.po")
    mo = _read(folder / language / "LC_MESSAGES" / f"{domain}.mo")

    def table(catalog):
        return {_forms(m.id): _forms(m.string) for m in catalog if m.id}

    assert table(mo) == table(po), f"compile {kind}/{language} (docs/lti.md, Übersetzungen)"


@pytest.mark.parametrize("language", [x for x in LANGUAGES if x not in ("de",)])
def test_no_translation_is_left_in_the_source_language(language):
    """A copied German (LTI) or English (XBlocks) sentence is a missing translation in disguise."""
    source_language = {"lti": "de", "xblocks": "en"}
    for kind, (folder, domain) in CATALOGS.items():
        if language == source_language[kind]:
            continue
        po = _read(folder / language / "LC_MESSAGES" / f"{domain}.po")
        same = [m.id for m in po if isinstance(m.id, str) and len(m.id.split()) >= 3 and m.string == m.id]
        assert len(same) <= 2, f"{kind}/{language}: copied, not translated: {same[:10]}"
