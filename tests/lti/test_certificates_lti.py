"""Certificates in the LTI tool (both storage backends): issuance on completion (once, also under
concurrency), downloads by the owner only, /verify (HTML and JSON: valid, revoked, unknown, rate limit),
the credential checked by an independent JOSE library against the tool's /jwks fetched over HTTP,
revocation, re-issue, the course ZIP and the coordinators' routes.

Few PDFs are generated (each costs ~0.2 s): most tests share one completed learner."""
from __future__ import annotations

import io
import json
import random
import re
import threading
import zipfile
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from sqlalchemy import select

from lti_tool import certificates as certs
from lti_tool.app import create_app
from lti_tool.models import Certificate, Learner, LtiUser
from tests.certificates.test_credential import (
    B64URL,
    REQUIRED_ACHIEVEMENT,
    REQUIRED_CREDENTIAL,
    REQUIRED_PROFILE,
    REQUIRED_SUBJECT,
    flip,
    pyjwt_verify,
)
from vamos_core.certificates import certificate_filename, new_code, verify_credential

from .conftest import backend_env, error_code, make_config, start_env
from .test_cross_process import _start_tool
from .test_learner import Visitor, assert_german_refusal

MODULE = "testmodul"
NAME = "Ayşe Yılmaz-Müller"
CODE_RE = re.compile(r"<code[^>]*>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){5})</code>")


@pytest.fixture
def app(tmp_path, backend):
    app = create_app(make_config(tmp_path, backend, verify_rate_limit=1000))
    yield app
    app.extensions["vamos"].db.dispose()


def visitor(app, sub="lea", role="learner", name: str | None = NAME, issuer="https://lms.example.org",
            module=MODULE) -> Visitor:
    v = Visitor(app, module, sub=sub, role=role, issuer=issuer)
    cache = app.extensions["vamos"].cache
    cache.set("session:" + v.sid, {**cache.get("session:" + v.sid), "learner_name": name}, 3600)
    return v


def set_name(v: Visitor, name: str | None) -> None:
    cache = v.app.extensions["vamos"].cache
    cache.set("session:" + v.sid, {**cache.get("session:" + v.sid), "learner_name": name}, 3600)


def complete(v: Visitor) -> None:
    for lesson in v.module.lessons:
        assert v.post(f"{v.base()}/lesson/{lesson.id}/done").status_code == 303
    token = v.start_quiz()
    r = v.post(v.base() + "/quiz/attempt", [("attempt", token), ("action", "submit")] + v.answers(correct=True))
    assert r.status_code == 303, r.text[:300]


def rows(app) -> list[Certificate]:
    with app.extensions["vamos"].db.session() as s:
        return list(s.scalars(select(Certificate).order_by(Certificate.id)))


def jwks_of(app) -> dict:
    return app.test_client().get("/credentials/jwks").get_json()


def code_on(page_text: str) -> str:
    return CODE_RE.search(page_text).group(1)


# ------------------------------------------------------------------ issuance and learner downloads


def test_completion_issues_one_certificate_the_owner_downloads(app):
    v = visitor(app)
    assert "Ihr Zertifikat" not in v.get(v.base()).text  # not before completion
    assert_german_refusal(v.get(v.base() + "/certificate.pdf"), 404, "certificate_not_found")
    complete(v)
    [cert] = rows(app)  # issued when the completion rule first held (the quiz submit)
    assert (cert.learner_name, cert.module_id, cert.status, cert.score) == (NAME, MODULE, "valid", 100.0)
    assert json.loads(cert.module_snapshot)["version"] == v.module.version
    assert cert.pdf[:5] == b"%PDF-"

    page = v.get(v.base())
    assert "Zertifikat herunterladen (PDF)" in page.text and "Badge (Open Badges 3.0)" in page.text
    assert code_on(page.text) == cert.verification_code
    assert f'href="/verify/{cert.verification_code}"' in page.text
    for _ in range(2):
        v.get(v.base())
    assert len(rows(app)) == 1  # written once

    pdf = v.get(v.base() + "/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data == cert.pdf
    assert "attachment" in pdf.headers["Content-Disposition"] and "zertifikat-testmodul-ayse-yilmaz-muller" in \
        pdf.headers["Content-Disposition"]
    badge = v.get(v.base() + "/certificate.jwt")
    assert badge.status_code == 200 and badge.mimetype == "application/vc+jwt"
    assert badge.data.decode() == cert.credential_jwt

    # The credential names a pseudonym, never the sub; the name lives only in the certificate.
    claims = verify_credential(cert.credential_jwt, jwks_of(app))
    with app.extensions["vamos"].db.session() as s:
        learner = s.scalars(select(Learner)).one()
    assert claims["credentialSubject"]["id"] == f"urn:uuid:{learner.pseudonym}"
    assert '"lea"' not in json.dumps(claims) and claims["credentialSubject"]["id"] != "lea"
    assert not hasattr(LtiUser, "name") and not hasattr(Learner, "name")

    # Nobody else gets it: another learner of the module (nothing issued), no session, another module.
    other = visitor(app, sub="bob")
    assert_german_refusal(other.get(other.base() + "/certificate.pdf"), 404, "certificate_not_found")
    assert_german_refusal(other.get(other.base() + "/certificate.jwt"), 404, "certificate_not_found")
    assert app.test_client().get(f"/module/{MODULE}/certificate.pdf").status_code == 401
    foreign = visitor(app, module="anderes-modul")
    assert foreign.get(f"/module/{MODULE}/certificate.pdf").status_code == 404


def test_without_a_name_from_the_lms_the_learner_types_it(app):
    v = visitor(app, name=None)
    complete(v)
    assert rows(app) == []  # completed, but no name to print yet
    page = v.get(v.base())
    assert 'id="certificate-name"' in page.text and "Zertifikat erstellen" in page.text
    for bad in ["", "   ", "Lea 2", "x" * 121, "<script>", "Lea\u0000Lernende"]:
        r = v.post(v.base() + "/certificate/name", {"name": bad})
        assert r.status_code == 400 and 'aria-invalid="true"' in r.text, bad
        assert r.text.count("<h1") == 1
    assert rows(app) == []
    assert v.post(v.base() + "/certificate/name", {"name": "Ольга"}, csrf="wrong").status_code == 400
    r = v.post(v.base() + "/certificate/name", {"name": "  Ольга   Петрова-O'Neil Jr. "})
    assert r.status_code == 303
    [cert] = rows(app)
    assert cert.learner_name == "Ольга Петрова-O'Neil Jr."
    assert "Zertifikat herunterladen (PDF)" in v.get(v.base()).text


def test_eight_concurrent_issuers_yield_one_valid_record(app):
    v = visitor(app, name=None)
    complete(v)  # completed without a name: nothing issued yet
    set_name(v, NAME)
    barrier = threading.Barrier(8)
    pages: list = [None] * 8

    def open_module_page(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        pages[i] = client.get(v.base(), query_string={"ls": v.sid})

    threads = [threading.Thread(target=open_module_page, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.status_code for p in pages] == [200] * 8
    [cert] = rows(app)
    assert {code_on(p.text) for p in pages} == {cert.verification_code}

    # The partial unique index itself: a second valid record of the learner and module is refused.
    with pytest.raises(Exception):
        with app.extensions["vamos"].db.session() as s:
            s.add(Certificate(learner_id=cert.learner_id, module_id=MODULE, module_snapshot="{}", learner_name="X",
                              completed_at=cert.completed_at, verification_code=new_code(), credential_id="urn:x",
                              credential_jwt="x", pdf=b"x", status="valid"))


# ------------------------------------------------------------------ /verify, revoke, re-issue, ZIP


def test_verify_revoke_reissue_and_zip(app):
    lea, bob = visitor(app), visitor(app, sub="bob", name="Bob Beispiel")
    complete(lea)
    complete(bob)
    lea_cert, bob_cert = rows(app)
    public = app.test_client()

    # valid: HTML and JSON (by suffix and by Accept)
    page = public.get(f"/verify/{lea_cert.verification_code}")
    assert page.status_code == 200 and '<html lang="de" dir="ltr">' in page.text and page.text.count("<h1") == 1
    assert "Gültiges Zertifikat" in page.text and NAME in page.text and "Testmodul Vereinsarbeit" in page.text
    assert "Version 2026.1" in page.text
    data = public.get(f"/verify/{lea_cert.verification_code}.json").get_json()
    assert data["status"] == "valid" and data["name"] == NAME and data["module"]["version"] == "2026.1"
    # the minimum a verifier needs (issue 16): no score, no time of day, no credential (that is the holder's)
    assert set(data) == {"status", "code", "module", "completed_on", "issuer", "name"}
    assert len(data["completed_on"]) == 10 and "Ergebnis im Abschlusstest" not in page.text
    assert public.get(f"/verify/{lea_cert.verification_code}", headers={"Accept": "application/json"}).get_json() == data
    # typed codes are normalised: lower case, no hyphens, O for 0 …
    sloppy = lea_cert.verification_code.replace("-", "").lower().replace("0", "o")
    assert public.get(f"/verify/{sloppy}").status_code == 200
    r = public.get("/verify", query_string={"code": sloppy})
    assert r.status_code == 303 and r.location.endswith(f"/verify/{lea_cert.verification_code}")
    form = public.get("/verify")
    assert form.status_code == 200 and 'id="code"' in form.text

    # unknown and malformed
    unknown = new_code()
    r = public.get(f"/verify/{unknown}")
    assert r.status_code == 404 and "Prüfcode unbekannt" in r.text and r.text.count("<h1") == 1
    assert public.get(f"/verify/{unknown}.json").get_json() == {"status": "unknown", "code": unknown}
    r = public.get("/verify/ABCD-1234")
    assert r.status_code == 400 and "Kein gültiger Prüfcode" in r.text
    assert public.get("/verify/ABCD-1234.json").get_json()["status"] == "invalid"
    assert public.get("/verify", query_string={"code": "quatsch"}).status_code == 400

    coordinator = visitor(app, sub="kim", role="coordinator", name="Kim Koordination")
    listing = coordinator.get("/certificates")
    assert listing.status_code == 200 and NAME in listing.text and "Bob Beispiel" in listing.text
    assert "<caption>" in listing.text and 'scope="col"' in listing.text

    # revoke: reason required, CSRF checked, then revoked (and never re-issued automatically)
    revoke = f"/certificates/{lea_cert.id}/revoke"
    assert coordinator.post(revoke, {"reason": "  "}).status_code == 400
    assert_german_refusal(coordinator.post(revoke, {"reason": "Täuschung"}, csrf="x"), 400, "form_expired")
    assert rows(app)[0].status == "valid"
    assert coordinator.post(revoke, {"reason": "Täuschungsversuch festgestellt"}).status_code == 303
    assert_german_refusal(coordinator.post(revoke, {"reason": "noch einmal"}), 409, "certificate_revoked")
    r = public.get(f"/verify/{lea_cert.verification_code}")
    # revoked: status and module, but not the coordinator's free-text reason nor the name
    assert r.status_code == 200 and "Widerrufenes Zertifikat" in r.text and "Täuschungsversuch" not in r.text
    assert NAME not in r.text
    data = public.get(f"/verify/{lea_cert.verification_code}.json").get_json()
    assert data["status"] == "revoked" and "credential" not in data and "revoked_reason" not in data
    assert "name" not in data
    page = lea.get(lea.base())
    assert "Ihr Zertifikat wurde widerrufen" in page.text and "Zertifikat herunterladen" not in page.text
    assert lea.get(lea.base() + "/certificate.pdf").status_code == 404
    assert len(rows(app)) == 2

    # re-issue after a name correction: new record, old one revoked "ersetzt durch <code>" and linked
    r = coordinator.post(f"/certificates/{bob_cert.id}/reissue", {"name": "Bob Beispiel-Korrekt"})
    assert r.status_code == 303
    old, new = [c for c in rows(app) if c.id in (bob_cert.id,)][0], rows(app)[-1]
    assert (new.learner_name, new.status, new.learner_id, new.completed_at, new.score) == \
        ("Bob Beispiel-Korrekt", "valid", bob_cert.learner_id, bob_cert.completed_at, bob_cert.score)
    assert old.status == "revoked" and old.replaced_by == new.id
    assert old.revoked_reason == f"ersetzt durch {new.verification_code}"
    old_page = public.get(f"/verify/{old.verification_code}")
    assert "Widerrufenes Zertifikat" in old_page.text and f"/verify/{new.verification_code}" in old_page.text
    assert public.get(f"/verify/{old.verification_code}.json").get_json()["replaced_by"] == new.verification_code
    new_claims = verify_credential(new.credential_jwt, jwks_of(app))
    assert new_claims["credentialSubject"]["id"] == verify_credential(bob_cert.credential_jwt, jwks_of(app))[
        "credentialSubject"]["id"]
    assert bob.get(bob.base() + "/certificate.pdf").data == new.pdf
    assert coordinator.post(f"/certificates/{new.id}/reissue", {"name": "Bob 2"}).status_code == 400

    # ZIP: the stored PDFs of the valid certificates only
    archive = coordinator.get("/certificates.zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        names = z.namelist()
        assert names == [certificate_filename(certs.certificate_data(new, lambda c: "https://x/" + c,
                                                                     certs.issuer_settings()))]
        assert z.read(names[0]) == new.pdf
        # streamed from the stored bytes: stored, not compressed again, and whole
        assert [i.compress_type for i in z.infolist()] == [zipfile.ZIP_STORED] and z.testzip() is None


def test_coordinator_routes_refuse_learners_trainers_and_other_platforms(app):
    lea = visitor(app)
    complete(lea)
    [cert] = rows(app)
    for role in ("learner", "trainer"):
        v = visitor(app, sub="x-" + role, role=role)
        for path in ("/certificates", "/certificates.zip", f"/certificates/{cert.id}",
                     f"/certificates/{cert.id}/certificate.pdf"):
            assert_german_refusal(v.get(path), 403, "forbidden")
        assert_german_refusal(v.post(f"/certificates/{cert.id}/revoke", {"reason": "x"}), 403, "forbidden")
        assert_german_refusal(v.post(f"/certificates/{cert.id}/reissue", {"name": "X"}), 403, "forbidden")
    assert app.test_client().get("/certificates").status_code == 401
    elsewhere = visitor(app, sub="kim", role="coordinator", issuer="https://other-lms.example.org")
    assert NAME not in elsewhere.get("/certificates").text
    assert elsewhere.get(f"/certificates/{cert.id}").status_code == 404
    assert elsewhere.post(f"/certificates/{cert.id}/revoke", {"reason": "x"}).status_code == 404
    assert rows(app)[0].status == "valid"


def test_verify_is_rate_limited_per_client_address(tmp_path, backend):
    app = create_app(make_config(tmp_path, backend, verify_rate_limit=5, verify_rate_window=600))
    try:
        client = app.test_client()
        code = new_code()
        for _ in range(3):
            assert client.get(f"/verify/{code}").status_code == 404
        assert client.get(f"/verify/{code}.json").status_code == 404
        assert client.get("/verify/malformed").status_code == 400  # counts too
        r = client.get(f"/verify/{code}")
        assert r.status_code == 429 and error_code_of(r) == "rate_limited" and "Zu viele Anfragen" in r.text
        assert '<html lang="de"' in r.text and 0 < int(r.headers["Retry-After"]) <= 601
        assert client.get(f"/verify/{code}.json").get_json()["status"] == "rate_limited"
        other = client.get(f"/verify/{code}", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == 404  # another address has its own budget
    finally:
        app.extensions["vamos"].db.dispose()


def error_code_of(response) -> str | None:
    m = re.search(r"Fehlercode: <code[^>]*>([a-z_]+)</code>", response.text)
    return m.group(1) if m else None


# ------------------------------------------------------------------ real HTTP: platform, JWKS, two processes


def launch_as(env, user: str) -> tuple[requests.Session, str]:
    login = env.start_login(user=user, link="link-testmodul")
    r = env.launch(login, allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return login.session, parse_qs(urlsplit(r.headers["Location"]).query)["ls"][0]


def complete_over_http(env, browser: requests.Session, sid: str) -> None:
    module = env.tool_app.extensions["vamos"].catalog.get(MODULE)
    base = f"{env.tool_url}/module/{MODULE}"
    for lesson in module.lessons:
        page = browser.get(f"{base}/lesson/{lesson.id}", params={"ls": sid})
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        browser.post(f"{base}/lesson/{lesson.id}/done", data={"ls": sid, "csrf": csrf})
    attempt = browser.post(f"{base}/quiz/start", data={"ls": sid, "csrf": csrf})
    token = re.search(r'name="attempt" value="([^"]+)"', attempt.text).group(1)
    answers = [(f"q-{q.id}", o) for q in module.quiz.questions for o in sorted(q.correct_ids)]
    r = browser.post(f"{base}/quiz/attempt", data=[("ls", sid), ("csrf", csrf), ("attempt", token)] + answers)
    assert "Bestanden" in r.text


@pytest.fixture
def http_env(tmp_path, backend):
    env = start_env(make_config(tmp_path, backend, verify_rate_limit=6))
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


def test_over_http_credential_verifies_with_pyjwt_against_the_published_jwks(http_env, backend, tmp_path):
    env = http_env
    browser, sid = launch_as(env, "lernende")
    complete_over_http(env, browser, sid)
    page = browser.get(f"{env.tool_url}/module/{MODULE}", params={"ls": sid})
    code = code_on(page.text)

    data = requests.get(f"{env.tool_url}/verify/{code}.json").json()
    assert data["status"] == "valid" and data["name"] == "Lea Lernende"  # as the LMS gave it: the name only, no role (issue 15)
    jwks = requests.get(f"{env.tool_url}/credentials/jwks").json()  # what any verifier fetches
    assert "credential" not in data  # /verify gives the minimum; the holder downloads the credential
    token = browser.get(f"{env.tool_url}/module/{MODULE}/certificate.jwt", params={"ls": sid}).text
    claims = pyjwt_verify(token, jwks)
    assert jwt.get_unverified_header(token)["kid"] in {k["kid"] for k in jwks["keys"]}
    assert all(f in claims for f in REQUIRED_CREDENTIAL)
    assert all(f in claims["issuer"] for f in REQUIRED_PROFILE)
    assert all(f in claims["credentialSubject"] for f in REQUIRED_SUBJECT)
    assert all(f in claims["credentialSubject"]["achievement"] for f in REQUIRED_ACHIEVEMENT)
    assert claims["credentialSubject"]["id"].startswith("urn:uuid:") and "lernende" not in json.dumps(claims)
    assert claims["id"] == f"{env.tool_url}/verify/{code}"
    rng = random.Random(6)
    for i in rng.sample([i for i, c in enumerate(token) if c != "."], 60):
        with pytest.raises(jwt.PyJWTError):
            pyjwt_verify(flip(token, i, B64URL[(B64URL.index(token[i]) + 32) % 64]), jwks)

    # The coordinator of the same course sees Lea's certificate; the trainer may not.
    kim, kim_sid = launch_as(env, "koordination")
    listing = kim.get(f"{env.tool_url}/certificates", params={"ls": kim_sid})
    assert listing.status_code == 200 and "Lea Lernende" in listing.text
    assert "Demo-Kurs: Vereinsarbeit" in listing.text
    tarek, tarek_sid = launch_as(env, "trainer")
    r = tarek.get(f"{env.tool_url}/certificates", params={"ls": tarek_sid})
    assert r.status_code == 403 and error_code(r) == "forbidden"

    # The rate limit (6 per window here) is shared by two tool processes: 3 + 3 lookups, then 429 on both.
    proc, url_b = _start_tool({**backend_env(backend), "VAMOS_VERIFY_RATE_LIMIT": "6"}, tmp_path / "instance")
    try:
        budget = [env.tool_url, url_b] * 3
        # this test already looked up once above (the .json): five more are allowed
        statuses = [requests.get(f"{url}/verify/{code}").status_code for url in budget]
        assert statuses == [200] * 5 + [429]
        r = requests.get(f"{url_b}/verify/{code}")
        assert r.status_code == 429 and "Retry-After" in r.headers
    finally:
        proc.kill()
        proc.wait()
