"""Coordinators' pages (``/coordination…``): dashboard, exports, the organisation register, DSGVO requests and the
audit log; and the learners' organisation choice (``/organisation``). docs/lti.md, "Koordination".

* Every ``coord.*`` route starts with ``current_coordinator()``: no launch session → 401, any role but
  coordinator → 403 (before anything is read). Data is limited to the coordinator's platforms (own + granted);
  asking for another platform is 403, an object of another platform is 404.
* Queries and writers live in ``lti_tool.reports`` / ``vamos_core.reports``; this module parses filters,
  streams responses and writes the audit log.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from datetime import date

from flask import (Blueprint, Response, current_app, redirect, render_template, request, send_file, session,
                   stream_with_context)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from vamos_core.report_rows import anonymise_rows, funder_rows, named_rows, report_pseudonymiser, whole_months
from vamos_core.reports import (COMPLETION_COLUMNS, FUNDER_COLUMNS, PSEUDONYMOUS_COMPLETION_COLUMNS, csv_lines,
                                write_xlsx)

from .. import coordination, dsgvo, organisations
from .. import reports as queries
from ..errors import PageError
from ..models import BUNDESLAENDER, ORGANISATION_TYPES, Deployment, Learner, LtiContext, Organisation, Registration
from ..roles import COORDINATOR
from ..safe_redirect import local_target
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

def N_(text: str) -> str:
    return text


# The core's German export headings (vamos_core.reports), listed here so pybabel extracts them for the catalogs.
EXPORT_HEADINGS = (N_("Lernende*r"), N_("Organisation"), N_("Modul"), N_("Begonnen am"), N_("Lektionen abgeschlossen"),
                   N_("Lektionen gesamt"), N_("Quiz-Ergebnis (%)"), N_("Abgeschlossen am"), N_("Zertifikatscode"),
                   N_("Zertifikat"), N_("Bundesland"), N_("Monat"), N_("Begonnen"), N_("Abgeschlossen"),
                   N_("Zertifikate"))


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
    if kind == "funder":  # whole months (report_rows.whole_months): overlapping periods cannot be subtracted
        since, until = whole_months(filters.since, filters.until)
        filters = dataclasses.replace(filters, since=since, until=until)
    with db.session() as s:
        entry = coordination.audit(s, who, f"export_{kind}",
                                   {**filters.describe(), "format": fmt, "names": with_names})
        entry_id = entry.id
    # A pseudonym key of this export alone: two exports cannot be joined by pseudonym.
    pseudonym = report_pseudonymiser(tool().config.secret_key.encode("utf-8"), f"export_{kind}", str(entry_id))

    def rows():
        completion = queries.completion_rows(db, filters, totals, with_names,
                                             module_titles={m.id: m.title for m in tool().catalog})
        if kind == "funder":
            return funder_rows(completion, filters.since, filters.until)
        return named_rows(completion, pseudonym) if with_names else anonymise_rows(completion, pseudonym)

    if kind == "funder":
        columns = FUNDER_COLUMNS
    else:
        columns = COMPLETION_COLUMNS if with_names else PSEUDONYMOUS_COMPLETION_COLUMNS
    columns = tuple(dataclasses.replace(c, title=_(c.title)) for c in columns)  # headings in the UI language
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
        import_problems=IMPORT_PROBLEMS,
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
    candidates: list[Learner] = []
    if query:
        with tool().db.session() as s:
            found = dsgvo.find(s, query, who.platforms)
            if found is not None and found.sub.startswith(dsgvo.ANONYMOUS_PREFIX):
                found = None
            if found is None and not dsgvo.looks_like_id(query):
                # Not a pseudonym or code: a name or e-mail address (audited without the term: it is personal data).
                candidates = dsgvo.find_people(s, query, who.platforms, _course_members(), who.issuer)
                coordination.audit(s, who, "dsgvo_search", {"by": "name_or_email"}, len(candidates))
                if len(candidates) == 1:
                    found, candidates = candidates[0], []
            if found is not None:
                report = dsgvo.access_report(s, found)
    erased = request.args.get("geloescht") == "1"
    return render_template("dsgvo.html", query=query, found=found, report=report, erased=erased,
                           candidates=candidates, titles=_titles(who)), 200 if found or candidates or not query else 404


def _course_members() -> list[dict]:
    """The roster of the coordinator's course (NRPS): names and e-mail addresses as the platform shares them;
    empty when the platform offers no roster here."""
    from .advantage import _platform, fetch_members

    context_pk = session.get("context_pk")
    with tool().db.session() as s:
        context = s.get(LtiContext, context_pk) if context_pk else None
        nrps_url = context.nrps_url if context else None
    if not nrps_url:
        return []
    try:
        return fetch_members(_platform(session["registration_id"]), nrps_url)
    except Exception:  # noqa: BLE001 - the roster is a help for the search, never a reason for it to fail
        return []


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
    # Sessions go first (nothing can be re-created while the rows go) and once more after the transaction, for
    # a session a launch may have started meanwhile; outside the transaction (SQLite has one writer).
    sessions = dsgvo.forget_sessions(tool().cache, learner.issuer, learner.sub)
    with tool().db.session() as s:
        counts = {**dsgvo.erase(s, s.get(Learner, learner.id)), "sessions": sessions}
        coordination.audit(s, who, "dsgvo_erasure", {"pseudonym": learner.pseudonym, **counts},
                           sum(counts.values()))
    dsgvo.forget_sessions(tool().cache, learner.issuer, learner.sub)
    return redirect(session_url("coord.learners", geloescht="1"), 303)


# ---------------------------------------------------------------- audit log


IMPORT_PROBLEMS = {
    "name": _l("Name fehlt oder ist zu lang"),
    "type": _l("Art der Organisation unbekannt (e.V., Initiative oder Verband)"),
    "city": _l("Ort ist zu lang"),
    "bundesland": _l("Bundesland fehlt oder ist unbekannt"),
    "duplicate": _l("Name kommt in der Datei doppelt vor"),
    "encoding": _l("Die Datei ist nicht in UTF-8 gespeichert"),
    "too_many_rows": _l("Zu viele Zeilen in einer Datei"),
}

AUDIT_ACTIONS = {
    "export_completions": _l("Abschlussbericht heruntergeladen"),
    "export_funder": _l("Förderbericht heruntergeladen"),
    "import_organisations": _l("Organisationen importiert"),
    "dsgvo_access": _l("Datenschutz: Auskunft erteilt"),
    "dsgvo_erasure": _l("Datenschutz: Daten gelöscht"),
    "dsgvo_search": _l("Datenschutz: Suche nach Name oder E-Mail"),
    "retention": _l("Aufbewahrungsfrist: Daten pseudonymisiert"),
    "quiz_grant": _l("Weitere Testversuche freigegeben"),
    "quiz_reset": _l("Test zurückgesetzt"),
}
AUDIT_FIELDS = {
    "platforms": _l("Plattformen"), "modules": _l("Module"), "module": _l("Modul"), "course": _l("Kurs"),
    "organisation": _l("Organisation"), "since": _l("von"), "until": _l("bis"), "format": _l("Format"),
    "names": _l("mit Namen"), "platform": _l("Plattform"), "pseudonym": _l("Pseudonym"),
    "learner": _l("Person (Pseudonym)"), "attempts_added": _l("Versuche hinzugefügt"),
    "attempts_used": _l("Versuche gemacht"), "days": _l("Tage"), "by": _l("Suche"),
}


def _readable_details(details: dict) -> list[tuple[str, str]]:
    """Audit details as people read them: German field names, module titles instead of ids, yes/no."""
    catalog = tool().catalog

    def title(module_id):
        module = catalog.get(module_id) if isinstance(module_id, str) else None
        return module.title if module else str(module_id)

    shown = []
    for key, value in details.items():
        if value in (None, [], ""):
            continue
        if key in ("module", "modules"):
            value = ", ".join(title(m) for m in (value if isinstance(value, list) else [value]))
        elif isinstance(value, bool):
            value = _("ja") if value else _("nein")
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        shown.append((str(AUDIT_FIELDS.get(key, key)), str(value)))
    return shown


@bp.route("/audit")
def audit_log():
    who = current_coordinator()
    with tool().db.session() as s:
        rows = coordination.entries(s, who.platforms)
    return render_template("audit.html", rows=[(r, str(AUDIT_ACTIONS.get(r.action, r.action)),
                                                _readable_details(json.loads(r.details))) for r in rows])


# ---------------------------------------------------------------- learners: organisation choice


def _safe_next() -> str:
    """Where to go after the organisation choice: one of our own pages (``safe_redirect``), else the start page."""
    return local_target(request.values.get("next", "")) or session_url("pages.start")


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
