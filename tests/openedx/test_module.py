"""vamos_module: overview, progress derived by the core from lesson and quiz facts, certificate hook."""
from __future__ import annotations

import pytest

from vamos_xblocks import certificate

from .conftest import MODULE_ID, BlockRuntime, call
from .test_quiz import HALF, RIGHT

MODULE_XML = f'<vamos_module module_id="{MODULE_ID}"/>'


def lesson(runtime, lesson_id):
    return runtime.block(f'<vamos_lesson module_id="{MODULE_ID}" lesson_id="{lesson_id}"/>')


def finish_module(runtime, answers=RIGHT):
    for lesson_id in ("erste-lektion", "zweite-lektion"):
        assert call(lesson(runtime, lesson_id), "mark_done", {})[0] == 200
    assert call(runtime.block(f'<vamos_quiz module_id="{MODULE_ID}"/>'), "submit", {"answers": answers})[0] == 200


@pytest.fixture
def fake_generator(monkeypatch, tmp_path):
    """Stands in for vamos_core.certificates.generate_certificate until it exists; records what it was given."""
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


def test_overview_renders_module_and_empty_progress(runtime):
    block = runtime.block(MODULE_XML)
    html = runtime.render(block, "student_view").body_html()
    assert "Testmodul" in html and "Ein kleines Modul für Tests." in html
    assert "Ziele formulieren" in html and "Vorstände kleiner Vereine" in html
    assert 'data-percent="0"' in html and "(0/2)" in html and "Not taken yet." in html
    assert "keine Rechts- oder Steuerberatung" in html
    assert "vamos-certificate-locked" in html


def test_progress_follows_lessons_and_quiz(runtime):
    usage = runtime.parse_xml_string(MODULE_XML)

    def progress():  # every request gets a fresh block instance, as in the LMS
        return call(runtime.get_block(usage), "progress", {})

    call(lesson(runtime, "erste-lektion"), "mark_done", {})
    status, body = progress()
    assert status == 200 and body["percent"] == 33 and body["completed"] is False
    call(runtime.block(f'<vamos_quiz module_id="{MODULE_ID}"/>'), "submit", {"answers": HALF})
    assert progress()[1]["percent"] == 33  # 33.3 % does not pass
    finish_module(runtime)
    status, body = progress()
    assert body["percent"] == 100 and body["completed"] is True
    assert "You have completed this module." in body["html"] and "100.0 %" in body["html"]


def test_progress_is_per_learner(runtime):
    finish_module(runtime)
    bob = runtime.for_user("bob")
    assert call(bob.block(MODULE_XML), "progress", {})[1]["percent"] == 0


def test_progress_rejects_bad_input(runtime):
    block = runtime.block(MODULE_XML)
    assert call(block, "progress", {"percent": 100})[0] == 400
    assert call(block, "progress", method="GET")[0] == 405


def test_certificate_locked_until_complete(runtime, fake_generator):
    block = runtime.block(MODULE_XML)
    status, body = call(block, "download_certificate", method="GET")
    assert status == 403 and fake_generator == []


def test_certificate_pending_without_generator(runtime, monkeypatch):
    monkeypatch.setattr(certificate, "generator", lambda: None)
    finish_module(runtime)
    block = runtime.block(MODULE_XML)
    assert "vamos-certificate-pending" in runtime.render(block, "student_view").body_html()
    assert call(block, "download_certificate", method="GET")[0] == 503


def test_certificate_download_issues_once(runtime, fake_generator):
    finish_module(runtime)
    block = runtime.block(MODULE_XML)
    html = runtime.render(block, "student_view").body_html()
    assert "vamos-certificate-ready" in html and "/download_certificate/" in html
    status, pdf = call(block, "download_certificate", method="GET")
    assert status == 200 and pdf == b"%PDF-1.7 Alice Beispiel"  # the name comes from the user service
    data, key = fake_generator[0]
    assert data.module.id == MODULE_ID and data.module.version == "2026.1" and data.module.hours == 1.5
    assert data.score == 100.0 and data.verify_url.startswith("https://lernen.example.org/verify/")
    assert data.learner_pseudonym.startswith("urn:uuid:") and "alice" not in data.learner_pseudonym
    assert key.kid == "openedx-1"
    code = block.certificate["code"]
    assert runtime.published("vamos.certificate.issued") == [{"module_id": MODULE_ID, "code": code}]
    call(block, "download_certificate", method="GET")
    assert fake_generator[1][0].verification_code == data.verification_code  # one issuance record
    assert len(runtime.published("vamos.certificate.issued")) == 1


def test_certificate_needs_a_name(fake_generator):
    runtime = BlockRuntime(full_name="")
    finish_module(runtime)
    assert call(runtime.block(MODULE_XML), "download_certificate", method="GET")[0] == 409


def test_certificate_unconfigured(runtime, fake_generator, monkeypatch):
    monkeypatch.delenv("VAMOS_CERT_VERIFY_URL")
    finish_module(runtime)
    block = runtime.block(MODULE_XML)
    assert "vamos-certificate-unconfigured" in runtime.render(block, "student_view").body_html()
    assert call(block, "download_certificate", method="GET")[0] == 503


def test_certificate_settings_from_xblock_settings(fake_generator, monkeypatch, tmp_path):
    monkeypatch.delenv("VAMOS_CERT_VERIFY_URL")
    runtime = BlockRuntime(settings={"vamos": {"verify_base_url": "https://openedx.example.org/zertifikat/"}})
    finish_module(runtime)
    assert call(runtime.block(MODULE_XML), "download_certificate", method="GET")[0] == 200
    assert fake_generator[0][0].verify_url.startswith("https://openedx.example.org/zertifikat/")


def test_module_block_is_excluded_from_completion():
    from xblock.completable import XBlockCompletionMode
    from vamos_xblocks.module import ModuleBlock

    assert XBlockCompletionMode.get_mode(ModuleBlock) == XBlockCompletionMode.EXCLUDED


def test_studio(runtime):
    block = runtime.block(MODULE_XML)
    assert 'name="module_id"' in runtime.render(block, "studio_view").body_html()
    status, body = call(block, "studio_submit", {"values": {"module_id": "gibt-es-nicht"}})
    assert status == 400 and "module_id" in body["error"]["fields"]
    assert call(block, "studio_submit", {"values": {"display_name": "Übersicht"}})[0] == 200


def test_unknown_module(runtime):
    block = runtime.block('<vamos_module module_id="gibt-es-nicht"/>')
    assert "This module is not available" in runtime.render(block, "student_view").body_html()
    assert call(block, "progress", {})[0] == 404


def test_certificate_with_the_core_generator(runtime, monkeypatch, tmp_path):
    """End to end with vamos_core.certificates: a PDF with the learner's name and a verifiable credential."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    certificates = pytest.importorskip("vamos_core.certificates")
    if not hasattr(certificates, "generate_certificate"):
        pytest.skip("vamos_core.certificates.generate_certificate not available yet")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "key.pem").write_bytes(pem)
    monkeypatch.setenv("VAMOS_CERT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("VAMOS_CERT_SIGNING_KEY_ID", "openedx-test")
    monkeypatch.setenv("VAMOS_CERT_VERIFY_URL", "https://lernen.example.org/verify/")
    finish_module(runtime)
    block = runtime.block(MODULE_XML)
    status, pdf = call(block, "download_certificate", method="GET")
    assert status == 200 and pdf.startswith(b"%PDF")
    jwks = {"keys": [certificates.SigningKey(pem, "openedx-test").public_jwk()]}
    record = block.certificate
    _pdf, token = certificate.render(record, certificate.settings_for(block))
    credential = certificates.verify_credential(token, jwks)
    assert "Testmodul" in str(credential) and record["code"] in str(credential)
