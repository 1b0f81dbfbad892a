"""Scenarios for the XBlock SDK workbench (``make workbench``): each block alone and one whole module.

The scenarios carry the content in their XML exactly as ``vamos build-olx`` writes it (the blocks read nothing
from the package at run time). The module shown is ``VAMOS_WORKBENCH_MODULE`` or else the first valid module of
the content folder (``VAMOS_CONTENT_DIR`` or the packaged course content). Scenario ids in the workbench are
``vamos_lesson.0``, ``vamos_quiz.0``, ``vamos_module.0`` (the whole module: overview, lessons, quiz).
"""
from __future__ import annotations

import os
from xml.etree import ElementTree as ET

from . import content


def workbench_module():
    wanted = os.environ.get("VAMOS_WORKBENCH_MODULE", "").strip()
    if wanted:
        return content.get_module(wanted)
    modules = list(content.catalog())
    return modules[0] if modules else None


def _xml(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode")


def lesson_element(module, lesson) -> ET.Element:
    from vamos_core.block_fields import lesson_fields
    from vamos_core.olx import write_block_element

    element = ET.Element("vamos_lesson")
    write_block_element(element, "vamos_lesson", lesson_fields(module, lesson))
    return element


def quiz_element(module) -> ET.Element:
    from vamos_core.block_fields import quiz_fields
    from vamos_core.olx import write_block_element

    element = ET.Element("vamos_quiz")
    write_block_element(element, "vamos_quiz", quiz_fields(module))
    return element


def module_element(module) -> ET.Element:
    from vamos_core.block_fields import module_fields
    from vamos_core.olx import write_block_element

    element = ET.Element("vamos_module")
    write_block_element(element, "vamos_module", module_fields(module))
    for lesson in module.lessons:
        element.append(lesson_element(module, lesson))
    if module.quiz.questions:
        element.append(quiz_element(module))
    return element


def lesson_scenarios():
    module = workbench_module()
    if module is None or not module.lessons:
        return [("VAMOs lesson: no module installed", '<vamos_lesson display_name="Lektion"/>')]
    return [(f"VAMOs lesson: {module.lessons[0].title}", _xml(lesson_element(module, module.lessons[0])))]


def quiz_scenarios():
    module = workbench_module()
    if module is None:
        return [("VAMOs quiz: no module installed", '<vamos_quiz display_name="Abschlusstest"/>')]
    return [(f"VAMOs quiz: {module.title}", _xml(quiz_element(module)))]


def module_scenarios():
    module = workbench_module()
    if module is None:
        return [("VAMOs module: no module installed", '<vamos_module display_name="Modul"/>')]
    return [(f"VAMOs whole module: {module.title}", _xml(module_element(module)))]
