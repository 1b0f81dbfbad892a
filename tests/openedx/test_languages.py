"""The blocks in the seven interface languages (issue 17): Open edX sets the learner's language (Django's active
language, which ``XBlockI18nService`` also translates with); the block follows it for ``lang``/``dir``, its
strings and the glossary term translations, while the lesson text stays German and is marked ``lang="de"``."""
from __future__ import annotations

import re

import pytest
from django.utils import translation

from vamos_core.content import load_module
from vamos_core.languages import INTERFACE_LANGUAGES, text_direction

from .conftest import REPO_CONTENT, BlockRuntime, xml_of

ENGLISH_ONLY = ("Mark as done", "Terms in this lesson", "In short and simple", "Sources")


@pytest.fixture(scope="module")
def shipped_lesson_xml():
    from vamos_xblocks.workbench import lesson_element

    module = load_module(REPO_CONTENT / "finanzierung")
    return module, xml_of(lesson_element(module, module.lessons[0]))


@pytest.mark.parametrize("language", INTERFACE_LANGUAGES)
def test_lesson_block_in_each_interface_language(shipped_lesson_xml, language):
    module, xml = shipped_lesson_xml
    lesson = module.lessons[0]
    runtime = BlockRuntime(language=language)
    with translation.override(language):
        html = runtime.render(runtime.block(xml), "student_view").body_html()
    wrapper = re.search(r'<div class="vamos vamos-lesson"[^>]*>', html).group(0)
    assert f'lang="{language}"' in wrapper and f'dir="{text_direction(language)}"' in wrapper
    assert '<div class="vamos-body" lang="de" dir="ltr">' in html
    assert lesson.plain_summary[:40] in html
    if language != "en":
        assert not [s for s in ENGLISH_ONLY if s in html], language  # the catalog translated every label
    if language != "de":
        term = next(t for t in module.glossary if f'id="begriff-{t.id}"' in html)
        expected = (f'<span class="vamos-term-translation" lang="{language}" dir="{text_direction(language)}">'
                    f'{term.translation(language)}</span>')
        assert expected in html.replace("&#x27;", "'").replace("&quot;", '"')
