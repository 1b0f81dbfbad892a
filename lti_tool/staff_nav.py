"""The role-aware header of trainers and coordinators: their pages one click from every page a launch reaches.

Learners get nothing from here. Trainers (and coordinators, who may do everything trainers do) see the course
tools; coordinators also the coordination pages. "Module bearbeiten" appears only when the authoring blueprint
is installed (``authoring.index``), so this header works with or without it.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, session
from flask_babel import lazy_gettext as _l

from .launch_validation import DEEP_LINKING_REQUEST
from .roles import COORDINATOR, TRAINER
from .sessions import session_url


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class NavGroup:
    label: str
    links: list[NavLink]


def _link(label, endpoint: str, current_endpoints: tuple[str, ...], anchor: str = "", **values) -> NavLink:
    current = request.endpoint in current_endpoints and not anchor
    return NavLink(str(label), session_url(endpoint, **values) + anchor, current)


def _learner_view() -> NavLink:
    module_id = session.get("module_id")
    if module_id:
        return _link(_l("Lernende-Ansicht"), "learn.module", ("learn.module", "learn.lesson", "learn.quiz"),
                     module_id=module_id)
    return _link(_l("Lernende-Ansicht"), "pages.start", ("pages.start",))


def _placement() -> NavLink:
    # A Deep Linking launch places with the catalogue; any other launch gets the placement guide.
    if session.get("message_type") == DEEP_LINKING_REQUEST:
        return _link(_l("Module platzieren"), "adv.deep_linking", ("adv.deep_linking", "adv.deep_linking_post"))
    return _link(_l("Module platzieren"), "pages.placement", ("pages.placement",))


def staff_groups() -> list[NavGroup]:
    role = session.get("role")
    if role not in (TRAINER, COORDINATOR) or not session.get("issuer"):
        return []
    course = [
        _learner_view(),
        _link(_l("Teilnehmende"), "adv.roster", ("adv.roster", "interventions.learner")),
        _link(_l("Bewertungen"), "adv.scores", ("adv.scores",)),
        _placement(),
    ]
    if "authoring.index" in current_app.view_functions:
        editor_pages = tuple(e for e in current_app.view_functions if e.startswith("authoring."))
        course.append(_link(_l("Module bearbeiten"), "authoring.index", editor_pages))
    groups = [NavGroup(str(_l("Kurs")), course)]
    if role == COORDINATOR:
        groups.append(NavGroup(str(_l("Koordination")), [
            _link(_l("Übersicht"), "coord.dashboard", ("coord.dashboard",)),
            _link(_l("Berichte"), "coord.dashboard", (), anchor="#export"),
            _link(_l("Organisationen"), "coord.organisations_list",
                  ("coord.organisations_list", "coord.organisations_edit")),
            _link(_l("Zertifikate"), "certs.course_list", ("certs.course_list", "certs.course_detail")),
            _link(_l("Datenschutz"), "coord.learners", ("coord.learners",)),
            _link(_l("Protokoll"), "coord.audit_log", ("coord.audit_log",)),
        ]))
    return groups


def init_app(app: Flask) -> None:
    @app.context_processor
    def staff_navigation():
        return {"staff_groups": staff_groups}
