"""cmi5 course package: ``cmi5.xml`` (cmi5 course structure, namespace ``https://w3id.org/xapi/profiles/cmi5/v1/
CourseStructure.xsd`` of the quartz edition) with one AU per module: the player, ``launchMethod="AnyWindow"``.

* Course, AU and objective ids are the xAPI activity ids of ``vamos_core.xapi`` (``…:module:{id}``, the AU
  ``…:module:{id}:au``): the LTI tool, the XBlocks and the package report the same module under the same ids.
* ``moveOn`` follows the completion rule: ``CompletedAndPassed`` when the test must be passed, else
  ``Completed``; ``masteryScore`` is the passing score (0..1). An LMS may override the mastery score at launch
  (``LMS.LaunchData``): the runtime then uses the LMS's value, as cmi5 requires.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ..model import Module
from ..xapi import activity_id
from . import PackageOptions
from .player import player_files

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"  # cmi5 quartz, section 13.2


def au_id(activity_base: str, module: Module) -> str:
    return activity_id(activity_base, module.id, "au")


def _text(parent: ET.Element, tag: str, value: str, lang: str) -> None:
    element = ET.SubElement(parent, f"{{{NS}}}{tag}")
    ET.SubElement(element, f"{{{NS}}}langstring", lang=lang).text = value


def course_structure(module: Module, activity_base: str) -> bytes:
    ET.register_namespace("", NS)
    lang = "de-DE" if module.language.lower().startswith("de") else module.language
    root = ET.Element(f"{{{NS}}}courseStructure")
    course = ET.SubElement(root, f"{{{NS}}}course", id=activity_id(activity_base, module.id))
    _text(course, "title", module.title, lang)
    _text(course, "description", module.summary, lang)
    if module.objectives:
        objectives = ET.SubElement(root, f"{{{NS}}}objectives")
        for objective in module.objectives:
            element = ET.SubElement(objectives, f"{{{NS}}}objective",
                                    id=activity_id(activity_base, module.id, "objective", objective.id))
            _text(element, "title", objective.text[:250], lang)
            _text(element, "description", objective.text, lang)
    required_pass = module.completion.require_quiz_pass and bool(module.quiz.questions)
    attrs = {"id": au_id(activity_base, module), "moveOn": "CompletedAndPassed" if required_pass else "Completed",
             "launchMethod": "AnyWindow"}
    if module.quiz.questions:
        attrs["masteryScore"] = f"{module.completion.passing_score / 100:.4g}"
    au = ET.SubElement(root, f"{{{NS}}}au", attrs)
    _text(au, "title", module.title, lang)
    _text(au, "description", module.summary, lang)
    if module.objectives:
        refs = ET.SubElement(au, f"{{{NS}}}objectives")
        for objective in module.objectives:
            ET.SubElement(refs, f"{{{NS}}}objective",
                          idref=activity_id(activity_base, module.id, "objective", objective.id))
    ET.SubElement(au, f"{{{NS}}}url").text = "index.html"
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def files(module: Module, options: PackageOptions) -> dict[str, bytes]:
    out = player_files(module, "runtime-cmi5.js", options.activity_base, options.certificate_url)
    out["cmi5.xml"] = course_structure(module, options.activity_base)
    return out
