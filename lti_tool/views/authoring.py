"""Trainers write modules in the browser: list, editor pages, preview, publish, history, ZIP in and out.

Thin over ``lti_tool.authoring.service`` (use cases, roles, audit) and ``vamos_core.authoring`` (format,
validation, ids, ZIPs). Every page works without JavaScript; ``static/authoring.js`` adds autosave, the
Markdown toolbar and the live preview. Every POST checks the session's CSRF token; trainers write,
coordinators read; a module of another platform answers 404.
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, Response, session
from flask_babel import gettext as _

from vamos_core.authoring import document
from vamos_core.authoring.preview import preview_lesson, reading_figures
from vamos_core.grading import InvalidAnswer, grade_question

from .. import coordination
from ..authoring import forms
from ..authoring.service import Author, Conflict, NotFound, NotPublishable, Refused
from ..errors import LaunchError, PageError
from ..roles import COORDINATOR, TRAINER
from ..sessions import session_url
from .learn import check_csrf

bp = Blueprint("authoring", __name__, url_prefix="/authoring")

UPLOAD_LIMIT = 42 * 1024 * 1024  # ZIP imports (40 MB) and media (≤ 10 MB) plus form overhead


def tool():
    return current_app.extensions["vamos"]


def service():
    return tool().authoring


@bp.before_request
def _limits():
    # The tool's global limit (256 KB) fits id_tokens and forms; uploads here need more.
    if request.endpoint in ("authoring.upload", "authoring.import_zip"):
        request.max_content_length = UPLOAD_LIMIT
    else:
        request.max_content_length = 2 * 1024 * 1024


@bp.errorhandler(NotFound)
def _not_found(_exc):
    # Another platform's module does not exist for this caller: the same German 404 page as any refusal.
    return current_app.handle_user_exception(PageError("authored_not_found", 404, "authored module not on this platform"))


def _launch() -> None:
    if not session.get("role") or not session.get("issuer") or not session.get("sub"):
        raise LaunchError("session_missing", 401, "no launch session")


def readers(view):
    """Trainers and coordinators of the platform may look."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        _launch()
        if session["role"] not in (TRAINER, COORDINATOR):
            raise PageError("trainers_only", 403, "learner on an authoring page")
        return view(*args, **kwargs)
    return wrapped


def writers(view):
    """Only trainers change modules; every change is a POST with the session's CSRF token."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        _launch()
        if session["role"] != TRAINER:
            raise PageError("trainers_only", 403, "not a trainer")
        if request.method == "POST":
            check_csrf()
        return view(*args, **kwargs)
    return wrapped


def author() -> Author:
    return Author(session["issuer"], session["sub"], session.get("registration_id"),
                  coordination.actor_hash(tool().config.secret_key, session["issuer"], session["sub"]))


def _revision() -> int:
    raw = request.form.get("revision", "")
    if not raw.isdigit():
        raise PageError("bad_form", 400, "revision missing")
    return int(raw)


def _autosave() -> bool:
    return request.form.get("autosave") == "1"


def _edit_url(module_id: str, **values) -> str:
    return session_url("authoring.edit", module_id=module_id, **values)


# ---------------------------------------------------------------- list, create, copy, import


@bp.route("/")
@readers
def index(problems=None, error=None, status=200):
    issuer = session["issuer"]
    return render_template(
        "authoring/index.html", shipped=list(tool().catalog), own=service().modules(issuer),
        can_write=session["role"] == TRAINER, problems=problems or [], error=error,
        deep_linking=session.get("message_type") == "LtiDeepLinkingRequest",
    ), status


@bp.route("/new", methods=["POST"])
@writers
def create():
    try:
        module_id = service().create(author(), request.form.get("title", ""))
    except Refused as exc:
        return index(error=str(exc), status=400)
    return redirect(_edit_url(module_id), 303)


@bp.route("/copy/<source_id>", methods=["POST"])
@writers
def copy(source_id: str):
    module_id = service().copy(author(), source_id)
    return redirect(_edit_url(module_id), 303)


@bp.route("/import", methods=["POST"])
@writers
def import_zip():
    upload = request.files.get("archive")
    if upload is None or not upload.filename:
        return index(error=_("Bitte wählen Sie eine ZIP-Datei aus."), status=400)
    try:
        module_id = service().import_zip(author(), upload.read())
    except Refused as exc:
        return index(error=str(exc), problems=exc.problems, status=400)
    return redirect(_edit_url(module_id), 303)


# ---------------------------------------------------------------- the module editor


def _editor(module_id: str, result=None, status: int = 200, error: str | None = None, published: int | None = None):
    draft = service().draft(session["issuer"], module_id)
    result = result or service().check(draft.doc)
    return render_template(
        "authoring/module.html", draft=draft, doc=draft.doc, module=draft.doc["module"], result=result,
        problems_by_anchor=_by_anchor(result), error=error, can_write=session["role"] == TRAINER,
        published=published or request.args.get("veroeffentlicht", type=int),
        files=sorted(draft.doc.get("files", {}).items()),
    ), status


def _by_anchor(result) -> dict[str, list]:
    out: dict[str, list] = {}
    for problem in result.problems:
        out.setdefault(problem.anchor, []).append(problem)
    return out


@bp.route("/<module_id>/")
@readers
def edit(module_id: str):
    return _editor(module_id)


def _save(module_id: str, change, back: str):
    """Save a form's change; autosave answers JSON; a conflict shows both versions; problems stay visible."""
    try:
        saved = service().save(author(), module_id, _revision(), change)
    except Conflict as exc:
        return _conflict(module_id, exc, change)
    except Refused as exc:
        if _autosave():
            return jsonify({"error": str(exc)}), 400
        return _editor(module_id, status=400, error=str(exc))
    if _autosave():
        return jsonify({"revision": saved.revision, "saved": True,
                        "problems": [{"anchor": p.anchor, "label": p.label, "message": p.message}
                                     for p in saved.result.problems]})
    return redirect(back, 303)


def _conflict(module_id: str, exc: Conflict, change):
    from vamos_core.authoring.diff import diff_documents

    if _autosave():
        return jsonify({"conflict": True, "error": _(
            "Jemand hat diesen Entwurf inzwischen gespeichert. Ihre Eingaben sind noch hier: "
            "Klicken Sie auf „Speichern“, um beide Fassungen zu vergleichen.")}), 409
    mine = service().apply_preview(session["issuer"], module_id, change)
    fields = [(k, v) for k in request.form.keys() if k not in ("revision", "csrf", "ls", "autosave")
              for v in request.form.getlist(k)]
    return render_template(
        "authoring/conflict.html", field_name=forms.field_name, current=exc.current, changes=diff_documents(exc.current.doc, mine),
        fields=fields, action=request.path, module_id=module_id,
    ), 409


@bp.route("/<module_id>/module", methods=["POST"])
@writers
def save_module(module_id: str):
    anchor = "#module-objectives" if request.form.get("action") == "add_objective" else ""
    return _save(module_id, forms.module_change(request.form), _edit_url(module_id) + anchor)


@bp.route("/<module_id>/sources", methods=["POST"])
@writers
def save_sources(module_id: str):
    return _save(module_id, forms.sources_change(request.form), _edit_url(module_id) + "#module-sources")


@bp.route("/<module_id>/glossary", methods=["POST"])
@writers
def save_glossary(module_id: str):
    return _save(module_id, forms.glossary_change(request.form), _edit_url(module_id) + "#glossary-terms")


@bp.route("/<module_id>/items", methods=["POST"])
@writers
def items(module_id: str):
    """Add, move and delete lessons and questions (list operations of the module page)."""
    action, item = request.form.get("action", ""), request.form.get("item", "")
    target: dict = {}

    def change(doc: dict) -> None:
        lessons, questions = doc["lessons"], document.questions(doc)
        if action == "add_lesson":
            target["lesson"] = document.add_lesson(doc, request.form.get("title", "").strip() or _("Neue Lektion"))["meta"]["id"]
        elif action == "add_question":
            target["question"] = document.add_question(doc, "multiple" if request.form.get("type") == "multiple" else "single")["id"]
        elif action in ("lesson_up", "lesson_down", "lesson_delete"):
            index = next((i for i, l in enumerate(lessons) if l["meta"].get("id") == item), None)
            if index is None:
                raise Refused(_("Diese Lektion gibt es nicht mehr."))
            if action == "lesson_delete":
                lessons.pop(index)
            else:
                document.move(lessons, index, -1 if action == "lesson_up" else 1)
        elif action in ("question_up", "question_down", "question_delete"):
            index = next((i for i, q in enumerate(questions) if q.get("id") == item), None)
            if index is None:
                raise Refused(_("Diese Frage gibt es nicht mehr."))
            if action == "question_delete":
                questions.pop(index)
            else:
                document.move(questions, index, -1 if action == "question_up" else 1)
        else:
            raise Refused(_("Unbekannte Aktion."))

    response = _save(module_id, change, _edit_url(module_id) + ("#lektionen" if "lesson" in action else "#fragen"))
    if target.get("lesson") and getattr(response, "status_code", 0) == 303:
        return redirect(session_url("authoring.lesson", module_id=module_id, lesson_id=target["lesson"]), 303)
    if target.get("question") and getattr(response, "status_code", 0) == 303:
        return redirect(session_url("authoring.question", module_id=module_id, question_id=target["question"]), 303)
    return response


# ---------------------------------------------------------------- lessons


def _media_url(module_id: str):
    sid = getattr(session, "sid", "") or ""
    return lambda path: session_url("authoring.draft_file", module_id=module_id, relative=path) if sid else path


@bp.route("/<module_id>/lessons/<lesson_id>")
@readers
def lesson(module_id: str, lesson_id: str, status: int = 200):
    draft = service().draft(session["issuer"], module_id)
    entry = forms.find_lesson(draft.doc, lesson_id)
    if entry is None:
        raise PageError("authored_not_found", 404, "lesson not in draft")
    index = draft.doc["lessons"].index(entry)
    result = service().check(draft.doc)
    words, minutes = reading_figures(entry["body"])
    return render_template(
        "authoring/lesson.html", draft=draft, doc=draft.doc, lesson=entry, index=index, result=result,
        problems=result.for_section("lesson", index), rendered=preview_lesson(draft.doc, entry["body"], _media_url(module_id)),
        words=words, reading_minutes=minutes, can_write=session["role"] == TRAINER,
        downloads=[(p, m) for p, m in sorted(draft.doc.get("files", {}).items()) if not m.get("type", "").startswith("image/")],
        images=[(p, m) for p, m in sorted(draft.doc.get("files", {}).items()) if m.get("type", "").startswith("image/")],
    ), status


@bp.route("/<module_id>/lessons/<lesson_id>", methods=["POST"])
@writers
def lesson_save(module_id: str, lesson_id: str):
    back = session_url("authoring.lesson", module_id=module_id, lesson_id=lesson_id)
    return _save(module_id, forms.lesson_change(request.form, lesson_id), back + "#vorschau")


@bp.route("/<module_id>/preview-text", methods=["POST"])
@writers
def preview_text(module_id: str):
    """Live preview (JavaScript): the posted Markdown rendered by the core, nothing stored."""
    draft = service().draft(session["issuer"], module_id)
    body = request.form.get("body", "")
    rendered = preview_lesson(draft.doc, body, _media_url(module_id))
    words, minutes = reading_figures(body)
    html = render_template("authoring/_rendered.html", rendered=rendered)
    return jsonify({"html": html, "words": words, "minutes": minutes})


@bp.route("/<module_id>/files/<path:relative>")
@readers
def draft_file(module_id: str, relative: str):
    draft = service().draft(session["issuer"], module_id)
    meta = draft.doc.get("files", {}).get(relative)
    if meta is None:
        raise PageError("not_found", 404, "no such draft file")
    response = Response(service().blob(meta["sha256"]), mimetype=meta.get("type") or "application/octet-stream")
    if request.args.get("download") == "1" or not meta.get("type", "").startswith("image/"):
        response.headers["Content-Disposition"] = f'attachment; filename="{relative.rsplit("/", 1)[-1]}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@bp.route("/<module_id>/files", methods=["POST"])
@writers
def upload(module_id: str):
    kind = "image" if request.form.get("kind") == "image" else "download"
    file = request.files.get("file")
    if file is None or not file.filename:
        return _editor(module_id, status=400, error=_("Bitte wählen Sie eine Datei aus."))
    try:
        path, _saved = service().add_media(author(), module_id, _revision(), kind, file.read(), file.filename,
                                           request.form.get("text", ""))
    except Refused as exc:
        return _editor(module_id, status=400, error=str(exc))
    except Conflict:
        return _editor(module_id, status=409, error=_("Jemand hat den Entwurf inzwischen gespeichert. Bitte laden Sie die Datei noch einmal hoch."))
    return redirect(_edit_url(module_id, datei=path) + "#dateien", 303)


@bp.route("/<module_id>/files/delete", methods=["POST"])
@writers
def delete_file(module_id: str):
    return _save(module_id, forms.remove_media_change(request.form.get("path", "")), _edit_url(module_id) + "#dateien")


# ---------------------------------------------------------------- questions


@bp.route("/<module_id>/questions/<question_id>")
@readers
def question(module_id: str, question_id: str):
    draft = service().draft(session["issuer"], module_id)
    entry = forms.find_question(draft.doc, question_id)
    if entry is None:
        raise PageError("authored_not_found", 404, "question not in draft")
    index = document.questions(draft.doc).index(entry)
    result = service().check(draft.doc)
    return render_template("authoring/question.html", draft=draft, doc=draft.doc, question=entry, index=index,
                           problems=result.for_section("question", index), can_write=session["role"] == TRAINER)


@bp.route("/<module_id>/questions/<question_id>", methods=["POST"])
@writers
def question_save(module_id: str, question_id: str):
    back = session_url("authoring.question", module_id=module_id, question_id=question_id)
    return _save(module_id, forms.question_change(request.form, question_id), back)


# ---------------------------------------------------------------- preview as learner (nothing recorded)


@bp.route("/<module_id>/preview")
@bp.route("/<module_id>/preview/<lesson_id>")
@readers
def preview(module_id: str, lesson_id: str | None = None):
    draft = service().draft(session["issuer"], module_id)
    lessons = draft.doc["lessons"]
    entry = forms.find_lesson(draft.doc, lesson_id) if lesson_id else None
    if lesson_id and entry is None:
        raise PageError("authored_not_found", 404, "lesson not in draft")
    rendered = preview_lesson(draft.doc, entry["body"], _media_url(module_id)) if entry else None
    index = lessons.index(entry) if entry else None
    return render_template("authoring/preview.html", draft=draft, doc=draft.doc, module=draft.doc["module"],
                           lesson=entry, index=index, rendered=rendered, lessons=lessons)


@bp.route("/<module_id>/preview/quiz", methods=["GET", "POST"])
@readers
def preview_quiz(module_id: str):
    draft = service().draft(session["issuer"], module_id)
    result = service().check(draft.doc)
    graded = None
    if request.method == "POST" and result.module is not None:
        check_csrf()
        graded = {}
        for q in result.module.quiz.questions:
            try:
                graded[q.id] = grade_question(q, request.form.getlist(f"q-{q.id}"))
            except InvalidAnswer:
                graded[q.id] = None
    return render_template("authoring/preview_quiz.html", draft=draft, doc=draft.doc, module=result.module,
                           result=result, graded=graded)


# ---------------------------------------------------------------- publish, history, rollback, archive, export


@bp.route("/<module_id>/publish", methods=["POST"])
@writers
def publish(module_id: str):
    try:
        number = service().publish(author(), module_id, _revision(), request.form.get("note", ""))
    except NotPublishable as exc:
        return _editor(module_id, result=exc.result, status=400, error=str(exc))
    except Refused as exc:
        return _editor(module_id, status=400, error=str(exc))
    except Conflict:
        return _editor(module_id, status=409, error=_(
            "Jemand hat den Entwurf inzwischen geändert. Bitte prüfen Sie den aktuellen Stand und veröffentlichen Sie dann erneut."))
    return redirect(_edit_url(module_id, veroeffentlicht=number), 303)


@bp.route("/<module_id>/history")
@readers
def history(module_id: str):
    draft = service().draft(session["issuer"], module_id)
    return render_template("authoring/history.html", draft=draft, versions=service().versions(session["issuer"], module_id),
                           draft_changes=service().draft_changes(session["issuer"], module_id),
                           can_write=session["role"] == TRAINER)


@bp.route("/<module_id>/history/<int:number>")
@readers
def version(module_id: str, number: int):
    draft = service().draft(session["issuer"], module_id)
    versions = {v.number: v for v in service().versions(session["issuer"], module_id)}
    if number not in versions:
        raise PageError("authored_not_found", 404, "no such version")
    return render_template("authoring/version.html", draft=draft, version=versions[number],
                           changes=service().changes(session["issuer"], module_id, number),
                           can_write=session["role"] == TRAINER)


@bp.route("/<module_id>/history/<int:number>/rollback", methods=["POST"])
@writers
def rollback(module_id: str, number: int):
    try:
        new_number = service().rollback(author(), module_id, number, request.form.get("note", ""))
    except Refused as exc:
        return _editor(module_id, status=400, error=str(exc))
    return redirect(_edit_url(module_id, veroeffentlicht=new_number), 303)


@bp.route("/<module_id>/status", methods=["POST"])
@writers
def status(module_id: str):
    action = request.form.get("action")
    try:
        if action == "archive":
            service().archive(author(), module_id)
        elif action == "restore":
            service().restore(author(), module_id)
        elif action == "delete":
            service().delete(author(), module_id)
            return redirect(session_url("authoring.index"), 303)
        else:
            raise PageError("bad_form", 400, "unknown status action")
    except Refused as exc:
        return _editor(module_id, status=400, error=str(exc))
    return redirect(_edit_url(module_id), 303)


@bp.route("/<module_id>/export")
@readers
def export(module_id: str):
    number = request.args.get("version", type=int)
    filename, data = service().export_zip(session["issuer"], module_id, number)
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
