"""vamos_module: parent of its lessons and quiz; progress derived by the core from the children's state;
the certificate is rendered before anything is recorded or published."""
from __future__ import annotations

import logging

import pytest

from vamos_xblocks import certificate

from .conftest import BlockRuntime, Course, call
from .test_quiz import HALF, RIGHT


@pytest.fixture
def fake_generator(monkeypatch, tmp_path):
    """Stands in for vamos_core.certificates.generate_certificate; records what it was given."""
    calls = []

    def generate(data, key):
        calls.append((data, key))
        return b"%PDF-1.7 " + data.learner_name.encode(), "header.payload.signature"

    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n")
    monkeypatch.setattr(certificate, "generator", lambda: generate)
    monkeypatch.setenv("VAMOS_CERT_SIGNING_KEY_FILE", str(key))
    monkeypatch.setenv("VAMOS_CERT_SIGNING_KEY_ID", "openedx-1")
    monkeypatch.setenv("VAMOS_CERT_VERIFY_URL", "https://lernen.example.org/verify/")
    return calls


def test_overview_renders_module_parts_and_empty_progress(course):
    html = course.runtime.render(course.module(), "student_view").body_html()
    assert "Testmodul" in html and "Ein kleines Modul für Tests." in html
    assert "Ziele formulieren" in html and "Vorstände kleiner Vereine" in html
    assert 'data-percent="0"' in html and "(0/2)" in html and "Not taken yet." in html
    assert "keine Rechts- oder Steuerberatung" in html
    assert "vamos-certificate-locked" in html
    # the children, each in its own part, in course order
    assert html.index("Erste Lektion") < html.index("Zweite Lektion") < html.index("Was ist richtig?")
    assert html.count('class="vamos-part"') == 3


def test_progress_follows_the_childrens_state(course):
    def progress():
        return call(course.module(), "progress", {})

    call(course.lesson("erste-lektion"), "mark_done", {})
    status, body = progress()
    assert status == 200 and body["percent"] == 33 and body["completed"] is False
    call(course.quiz(), "submit", {"answers": HALF})
    assert progress()[1]["percent"] == 33  # 33.3 % does not pass
    course.finish(RIGHT)
    status, body = progress()
    assert body["percent"] == 100 and body["completed"] is True
    assert "You have completed this module." in body["html"] and "100.0 %" in body["html"]


def test_progress_rejects_bad_input(course):
    assert call(course.module(), "progress", {"percent": 100})[0] == 400
    assert call(course.module(), "progress", method="GET")[0] == 405


def test_certificate_locked_until_complete(course, fake_generator):
    status, _body = call(course.module(), "download_certificate", method="GET")
    assert status == 403 and fake_generator == []


def test_certificate_download_issues_once(course, fake_generator):
    course.finish(RIGHT)
    block = course.module()
    html = course.runtime.render(block, "student_view").body_html()
    assert "vamos-certificate-ready" in html and "/download_certificate/" in html
    status, pdf = call(block, "download_certificate", method="GET")
    assert status == 200 and pdf == b"%PDF-1.7 Alice Beispiel"  # the name comes from the user service
    data, key = fake_generator[0]
    assert data.module.id == "testmodul" and data.module.version == "2026.1" and data.module.hours == 1.5
    assert data.score == 100.0 and data.verify_url.startswith("https://lernen.example.org/verify/")
    assert data.learner_pseudonym.startswith("urn:uuid:") and "alice" not in data.learner_pseudonym
    assert key.kid == "openedx-1"
    code = course.module().certificate["code"]
    assert course.runtime.published("vamos.certificate.issued") == [{"module_id": "testmodul", "code": code}]
    call(course.module(), "download_certificate", method="GET")
    assert fake_generator[1][0].verification_code == data.verification_code  # one issuance record
    assert len(course.runtime.published("vamos.certificate.issued")) == 1


def test_certificate_needs_a_name(module_xml, fake_generator):
    course = Course(BlockRuntime(full_name=""), module_xml)
    course.finish(RIGHT)
    assert call(course.module(), "download_certificate", method="GET")[0] == 409


def test_certificate_unconfigured(course, fake_generator, monkeypatch):
    monkeypatch.delenv("VAMOS_CERT_VERIFY_URL")
    course.finish(RIGHT)
    assert "vamos-certificate-unconfigured" in course.runtime.render(course.module(), "student_view").body_html()
    assert call(course.module(), "download_certificate", method="GET")[0] == 503


def test_certificate_settings_from_xblock_settings(module_xml, fake_generator, monkeypatch):
    monkeypatch.delenv("VAMOS_CERT_VERIFY_URL")
    runtime = BlockRuntime(settings={"vamos": {"verify_base_url": "https://openedx.example.org/zertifikat/"}})
    course = Course(runtime, module_xml)
    course.finish(RIGHT)
    assert call(course.module(), "download_certificate", method="GET")[0] == 200
    assert fake_generator[0][0].verify_url.startswith("https://openedx.example.org/zertifikat/")


def core_generator_key(tmp_path, monkeypatch) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "key.pem").write_bytes(pem)
    monkeypatch.setenv("VAMOS_CERT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("VAMOS_CERT_SIGNING_KEY_ID", "openedx-test")
    monkeypatch.setenv("VAMOS_CERT_VERIFY_URL", "https://lernen.example.org/verify/")
    return pem


@pytest.mark.parametrize("breakage, logged", [
    ("missing_key", "cannot be read"),
    ("not_a_key", "not usable"),
    ("public_key_only", "not usable"),
    ("missing_font", "font missing"),
])
def test_certificate_failure_is_a_clear_message_not_a_500(course, tmp_path, monkeypatch, caplog, breakage, logged):
    """Render first: a misconfigured key or a missing font shows a message, logs the cause, records nothing."""
    pem = core_generator_key(tmp_path, monkeypatch)
    key = tmp_path / "key.pem"
    if breakage == "missing_key":
        key.unlink()
    elif breakage == "not_a_key":
        key.write_text("kein Schlüssel")
    elif breakage == "public_key_only":
        from cryptography.hazmat.primitives import serialization

        private = serialization.load_pem_private_key(pem, password=None)
        key.write_bytes(private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    else:
        from vamos_core.certificates import fonts

        def no_font(*_args, **_kwargs):
            raise fonts.MissingFontError("no font for latin script: install the Debian package fonts-dejavu-core")

        monkeypatch.setattr("vamos_core.certificates.generate_certificate",
                            lambda data, signing_key: no_font())
    course.finish(RIGHT)
    with caplog.at_level(logging.ERROR, logger="vamos_xblocks.module"):
        status, body = call(course.module(), "download_certificate", method="GET")
    assert status == 503 and b"cannot be created right now" in body
    assert any(logged in record.getMessage() for record in caplog.records)
    assert all("Alice" not in record.getMessage() for record in caplog.records)  # no personal data in logs
    assert course.runtime.published("vamos.certificate.issued") == []  # never "issued" without a certificate
    assert course.module().certificate == {}


def test_certificate_with_the_core_generator(course, monkeypatch, tmp_path):
    """End to end with vamos_core.certificates: a PDF with the learner's name and a verifiable credential."""
    from vamos_core import certificates

    pem = core_generator_key(tmp_path, monkeypatch)
    course.finish(RIGHT)
    block = course.module()
    status, pdf = call(block, "download_certificate", method="GET")
    assert status == 200 and pdf.startswith(b"%PDF")
    jwks = {"keys": [certificates.SigningKey(pem, "openedx-test").public_jwk()]}
    record = course.module().certificate
    _pdf, token = certificate.render(record, certificate.settings_for(block))
    credential = certificates.verify_credential(token, jwks)
    assert "Testmodul" in str(credential) and record["code"] in str(credential)


def test_module_block_aggregates_the_completion_of_its_children():
    from xblock.completable import XBlockCompletionMode
    from vamos_xblocks.module import ModuleBlock

    assert XBlockCompletionMode.get_mode(ModuleBlock) == XBlockCompletionMode.AGGREGATOR


def test_studio_edits_the_overview_validated(course):
    block = course.module()
    html = course.runtime.render(block, "studio_view").body_html()
    assert all(f'name="{n}"' in html for n in ("display_name", "title", "summary", "disclaimer"))
    status, body = call(block, "studio_submit", {"values": {"title": "", "disclaimer": "Alles rechtssicher.",
                                                            "estimated_minutes": "0"}})
    assert status == 400 and set(body["error"]["fields"]) == {"title", "disclaimer", "estimated_minutes"}
    assert call(block, "studio_submit", {"values": {"summary": "Neu zusammengefasst."}})[0] == 200
    assert "Neu zusammengefasst." in course.runtime.render(course.module(), "student_view").body_html()


def test_author_view_summarises(course):
    html = course.runtime.render(course.module(), "author_view").body_html()
    assert "2 lessons · 2 questions · pass with 70 %" in html and "1. Erste Lektion" in html
