"""Scenarios for the XBlock SDK workbench (``make workbench``): each block alone and one whole module.

The module shown is ``VAMOS_WORKBENCH_MODULE`` or else the first valid module of the content folder
(``VAMOS_CONTENT_DIR`` or the packaged course content). Scenario ids in the workbench are
``vamos_lesson.0``, ``vamos_lesson.1``, ``vamos_quiz.0``, ``vamos_module.0`` and ``vamos_module.1`` (whole module).
"""
from __future__ import annotations

import os
from xml.sax.saxutils import quoteattr

from . import content

STUDIO_MARKDOWN = """## Eine Lektion aus Studio

Diese Lektion wurde direkt in Studio geschrieben.

::: tipp Kurz und klar
Schreiben Sie kurze Sätze.
:::
"""


def workbench_module():
    wanted = os.environ.get("VAMOS_WORKBENCH_MODULE", "").strip()
    modules = list(content.catalog())
    if wanted:
        return content.get_module(wanted)
    return modules[0] if modules else None


def _tag(name: str, **attrs: str) -> str:
    return f"<{name} " + " ".join(f"{key}={quoteattr(value)}" for key, value in attrs.items()) + "/>"


def lesson_xml(module, lesson) -> str:
    return _tag("vamos_lesson", display_name=lesson.title, module_id=module.id, lesson_id=lesson.id)


def quiz_xml(module) -> str:
    return _tag("vamos_quiz", display_name="Abschlusstest", module_id=module.id)


def module_xml(module) -> str:
    return _tag("vamos_module", display_name=module.title, module_id=module.id)


def lesson_scenarios():
    module = workbench_module()
    studio = ("VAMOs lesson: Markdown authored in Studio",
              _tag("vamos_lesson", display_name="Lektion aus Studio", markdown=STUDIO_MARKDOWN))
    if module is None or not module.lessons:
        return [("VAMOs lesson: no module installed", _tag("vamos_lesson", module_id="")), studio]
    return [(f"VAMOs lesson: {module.lessons[0].title}", lesson_xml(module, module.lessons[0])), studio]


def quiz_scenarios():
    module = workbench_module()
    if module is None:
        return [("VAMOs quiz: no module installed", _tag("vamos_quiz", module_id=""))]
    return [(f"VAMOs quiz: {module.title}", quiz_xml(module))]


def module_scenarios():
    module = workbench_module()
    if module is None:
        return [("VAMOs module: no module installed", _tag("vamos_module", module_id=""))]
    whole = "\n".join(
        ["<vertical_demo>", "  " + module_xml(module)]
        + ["  " + lesson_xml(module, lesson) for lesson in module.lessons]
        + ["  " + quiz_xml(module), "</vertical_demo>"]
    )
    return [(f"VAMOs module overview: {module.title}", module_xml(module)),
            (f"VAMOs whole module: {module.title}", whole)]
