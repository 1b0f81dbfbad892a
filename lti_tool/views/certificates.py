"""Certificates in the tool: the learner's downloads, the coordinators' list (revoke, re-issue, ZIP)
and the public verification page ``/verify/<code>`` (docs/lti.md, "Zertifikate").

* Learners download only their own certificate (the one of the launched person and module).
* Coordinators (role from the launch) see the certificates of the course they launched from, of their
  own platform only; learners and trainers get 403. Every POST carries the CSRF token.
* ``/verify`` needs no session and works outside the LMS: HTML (German by default) or JSON
  (``/verify/<code>.json`` or ``Accept: application/json``). Lookups are rate-limited per client
  address in the shared launch cache, so the limit holds across processes and hosts.
"""
from __future__ import annotations

import hashlib
import ipaddress
import io
import time
from datetime import timezone

from flask import (Blueprint, Response, current_app, jsonify, redirect, render_template, request, send_file, session,
                   stream_with_context, url_for)
from flask_babel import format_date

from vamos_core.certificates import MEDIA_TYPE, InvalidCode, certificate_filename, normalize_code

from .. import certificates as certs
from .. import progress
from ..dsgvo import ERASED_REASON
from ..errors import MESSAGES, PageError
from ..models import Certificate, LtiContext
from ..roles import COORDINATOR
from ..sessions import session_url
from .learn import Visit, check_csrf, render_module, visit

bp = Blueprint("certs", __name__)


def tool():
    return current_app.extensions["vamos"]


def verify_url(code: str) -> str:
    base = tool().config.base_url
    if base:
        return f"{base}/verify/{code}"
    return url_for("certs.verify", code=code, _external=True)


def issuer() -> certs.IssuerSettings:
    return certs.issuer_settings(tool().config.base_url or request.url_root)


def local_date(moment):
    return format_date(certs.aware(moment).astimezone(certs.LOCAL_TZ).date(), "long")


# ---------------------------------------------------------------- learners


def for_visit(v: Visit, row) -> Certificate | None:
    """The launched person's certificate of the module; issued now if the module is completed and
    the name is known (from the launch or the learner's form). None: not completed, or no name yet."""
    if row is None or not row.completed:
        return None
    existing = certs.latest(v.db, v.learner, v.module.id)
    name = session.get("learner_name")
    if existing is not None or not name:
        return existing
    cert = certs.ensure_issued(v.db, v.learner, v.module, row, name, verify_url, issuer(), xapi=tool().xapi)
    if tool().xapi is not None:
        tool().statements_enqueued()
    return cert


def _own(module_id: str) -> tuple[Visit, Certificate]:
    v = visit(module_id)
    cert = for_visit(v, progress.get_progress(v.db, v.learner, v.module.id))
    if cert is None or cert.status != Certificate.VALID:
        raise PageError("certificate_not_found", 404, "no valid certificate of this person and module")
    return v, cert


def _filename(cert: Certificate, extension: str) -> str:
    return certificate_filename(certs.certificate_data(cert, verify_url, issuer()), extension)


def _pdf_response(cert: Certificate):
    pdf = certs.pdf_of(tool().db, cert.id)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=_filename(cert, "pdf"))


@bp.route("/module/<module_id>/certificate.pdf")
def learner_pdf(module_id: str):
    _, cert = _own(module_id)
    return _pdf_response(cert)


@bp.route("/module/<module_id>/certificate.jwt")
def learner_badge(module_id: str):
    """The Open Badges 3.0 credential (VC-JWT) for wallets and badge platforms."""
    _, cert = _own(module_id)
    return send_file(io.BytesIO(cert.credential_jwt.encode("ascii")), mimetype=MEDIA_TYPE, as_attachment=True,
                     download_name=_filename(cert, "jwt"))


@bp.route("/module/<module_id>/certificate/name", methods=["POST"])
def learner_name(module_id: str):
    """The name for the certificate when the LMS sent none (kept in the session, printed once)."""
    v = visit(module_id)
    check_csrf()
    name = certs.clean_name(request.form.get("name"))
    if name is None:
        return render_module(v, name_error=True), 400
    if not session.get("learner_name"):
        session["learner_name"] = name
    for_visit(v, progress.get_progress(v.db, v.learner, v.module.id))
    return redirect(session_url("learn.module", module_id=v.module.id) + "#zertifikat", 303)


# ---------------------------------------------------------------- coordinators


def coordinator() -> tuple[str, int | None]:
    if not session.get("role") or not session.get("issuer"):
        raise PageError("session_missing", 401, "no launch session")
    if session["role"] != COORDINATOR:
        raise PageError("forbidden", 403, "certificate administration needs the coordinator role")
    return session["issuer"], session.get("context_pk")


def _course_cert(cert_id: int) -> Certificate:
    platform, context_pk = coordinator()
    cert = certs.in_course(tool().db, cert_id, platform, context_pk)
    if cert is None:
        raise PageError("not_found", 404, "certificate not in this course")
    return cert


def _row(cert: Certificate) -> dict:
    info = certs.module_info(cert)
    return {"cert": cert, "module": info, "completed": local_date(cert.completed_at),
            "revoked": local_date(cert.revoked_at) if cert.revoked_at else None}


@bp.route("/certificates")
def course_list():
    platform, context_pk = coordinator()
    rows = [_row(c) for c in certs.course_certificates(tool().db, platform, context_pk)]
    return render_template("certificates.html", rows=rows, valid=sum(1 for r in rows if r["cert"].status == "valid"),
                           context_title=_context_title(context_pk))


def _context_title(context_pk: int | None) -> str:
    if context_pk is None:
        return ""
    with tool().db.session() as s:
        context = s.get(LtiContext, context_pk)
        return context.title if context else ""


def _detail(cert: Certificate, errors: dict | None = None, status: int = 200):
    replaced = certs.get(tool().db, cert.replaced_by) if cert.replaced_by else None
    return render_template("certificate_detail.html", row=_row(cert), replaced=replaced, errors=errors or {},
                           form=request.form if request.method == "POST" else {}), status


@bp.route("/certificates/<int:cert_id>")
def course_detail(cert_id: int):
    return _detail(_course_cert(cert_id))


@bp.route("/certificates/<int:cert_id>/certificate.pdf")
def course_pdf(cert_id: int):
    return _pdf_response(_course_cert(cert_id))


@bp.route("/certificates/<int:cert_id>/revoke", methods=["POST"])
def course_revoke(cert_id: int):
    cert = _course_cert(cert_id)
    check_csrf()
    reason = certs.clean_reason(request.form.get("reason"))
    if reason is None:
        return _detail(cert, {"reason": True}, 400)
    try:
        certs.revoke(tool().db, cert.id, reason)
    except certs.CertificateStateError:
        raise PageError("certificate_revoked", 409, "revoked meanwhile") from None
    return redirect(session_url("certs.course_detail", cert_id=cert.id), 303)


@bp.route("/certificates/<int:cert_id>/reissue", methods=["POST"])
def course_reissue(cert_id: int):
    cert = _course_cert(cert_id)
    check_csrf()
    name = certs.clean_name(request.form.get("name"))
    if name is None:
        return _detail(cert, {"name": True}, 400)
    try:
        new = certs.reissue(tool().db, cert.id, name, verify_url, issuer())
    except certs.CertificateStateError:
        raise PageError("certificate_revoked", 409, "revoked meanwhile") from None
    return redirect(session_url("certs.course_detail", cert_id=new.id), 303)


@bp.route("/certificates.zip")
def course_zip():
    platform, context_pk = coordinator()
    # Streamed while the stored PDFs are read: the first bytes leave at once, nothing is spooled to disk.
    return Response(stream_with_context(certs.course_zip(tool().db, platform, context_pk)),
                    mimetype="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="zertifikate.zip"'})


# ---------------------------------------------------------------- public verification


def _client_key() -> str:
    """The client's address (ProxyFix applied), IPv6 by /64 network, hashed: no address in the cache."""
    raw = request.remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
        if address.version == 6:
            raw = str(ipaddress.ip_network(f"{address}/64", strict=False))
    except ValueError:
        pass
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _retry_after() -> int | None:
    """Count this lookup; the seconds to wait if the client used up its lookups of the window."""
    config = tool().config
    window = max(1, config.verify_rate_window)
    now = time.time()
    slot = int(now // window)
    used = tool().cache.incr(f"ratelimit:verify:{_client_key()}:{slot}", window)
    if used > config.verify_rate_limit:
        return max(1, int((slot + 1) * window - now) + 1)
    return None


def _wants_json(code: str) -> tuple[str, bool]:
    if code.endswith(".json"):
        return code[: -len(".json")], True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return code, best == "application/json"


def _describe(cert: Certificate) -> dict:
    """What /verify tells anybody holding the code: the minimum a verifier needs (status, module, the day of
    completion, issuer; the name of a valid certificate, so a changed name on a PDF shows). No score, no times of
    day, no reason of a revocation, no credential (the holder downloads that from their own module page). For an
    erased person only "widerrufen"."""
    if cert.status != Certificate.VALID and cert.revoked_reason == ERASED_REASON:
        return {"status": cert.status, "code": cert.verification_code}
    info = certs.module_info(cert)
    data = {
        "status": cert.status,
        "code": cert.verification_code,
        "module": {"id": info.id, "title": info.title, "version": info.version, "hours": info.hours},
        "completed_on": certs.aware(cert.completed_at).astimezone(certs.LOCAL_TZ).date().isoformat(),
        "issuer": issuer().organisation_name,
    }
    if cert.status == Certificate.VALID:
        data["name"] = cert.learner_name
    else:
        data["revoked_on"] = certs.aware(cert.revoked_at).astimezone(certs.LOCAL_TZ).date().isoformat()
        replacement = certs.get(tool().db, cert.replaced_by) if cert.replaced_by else None
        data["replaced_by"] = replacement.verification_code if replacement else None
    return data


def _verify_page(status: str, http_status: int, code: str = "", cert: Certificate | None = None):
    details = None
    if cert is not None:
        details = _describe(cert)
        if "module" in details:  # not erased
            details.update(completed=local_date(cert.completed_at),
                           revoked=local_date(cert.revoked_at) if cert.revoked_at else None)
    return render_template("verify.html", status=status, code=code, details=details), http_status


@bp.route("/verify")
def verify_form():
    typed = request.args.get("code")
    if typed is None:
        return _verify_page("form", 200)
    try:
        code = normalize_code(typed)
    except InvalidCode:
        return _verify_page("invalid", 400, typed[:60])
    return redirect(url_for("certs.verify", code=code), 303)


@bp.route("/verify/<path:code>")
def verify(code: str):
    code, as_json = _wants_json(code)
    wait = _retry_after()
    if wait is not None:
        headers = {"Retry-After": str(wait)}
        if as_json:
            return jsonify({"status": "rate_limited", "retry_after": wait}), 429, headers
        return render_template("error.html", message=MESSAGES["rate_limited"], code="rate_limited"), 429, headers
    try:
        code = normalize_code(code)
    except InvalidCode:
        if as_json:
            return jsonify({"status": "invalid", "error": "not a well-formed verification code"}), 400
        return _verify_page("invalid", 400, code[:60])
    cert = certs.by_code(tool().db, code)
    if cert is None:
        if as_json:
            return jsonify({"status": "unknown", "code": code}), 404
        return _verify_page("unknown", 404, code)
    if as_json:
        response = jsonify(_describe(cert))
        response.headers["Access-Control-Allow-Origin"] = "*"  # public facts, for any verifier
        return response
    return _verify_page(cert.status, 200, code, cert)
