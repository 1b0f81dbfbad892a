"""Reading aids around the lessons (issue 17): search across a module, a lesson's print view.

The rules live in the core (``vamos_core.search``; rendering as on the lesson page); these views only check
the launch session like every learner page (``learn.visit``) and render.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from vamos_core.rendering import render_lesson
from vamos_core.search import MIN_QUERY, search

from .learn import lesson_of, visit

bp = Blueprint("reading", __name__)


@bp.get("/module/<module_id>/search")
def module_search(module_id: str):
    v = visit(module_id)
    query = request.args.get("q", "")
    query = query if isinstance(query, str) else ""
    results = search(v.module, query, str(get_locale() or "de")) if len(query.strip()) >= MIN_QUERY else None
    return render_template("search.html", module=v.module, results=results, query=query.strip()[:100],
                           min_query=MIN_QUERY)


@bp.get("/module/<module_id>/lesson/<lesson_id>/print")
def lesson_print(module_id: str, lesson_id: str):
    v = visit(module_id)
    lesson = lesson_of(v, lesson_id)
    module = v.module
    objectives = {o.id: o.text for o in module.objectives}
    return render_template(
        "lesson_print.html", module=module, lesson=lesson,
        rendered=render_lesson(module, lesson, f"{request.script_root}/media/{module.id}"),
        number=module.lesson_index(lesson.id) + 1, total=len(module.lessons),
        objectives=[objectives[o] for o in lesson.objectives if o in objectives])
