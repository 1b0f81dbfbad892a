"""Shipped translations are complete and compiled; the workbench scenarios parse and render."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from vamos_core.languages import INTERFACE_LANGUAGES

from .conftest import MODULE_ID, BlockRuntime

XBLOCKS = Path(__file__).resolve().parents[2] / "xblocks"
CATALOGS = XBLOCKS / "translations"


def source_strings() -> set[str]:
    found = extract_from_dir(str(XBLOCKS), method_map=[("*.py", "python")], keywords={"_": None, "translate": None})
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


@pytest.mark.parametrize("language", list(INTERFACE_LANGUAGES))
def test_every_interface_string_is_translated(language):
    with open(CATALOGS / language / "LC_MESSAGES" / "text.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    missing = source_strings() - set(translated)
    assert not missing, f"add to translations/{language}/LC_MESSAGES/text.po: {sorted(missing)}"


@pytest.mark.parametrize("language", list(INTERFACE_LANGUAGES))
def test_compiled_catalog_matches_po(language):
    folder = CATALOGS / language / "LC_MESSAGES"
    with open(folder / "text.po", "rb") as fh:
        po = {m.id: m.string for m in read_po(fh) if m.id}
    with open(folder / "text.mo", "rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id}
    assert mo == po, "recompile: msgfmt -o text.mo text.po (see xblocks/i18n.py)"


def test_placeholders_survive_translation():
    with open(CATALOGS / "de" / "LC_MESSAGES" / "text.po", "rb") as fh:
        for message in read_po(fh):
            if message.id:
                assert sorted(_fields(message.id)) == sorted(_fields(message.string)), message.id


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_workbench_scenarios_parse_and_render():
    from xblock.core import XBlock

    runtime = BlockRuntime()
    seen = []
    for tag in ("vamos_lesson", "vamos_quiz", "vamos_module"):
        for title, xml in XBlock.load_class(tag).workbench_scenarios():
            block = runtime.block(xml)
            html = runtime.render(block, "student_view").body_html()
            assert "vamos-notice" not in html, title
            seen.append(title)
    assert seen == ["VAMOs lesson: Erste Lektion", "VAMOs quiz: Testmodul", "VAMOs whole module: Testmodul"]


def test_whole_module_scenario_carries_the_content():
    from vamos_xblocks.workbench import module_scenarios

    _title, xml = module_scenarios()[0]
    assert xml.count("<vamos_lesson ") == 2 and xml.count("<vamos_quiz ") == 1 and xml.count("<vamos_module ") == 1
    assert f'module_id="{MODULE_ID}"' in xml and "Was ist richtig?" in xml and "Ein Verein plant ein Projekt." in xml


def test_german_studio_messages_for_core_checks(quiz_xml):
    from .conftest import call

    runtime = BlockRuntime(language="de")
    block = runtime.block(quiz_xml)
    questions = [dict(q) for q in block.questions]
    questions[0] = dict(questions[0], options=[dict(o, correct=False) for o in questions[0]["options"]])
    status, body = call(block, "studio_submit", {"values": {"questions": questions}})
    assert status == 400
    assert body["error"]["fields"]["questions[0].options"] == \
        "keine richtige Antwort: markieren Sie genau eine Antwort als richtig"
    assert body["error"]["message"] == "Bitte korrigieren Sie die markierten Felder."
