"""Coordinators' pages (``/coordination…``): dashboard, exports, the organisation register, DSGVO requests and the
audit log; and the learners' organisation choice (``/organisation``). docs/lti.md, "Koordination".

* Every ``coord.*`` route starts with ``current_coordinator()``: no launch session → 401, any role but
  coordinator → 403 (before anything is read). Data is limited to the coordinator's platforms (own + granted);
  asking for another platform is 403, an object of another platform is 404.
* Queries and writers live in ``lti_tool.reports`` / ``vamos_core.reports``; this module parses filters,
  streams responses and writes the audit log.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import date

from flask import (Blueprint, Response, current_app, redirect, render_template, request, send_file, session,
                   stream_with_context)
from sqlalchemy import select

from vamos_core.report_rows import funder_rows
from vamos_core.reports import COMPLETION_COLUMNS, FUNDER_COLUMNS, csv_lines, write_xlsx

from .. import coordination, dsgvo, organisations
from .. import reports as queries
from ..errors import PageError
from ..models import BUNDESLAENDER, ORGANISATION_TYPES, Deployment, Learner, LtiContext, Organisation, Registration
from ..roles import COORDINATOR
from ..sessions import session_url
from .learn import check_csrf

bp = Blueprint("coord", __name__, url_prefix="/coordination")
choice_bp = Blueprint("orgchoice", __name__)

MAX_IMPORT_BYTES = 1024 * 1024


def tool():
    return current_app.extensions["vamos"]


def current_coordinator() -> coordination.Coordinator:
    if not session.get("role") or not session.get("issuer") or not session.get("sub"):
        raise PageError("session_missing", 401, "no launch session")
    if session["role"] != COORDINATOR:
        raise PageError("forbidden", 403, "coordination needs the coordinator role")
    t = tool()
    with t.db.session() as s:
        platforms = coordination.platforms_of(s, session["issuer"], session["sub"])
    return coordination.Coordinator(session["issuer"], session["sub"], platforms,
                                     coordination.actor_hash(t.config.secret_key, session["issuer"], session["sub"]))


def _platform_names(who: coordination.Coordinator) -> dict[str, str]:
    with tool().db.session() as s:
        names = {issuer: name for issuer, name in s.execute(
            select(Registration.issuer, Registration.name).where(Registration.issuer.in_(who.platforms)))}
    return {p: names.get(p) or p for p in who.platforms}


def _courses(who: coordination.Coordinator) -> list[tuple[int, str]]:
    with tool().db.session() as s:
        rows = s.execute(select(LtiContext.id, LtiContext.title, LtiContext.label, Registration.issuer)
                         .join(Deployment, LtiContext.deployment_pk == Deployment.id)
                         .join(Registration, Deployment.registration_id == Registration.id)
                         .where(Registration.issuer.in_(who.platforms)).order_by(LtiContext.title, LtiContext.id))
        return [(pk, title or label or str(pk)) for pk, title, label, _issuer in rows]


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise PageError("bad_form", 400, f"{name} is not a date") from None


def _filters(who: coordination.Coordinator) -> queries.Filters:
    platform = request.args.get("platform", "")
    if platform and not who.may_see(platform):
        raise PageError("forbidden", 403, "platform not granted")
    platforms = [platform] if platform else list(who.platforms)
    module = request.args.get("module", "")
    if module and module not in _titles(who):
        raise PageError("bad_form", 400, "unknown module")
    course = request.args.get("course", "")
    context_pk = None
    if course:
        if not course.isdigit() or int(course) not in {pk for pk, _ in _courses(who)}:
            raise PageError("forbidden", 403, "course not on a granted platform")
        context_pk = int(course)
    organisation: int | str | None = None
    raw_org = request.args.get("organisation", "")
    if raw_org == "none":
        organisation = "none"
    elif raw_org:
        with tool().db.session() as s:
            org = s.get(Organisation, int(raw_org)) if raw_org.isdigit() else None
            if org is None or not who.may_see(org.issuer):
                raise PageError("forbidden", 403, "organisation not on a granted platform")
        organisation = int(raw_org)
    since, until = _date("since"), _date("until")
    if since and until and since > until:
        raise PageError("bad_form", 400, "since after until")
    return queries.Filters(platforms=platforms, modules=[module] if module else [], context_pk=context_pk,
                           organisation=organisation, since=since, until=until)


def _modules(who: coordination.Coordinator) -> list:
    """Every module of the coordinator's platforms, each once (shipped first)."""
    seen: dict[str, object] = {}
    for platform in who.platforms:
        for module in tool().catalog_for(platform):
            seen.setdefault(module.id, module)
    return list(seen.values())


def _titles(who: coordination.Coordinator) -> dict[str, str]:
    """Titles of every module the coordinator's platforms offer (shipped and authored)."""
    return tool().modules.titles(who.platforms)


# ---------------------------------------------------------------- dashboard


def _chart(months: list[dict]) -> dict:
    """Completions per month as bars (server-side SVG; the same data is in a table below the chart)."""
    if not months:
        return {"bars": [], "max": 0}
    counts = {m["month"]: m["completed"] for m in months}
    series = queries.months_between(months[0]["month"], months[-1]["month"])
    top = max(max(counts.values()), 1)
    width, height, left, bottom = 640, 240, 40, 40
    step = (width - left - 10) / max(len(series), 1)
    bars = []
    for i, month in enumerate(series):
        value = counts.get(month, 0)
        bar_height = (height - bottom - 20) * value / top
        bars.append({"month": month, "value": value, "x": left + i * step + step * 0.15, "width": step * 0.7,
                     "y": height - bottom - bar_height, "height": bar_height, "label_x": left + i * step + step / 2})
    return {"bars": bars, "max": top, "width": width, "height": height, "base": height - bottom, "left": left}


@bp.route("")
def dashboard():
    who = current_coordinator()
    filters = _filters(who)
    data = queries.dashboard(tool().db, filters, _titles(who))
    with tool().db.session() as s:
        register = organisations.register(s, list(who.platforms))
    return render_template(
        "coordination.html", data=data, chart=_chart(data.months), filters=filters, args=request.args,
        modules=_modules(who), platforms=_platform_names(who), courses=_courses(who), register=register,
        names_allowed=tool().config.report_allow_names,
    )


# ---------------------------------------------------------------- exports


def _export(kind: str):
    who = current_coordinator()
    filters = _filters(who)
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise PageError("bad_form", 400, "format must be csv or xlsx")
    delimiter = ";" if request.args.get("delimiter") == "semicolon" else ","
    with_names = kind == "completions" and request.args.get("names") == "1" and tool().config.report_allow_names
    db = tool().db
    totals = {m.id: len(m.lessons) for m in _modules(who)}
    with db.session() as s:
        entry = coordination.audit(s, who, f"export_{kind}",
                                   {**filters.describe(), "format": fmt, "names": with_names})
        entry_id = entry.id

    def rows():
        completion = queries.completion_rows(db, filters, totals, with_names)
        if kind == "funder":
            return funder_rows(completion, filters.since, filters.until)
        return completion

    columns = COMPLETION_COLUMNS if kind == "completions" else FUNDER_COLUMNS
    stem = ("abschluesse" if kind == "completions" else "foerderbericht") + f"-{date.today().isoformat()}"
    if fmt == "xlsx":
        handle, path = tempfile.mkstemp(prefix="vamos-export-", suffix=".xlsx")
        os.close(handle)
        try:
            count = write_xlsx(rows(), columns, path, sheet="Abschlüsse" if kind == "completions" else "Förderbericht")
            coordination.finish_audit(db, entry_id, count)
            stream = open(path, "rb")
        finally:
            os.unlink(path)  # the open handle keeps the data until the response is sent
        return send_file(stream, as_attachment=True, download_name=stem + ".xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def generate():
        count = 0

        def counted():
            nonlocal count
            for row in rows():
                count += 1
                yield row

        for chunk in csv_lines(counted(), columns, delimiter):
            yield chunk.encode("utf-8")
        coordination.finish_audit(db, entry_id, count)

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.csv"',
                             "Content-Type": "text/csv; charset=utf-8"})


@bp.route("/export/completions")
def export_completions():
    return _export("completions")


@bp.route("/export/funder")
def export_funder():
    return _export("funder")


# ---------------------------------------------------------------- organisation register


def _own_org(who: coordination.Coordinator, org_id: int) -> Organisation:
    with tool().db.session() as s:
        org = s.get(Organisation, org_id)
    if org is None or not who.may_see(org.issuer):
        raise PageError("not_found", 404, "organisation not on a granted platform")
    return org


def _register_page(who, form=None, errors=None, edit: Organisation | None = None, imported=None, status=200):
    with tool().db.session() as s:
        register = organisations.register(s, list(who.platforms))
    return render_template(
        "organisations.html", register=register, form=form or {}, errors=errors or {}, edit=edit,
        imported=imported, types=ORGANISATION_TYPES, laender=BUNDESLAENDER, platforms=_platform_names(who),
    ), status


@bp.route("/organisations")
def organisations_list():
    return _register_page(current_coordinator())


def _platform_of_form(who) -> str:
    platform = request.form.get("platform") or who.issuer
    if not who.may_see(platform):
        raise PageError("forbidden", 403, "platform not granted")
    return platform


@bp.route("/organisations", methods=["POST"])
def organisations_create():
    who = current_coordinator()
    check_csrf()
    platform = _platform_of_form(who)
    data = organisations.check(request.form.get("name"), request.form.get("type"), request.form.get("city"),
                               request.form.get("bundesland"))
    if data.ok:
        try:
            with tool().db.session() as s:
                organisations.save(s, platform, data)
        except ValueError:
            data.errors["duplicate"] = True
    if not data.ok:
        return _register_page(who, request.form, data.errors, status=400)
    return redirect(session_url("coord.organisations_list") + "#register", 303)


@bp.route("/organisations/<int:org_id>")
def organisations_edit(org_id: int):
    who = current_coordinator()
    org = _own_org(who, org_id)
    return _register_page(who, {"name": org.name, "type": org.type, "city": org.city,
                                "bundesland": org.bundesland}, edit=org)


@bp.route("/organisations/<int:org_id>", methods=["POST"])
def organisations_update(org_id: int):
    who = current_coordinator()
    org = _own_org(who, org_id)
    check_csrf()
    data = organisations.check(request.form.get("name"), request.form.get("type"), request.form.get("city"),
                               request.form.get("bundesland"))
    if data.ok:
        try:
            with tool().db.session() as s:
                organisations.save(s, org.issuer, data, org.id)
        except ValueError:
            data.errors["duplicate"] = True
    if not data.ok:
        return _register_page(who, request.form, data.errors, edit=org, status=400)
    return redirect(session_url("coord.organisations_list") + "#register", 303)


@bp.route("/organisations/<int:org_id>/delete", methods=["POST"])
def organisations_delete(org_id: int):
    who = current_coordinator()
    org = _own_org(who, org_id)
    check_csrf()
    with tool().db.session() as s:
        organisations.delete(s, org.id)
    return redirect(session_url("coord.organisations_list") + "#register", 303)


@bp.route("/organisations/import", methods=["POST"])
def organisations_import():
    who = current_coordinator()
    check_csrf()
    platform = _platform_of_form(who)
    upload = request.files.get("file")
    raw = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
    if not raw or len(raw) > MAX_IMPORT_BYTES:
        return _register_page(who, errors={"file": True}, status=400)
    with tool().db.session() as s:
        result = organisations.import_csv(s, platform, raw)
        if not result.problems:
            coordination.audit(s, who, "import_organisations", {"platform": platform},
                               result.created + result.updated)
    return _register_page(who, imported=result, status=400 if result.problems else 200)


# ---------------------------------------------------------------- DSGVO


def _learner(who, pseudonym: str) -> Learner:
    with tool().db.session() as s:
        learner = dsgvo.find(s, pseudonym, who.platforms)
    if learner is None or learner.sub.startswith(dsgvo.ANONYMOUS_PREFIX):
        raise PageError("not_found", 404, "no such learner on a granted platform")
    return learner


@bp.route("/learners")
def learners():
    who = current_coordinator()
    query = request.args.get("q", "").strip()[:100]
    found = report = None
    if query:
        with tool().db.session() as s:
            found = dsgvo.find(s, query, who.platforms)
            if found is not None and found.sub.startswith(dsgvo.ANONYMOUS_PREFIX):
                found = None
            if found is not None:
                report = dsgvo.access_report(s, found)
    erased = request.args.get("geloescht") == "1"
    return render_template("dsgvo.html", query=query, found=found, report=report, erased=erased,
                           titles=_titles(who)), 200 if found or not query else 404


@bp.route("/learners/<pseudonym>/export.json")
def learner_export(pseudonym: str):
    who = current_coordinator()
    learner = _learner(who, pseudonym)
    with tool().db.session() as s:
        data = dsgvo.access_report(s, s.get(Learner, learner.id))
        coordination.audit(s, who, "dsgvo_access", {"pseudonym": learner.pseudonym}, 1)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="auskunft-{learner.pseudonym}.json"'})


@bp.route("/learners/<pseudonym>/erase", methods=["POST"])
def learner_erase(pseudonym: str):
    who = current_coordinator()
    learner = _learner(who, pseudonym)
    check_csrf()
    if request.form.get("confirm") != "1":
        with tool().db.session() as s:
            report = dsgvo.access_report(s, s.get(Learner, learner.id))
        return render_template("dsgvo.html", query=pseudonym, found=learner, report=report, erased=False,
                               confirm_error=True, titles=_titles(who)), 400
    with tool().db.session() as s:
        counts = dsgvo.erase(s, s.get(Learner, learner.id))
        coordination.audit(s, who, "dsgvo_erasure", {"pseudonym": learner.pseudonym, **counts},
                           sum(counts.values()))
    return redirect(session_url("coord.learners", geloescht="1"), 303)


# ---------------------------------------------------------------- audit log


@bp.route("/audit")
def audit_log():
    who = current_coordinator()
    with tool().db.session() as s:
        rows = coordination.entries(s, who.platforms)
    return render_template("audit.html", rows=[(r, json.loads(r.details)) for r in rows])


# ---------------------------------------------------------------- learners: organisation choice


def _safe_next() -> str:
    target = request.values.get("next", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return session_url("pages.start")
    return target


def _person():
    if not session.get("role") or not session.get("issuer") or not session.get("sub"):
        raise PageError("session_missing", 401, "no launch session")
    with tool().db.session() as s:
        learner = s.scalars(select(Learner).where(Learner.issuer == session["issuer"],
                                                  Learner.sub == session["sub"])).first()
        if learner is None:
            raise PageError("session_missing", 401, "no learner row for this launch")
        register = organisations.register(s, [learner.issuer])
        link = s.get(organisations.LearnerOrganisation, learner.id)
        current = link.organisation_id if link else None
    return learner, register, current


@choice_bp.route("/organisation")
def choose():
    _learner_row, register, current = _person()
    return render_template("organisation_choice.html", register=register, current=current, next=_safe_next(),
                           error=False)


@choice_bp.route("/organisation", methods=["POST"])
def choose_post():
    learner, register, current = _person()
    check_csrf()
    value = request.form.get("organisation", "")
    organisation_id = None
    if value and value != "none":
        ids = {o.id for o in register}
        if not value.isdigit() or int(value) not in ids:
            return render_template("organisation_choice.html", register=register, current=current,
                                   next=_safe_next(), error=True), 400
        organisation_id = int(value)
    with tool().db.session() as s:
        organisations.choose(s, learner.id, organisation_id)
    return redirect(_safe_next(), 303)
