"""Authoring in the LTI tool (both storage backends): optimistic locking with a conflict page, every refusal of
hostile input (German message, nothing stored), tenant isolation, one catalogue for learners, learners across
versions, and the ZIP round trip through the service."""
from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select

from lti_tool.app import create_app
from lti_tool.authoring.service import Author
from lti_tool.coordination import actor_hash
from lti_tool.models import AuditEntry, AuthoredBlob, AuthoredModule, AuthoredVersion, ProgressEvent
from vamos_core.authoring import folder

from .conftest import make_config
from .test_learner import Visitor, assert_german_refusal

A = "https://lms-a.example.org"
B = "https://lms-b.example.org"


@pytest.fixture
def app(tmp_path, backend):
    app = create_app(make_config(tmp_path, backend))
    yield app
    app.extensions["vamos"].db.dispose()


def trainer(app, sub="tarek", issuer=A) -> Visitor:
    return Visitor(app, "", sub=sub, role="trainer", issuer=issuer)


def author(app, sub="tarek", issuer=A) -> Author:
    return Author(issuer, sub, None, actor_hash(app.extensions["vamos"].config.secret_key, issuer, sub))


def service(app):
    return app.extensions["vamos"].authoring


def revision(page) -> str:
    return re.search(r'name="revision" value="(\d+)"', page.text).group(1)


def count(app, model) -> int:
    with app.extensions["vamos"].db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def copy_of_testmodul(app, issuer=A) -> str:
    return service(app).copy(author(app, issuer=issuer), "testmodul")


# ---------------------------------------------------------------- two trainers, one draft


def test_second_save_of_the_same_draft_gets_the_conflict_page_and_nothing_is_lost(app):
    module_id = copy_of_testmodul(app)
    anna, ben = trainer(app, "anna"), trainer(app, "ben")
    url = f"/authoring/{module_id}/lessons/einfuehrung"
    page_a, page_b = anna.get(url), ben.get(url)
    assert page_a.status_code == page_b.status_code == 200
    base = revision(page_a)
    assert revision(page_b) == base

    form = {"title": "Einführung", "minutes": "10", "objectives": "grundlagen"}
    saved = anna.post(url, {**form, "revision": base, "body": "Annas Text über den Vorstand."})
    assert saved.status_code == 303

    refused = ben.post(url, {**form, "revision": base, "body": "Bens Text über die Kasse."})
    assert refused.status_code == 409
    assert "Jemand anderes hat gleichzeitig gespeichert" in refused.text
    assert "Annas Text" in refused.text and "Bens Text" in refused.text  # both versions shown (the diff)
    assert 'name="body" value="Bens Text über die Kasse."' in refused.text  # his input waits in the form
    draft = service(app).draft(A, module_id)
    assert draft.doc["lessons"][0]["body"] == "Annas Text über den Vorstand."  # nothing overwritten

    # Autosave meets the same lock: JSON 409, nothing stored.
    auto = ben.post(url, {**form, "revision": base, "body": "Bens Autosave.", "autosave": "1"})
    assert auto.status_code == 409 and auto.json["conflict"] is True
    assert service(app).draft(A, module_id).doc["lessons"][0]["body"] == "Annas Text über den Vorstand."

    # Ben decides: his version, posted again from the conflict page with the current revision.
    current = re.search(r'name="revision" value="(\d+)"', refused.text).group(1)
    again = ben.post(url, {**form, "revision": current, "body": "Bens Text über die Kasse."})
    assert again.status_code == 303
    assert service(app).draft(A, module_id).doc["lessons"][0]["body"] == "Bens Text über die Kasse."


# ---------------------------------------------------------------- hostile input: refused, German, nothing stored


def _zip(entries) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buffer.getvalue()


def _state(app) -> tuple:
    return tuple(count(app, m) for m in (AuthoredModule, AuthoredVersion, AuthoredBlob))


def test_roles_csrf_and_other_platforms(app):
    module_id = copy_of_testmodul(app)
    before = _state(app)
    learner = Visitor(app, "testmodul", issuer=A)
    assert_german_refusal(learner.get("/authoring/"), 403, "trainers_only")
    assert_german_refusal(learner.post("/authoring/new", {"title": "x"}), 403, "trainers_only")
    coordinator = Visitor(app, "", sub="kim", role="coordinator", issuer=A)
    assert coordinator.get(f"/authoring/{module_id}/").status_code == 200  # coordinators read
    assert_german_refusal(coordinator.post("/authoring/new", {"title": "x"}), 403, "trainers_only")
    t = trainer(app)
    assert_german_refusal(t.post("/authoring/new", {"title": "x"}, csrf="falsch"), 400, "form_expired")
    other = trainer(app, issuer=B)
    for path in (f"/authoring/{module_id}/", f"/authoring/{module_id}/history", f"/authoring/{module_id}/export",
                 f"/authoring/{module_id}/preview", f"/authoring/{module_id}/lessons/einfuehrung"):
        assert_german_refusal(other.get(path), 404, "authored_not_found")
    assert_german_refusal(other.post(f"/authoring/{module_id}/module", {"revision": "1", "title": "gekapert"}), 404,
                          "authored_not_found")
    assert_german_refusal(other.post(f"/authoring/{module_id}/publish", {"revision": "1", "note": "x"}), 404,
                          "authored_not_found")
    assert Visitor(app, "", sub="x", issuer=B).get(f"/module/{module_id}").status_code == 404
    assert _state(app) == before


@pytest.mark.parametrize("kind, filename, data, text, words", [
    ("image", "bild.png", b"MZ\x90\x00 not an image", "Ein Bild", "kein Bild"),
    ("image", "bild.png", None, "", "Alternativtext"),
    ("download", "tool.exe", b"MZ\x90\x00binary", "Programm", "nicht erlaubt"),
    ("download", "tabelle.xlsx", b"%PDF-1.7 falsch benannt", "Tabelle", "nicht erlaubt"),
    ("image", "gross.png", b"\x89PNG\r\n\x1a\n" + b"0" * (6 * 1024 * 1024), "Zu groß", "zu groß"),
])
def test_refused_uploads_store_nothing(app, kind, filename, data, text, words):
    from tests.authoring.test_core_authoring import _png

    module_id = copy_of_testmodul(app)
    t = trainer(app)
    page = t.get(f"/authoring/{module_id}/")
    before = (_state(app), service(app).draft(A, module_id).revision)
    response = t.client.post(f"/authoring/{module_id}/files?ls={t.sid}", data={
        "csrf": t.csrf, "revision": revision(page), "kind": kind, "text": text,
        "file": (io.BytesIO(data if data is not None else _png()), filename)}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert words in response.text and 'role="alert"' in response.text
    assert (_state(app), service(app).draft(A, module_id).revision) == before


def test_svg_upload_is_sanitised_or_refused(app):
    module_id = copy_of_testmodul(app)
    t = trainer(app)
    page = t.get(f"/authoring/{module_id}/")
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)"><script>alert(2)</script>'
           b'<rect width="10" height="10" onclick="alert(3)"/></svg>')
    response = t.client.post(f"/authoring/{module_id}/files?ls={t.sid}", data={
        "csrf": t.csrf, "revision": revision(page), "kind": "image", "text": "Ein Quadrat",
        "file": (io.BytesIO(svg), "quadrat.svg")}, content_type="multipart/form-data")
    if response.status_code == 400:
        assert "SVG" in response.text
        return
    assert response.status_code == 303
    files = service(app).draft(A, module_id).doc["files"]
    stored = service(app).blob(files["media/quadrat.svg"]["sha256"])
    assert b"<script" not in stored and b"onload" not in stored and b"onclick" not in stored


@pytest.mark.parametrize("entries, words", [
    ([("m/../../evil.txt", b"x"), ("m/module.yaml", b"id: m")], "zeigt aus dem Modulordner heraus"),
    ([("m/module.yaml", b"id: m"), ("m/media/bomb.txt", b"0" * (61 * 1024 * 1024))], "ZIP-Bombe"),
    ([("readme.txt", b"kein Modul")], "module.yaml"),
])
def test_hostile_zip_imports_store_nothing(app, entries, words):
    t = trainer(app)
    before = _state(app)
    response = t.client.post(f"/authoring/import?ls={t.sid}", data={
        "csrf": t.csrf, "archive": (io.BytesIO(_zip(entries)), "modul.zip")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and words in response.text
    assert _state(app) == before


def test_hand_written_zip_lists_every_problem_with_file_line_and_field(app):
    module_yaml = ("format: 1\nid: handgemacht\ntitle: Handgemacht\nsummary: ''\nversion: '1'\nlanguage: de\n"
                   "target_group: Vereine\nestimated_minutes: zehn\nobjectives: []\nlessons: [eins]\nquiz: {}\n"
                   "completion: {}\nsources: []\ndisclaimer: Hinweis ohne den Satz\n")
    lesson = "---\nid: eins\ntitle: Eins\nminutes: 5\nobjectives: []\n---\n<script>alert(1)</script>\n"
    quiz = "questions:\n  - id: f1\n    type: single\n    prompt: Was?\n    options:\n      - {id: a, text: A, correct: false, feedback: x}\n      - {id: b, text: B, correct: false, feedback: y}\n    explanation: weil\n"
    data = _zip([("handgemacht/module.yaml", module_yaml), ("handgemacht/lessons/eins.md", lesson),
                 ("handgemacht/quiz.yaml", quiz), ("handgemacht/glossary.yaml", "terms: []\n"),
                 ("handgemacht/media/x.exe", b"MZ")])
    t = trainer(app)
    before = _state(app)
    response = t.client.post(f"/authoring/import?ls={t.sid}", data={"csrf": t.csrf, "archive": (io.BytesIO(data), "m.zip")},
                             content_type="multipart/form-data")
    assert response.status_code == 400
    text = response.text
    for expected in ("module.yaml:4: summary:", "module.yaml:8: estimated_minutes:", "module.yaml:14: disclaimer:",
                     "lessons/eins.md:7: html:", "quiz.yaml:5: questions[0].options:", "media/x.exe:"):
        assert expected in text, expected
    assert _state(app) == before


def test_too_large_upload_gets_the_german_413_page(app):
    t = trainer(app)
    response = t.client.post(f"/authoring/import?ls={t.sid}", data={
        "csrf": t.csrf, "archive": (io.BytesIO(b"0" * (43 * 1024 * 1024)), "riesig.zip")},
        content_type="multipart/form-data")
    assert response.status_code == 413 and "zu groß" in response.text


def test_scripts_in_a_lesson_are_a_problem_never_published_and_never_rendered(app):
    module_id = copy_of_testmodul(app)
    t = trainer(app)
    url = f"/authoring/{module_id}/lessons/einfuehrung"
    t.post(url, {"revision": revision(t.get(url)), "title": "Einführung", "minutes": "5",
                 "body": "Hallo <script>alert(1)</script> [Link](javascript:alert(2))"})
    page = t.get(url)
    assert "<script>alert(1)" not in page.text and "javascript:alert" not in page.text.split("<textarea")[0]
    assert "ist in Lektionen nicht erlaubt" in page.text or "ist nicht erlaubt" in page.text
    refused = t.post(f"/authoring/{module_id}/publish", {"revision": revision(page), "note": "Versuch"})
    assert refused.status_code == 400 and count(app, AuthoredVersion) == 0


# ---------------------------------------------------------------- one catalogue, versions, round trip


def _publish(app, module_id, note="neu", sub="tarek"):
    draft = service(app).draft(A, module_id)
    return service(app).publish(author(app, sub), module_id, draft.revision, note)


def test_published_module_is_in_the_catalogue_of_its_platform_only_and_audited(app):
    module_id = copy_of_testmodul(app)
    assert _publish(app, module_id, "erste Fassung") == 1
    tool = app.extensions["vamos"]
    assert module_id in {m.id for m in tool.catalog_for(A)}
    assert module_id not in {m.id for m in tool.catalog_for(B)}
    learner = Visitor(app, module_id, issuer=A)
    page = learner.get(f"/module/{module_id}")
    assert page.status_code == 200 and "Testmodul Vereinsarbeit" in page.text
    with tool.db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        actors = {e.actor for e in s.scalars(select(AuditEntry))}
    assert actions == ["authoring_copy", "authoring_publish"]
    assert actors == {author(app).actor} and "tarek" not in json.dumps(list(actors))
    # Nothing new to publish: refused in German, no version.
    with pytest.raises(Exception, match="Keine Änderung seit Version 1"):
        _publish(app, module_id)


def test_export_and_import_through_the_service_keep_the_content_hash(app):
    module_id = copy_of_testmodul(app)
    _publish(app, module_id)
    name, data = service(app).export_zip(A, module_id, 1)
    assert name == f"{module_id}-v1.zip"
    original = service(app).version_doc(A, module_id, 1)
    imported = service(app).import_zip(author(app), data)
    assert imported == module_id  # this platform's own module: the ZIP became its draft
    assert folder.content_hash(service(app).draft(A, module_id).doc) == folder.content_hash(original)
    elsewhere = service(app).import_zip(author(app, issuer=B), data)
    assert elsewhere != module_id  # another platform gets its own id, same content
    assert folder.content_hash(service(app).draft(B, elsewhere).doc) == folder.content_hash(original)


def test_learner_continues_on_the_next_version_with_the_progress_the_rules_say(app):
    """v1: two lessons and one question; the learner did lesson 1 and passed the quiz. v2 removes lesson 2 and
    adds a question: the removed lesson drops out, the old attempt keeps its v1 grade, the module completes
    with lesson 1 done; v3 adds a required lesson: the module re-opens."""
    module_id = copy_of_testmodul(app)

    def change(doc):
        doc["lessons"].append({"meta": {"id": "zweite", "title": "Zweite Lektion", "minutes": 5, "objectives": []},
                               "body": "Noch mehr über den Vorstand."})
    draft = service(app).draft(A, module_id)
    service(app).save(author(app), module_id, draft.revision, change)
    _publish(app, module_id, "v1")
    v = Visitor(app, module_id, issuer=A)
    v.module_id = module_id
    tool = app.extensions["vamos"]
    module_v1 = tool.catalog_for(A).get(module_id)
    assert module_v1.version == "1" and len(module_v1.lessons) == 2
    assert v.post(f"/module/{module_id}/lesson/einfuehrung/done").status_code == 303
    token = v.start_quiz()
    answers = [(f"q-{q.id}", sorted(q.correct_ids)[0]) for q in module_v1.quiz.questions]
    assert v.post(f"/module/{module_id}/quiz/attempt", [("attempt", token), ("action", "submit"), *answers]).status_code == 303
    row = v.state()
    assert row.percent < 100 and not row.completed  # lesson 2 still open

    def v2(doc):
        doc["lessons"] = [l for l in doc["lessons"] if l["meta"]["id"] != "zweite"]
        doc["quiz"]["questions"].append({"id": "neu", "type": "single", "prompt": "Neue Frage?", "explanation": "Darum.",
                                         "options": [{"id": "a", "text": "Ja", "correct": True, "feedback": "Gut."},
                                                     {"id": "b", "text": "Nein", "correct": False, "feedback": "Doch."}]})
    service(app).save(author(app), module_id, service(app).draft(A, module_id).revision, v2)
    assert _publish(app, module_id, "v2") == 2
    page = v.get(f"/module/{module_id}")
    assert page.status_code == 200
    row = v.state()
    assert row.content_version == "2" and json.loads(row.lessons_done) == ["einfuehrung"]
    assert row.quiz_score == 100.0 and row.completed  # the v1 attempt keeps its grade
    with tool.db.session() as s:
        attempt = s.scalars(select(ProgressEvent).where(ProgressEvent.kind == ProgressEvent.QUIZ_ATTEMPT)).one()
    assert json.loads(attempt.data)["version"] == "1"
    result = v.get(f"/module/{module_id}/quiz/result/{attempt.id}")
    assert result.status_code == 200 and "Neue Frage?" not in result.text  # the result shows what was asked

    def v3(doc):
        doc["lessons"].append({"meta": {"id": "dritte", "title": "Dritte Lektion", "minutes": 5, "objectives": []},
                               "body": "Neuer Pflichtstoff."})
    service(app).save(author(app), module_id, service(app).draft(A, module_id).revision, v3)
    _publish(app, module_id, "v3")
    v.get(f"/module/{module_id}")
    row = v.state()
    assert row.content_version == "3" and not row.completed and row.percent < 100


def test_build_olx_from_the_lti_database(app, tmp_path, backend):
    from vamos_cli.cli import main

    module_id = copy_of_testmodul(app)
    _publish(app, module_id)
    draft_only = service(app).create(author(app), "Nur Entwurf")
    assert main(["build-olx", "--from-lti", backend["database_url"], "-o", str(tmp_path / "olx")]) == 0
    built = {p.name for p in (tmp_path / "olx").iterdir() if p.is_dir()}
    assert any(module_id in name for name in built), built
    assert not any(draft_only in name for name in built)  # drafts never leave the editor


def test_history_rollback_archive_and_delete_are_audited(app):
    module_id = copy_of_testmodul(app)
    _publish(app, module_id, "v1")
    service(app).save(author(app), module_id, service(app).draft(A, module_id).revision,
                      lambda doc: doc["lessons"][0].update(body=doc["lessons"][0]["body"] + "\n\nNeu in v2."))
    _publish(app, module_id, "v2")
    t = trainer(app)
    history = t.get(f"/authoring/{module_id}/history")
    assert history.status_code == 200 and "v1" in history.text and "v2" in history.text
    diff = t.get(f"/authoring/{module_id}/history/2")
    assert "Neu in v2." in diff.text and "hinzugefügt:" in diff.text
    back = t.post(f"/authoring/{module_id}/history/1/rollback", {"revision": revision(t.get(f"/authoring/{module_id}/")),
                                                                  "note": "zurück zu v1"})
    assert back.status_code == 303
    v1, v3 = service(app).version_doc(A, module_id, 1), service(app).version_doc(A, module_id, 3)
    assert folder.content_hash(v1) == folder.content_hash(v3)
    assert app.extensions["vamos"].catalog_for(A).get(module_id).version == "3"
    # A published module is archived, never deleted; a draft that was never published can be deleted.
    page = t.get(f"/authoring/{module_id}/")
    refused = t.post(f"/authoring/{module_id}/status", {"revision": revision(page), "action": "delete"})
    assert refused.status_code == 400 and "Archivieren Sie das Modul" in refused.text
    assert t.post(f"/authoring/{module_id}/status", {"revision": revision(page), "action": "archive"}).status_code == 303
    assert app.extensions["vamos"].catalog_for(A).get(module_id) is None  # learners no longer get it
    draft_only = service(app).create(author(app), "Wegwerfentwurf")
    page = t.get(f"/authoring/{draft_only}/")
    assert t.post(f"/authoring/{draft_only}/status", {"revision": revision(page), "action": "delete"}).status_code == 303
    with app.extensions["vamos"].db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["authoring_copy", "authoring_publish", "authoring_publish", "authoring_rollback",
                       "authoring_archive", "authoring_create", "authoring_delete"]


def _shipped_ids():
    from vamos_core.loader import default_content_dir, module_dirs

    return [p.name for p in module_dirs(default_content_dir())]


@pytest.mark.parametrize("shipped", _shipped_ids())
def test_every_shipped_module_copied_exported_and_imported_keeps_its_content_hash(tmp_path, shipped):
    """Must show of issue 13, through the tool's own service (with the import's hostile-input checks): figures in
    subfolders, the lesson video with captions and transcript, XLSX/DOCX/HTML templates all travel."""
    from vamos_core.content import default_content_dir

    app = create_app(make_config(tmp_path, {"database_url": f"sqlite:///{tmp_path / 't.sqlite3'}", "redis_url": "",
                                            "auto_migrate": True}, content_dir=str(default_content_dir())))
    try:
        copied = service(app).copy(author(app), shipped)
        original = service(app).draft(A, copied).doc
        _name, data = service(app).export_zip(A, copied)
        elsewhere = service(app).import_zip(author(app, issuer=B), data)
        assert folder.content_hash(service(app).draft(B, elsewhere).doc) == folder.content_hash(original)
        assert service(app).check(service(app).draft(B, elsewhere).doc).ok
    finally:
        app.extensions["vamos"].db.dispose()


# ---------------------------------------------------------------- reading aids in the editor (issue 17)


def test_trainer_writes_the_plain_summary_and_the_term_translations_in_the_editor(app):
    module_id = copy_of_testmodul(app)
    tarek = trainer(app)
    url = f"/authoring/{module_id}/lessons/einfuehrung"
    page = tarek.get(url)
    assert 'name="plain_summary"' in page.text and "Kurz und einfach" in page.text
    form = {"title": "Einführung", "minutes": "10", "objectives": "grundlagen", "revision": revision(page),
            "body": "Ein Verein hat eine Satzung.", "plain_summary": "Ein Verein braucht eine Satzung."}
    assert tarek.post(url, form).status_code == 303
    draft = service(app).draft(A, module_id)
    assert draft.doc["lessons"][0]["meta"]["plain_summary"] == "Ein Verein braucht eine Satzung."

    editor = tarek.get(f"/authoring/{module_id}/")
    assert 'name="term-0-translation-ar"' in editor.text and 'lang="ar" dir="auto"' in editor.text
    terms = {"revision": revision(editor), "term-0-id": "satzung", "term-0-term": "Satzung",
             "term-0-definition": "Die Grundordnung eines Vereins.", "term-0-translation-en": "statutes",
             "term-0-translation-ar": "النظام الأساسي", "term-0-translation-uk": "", "action": "save"}
    assert tarek.post(f"/authoring/{module_id}/glossary", terms).status_code == 303
    saved = service(app).draft(A, module_id).doc["glossary"]["terms"][0]
    assert saved["translations"] == {"en": "statutes", "ar": "النظام الأساسي"}  # empty fields are left out
    # The translations are content: the core's own loader reads them from the canonical folder.
    result = service(app).check(service(app).draft(A, module_id).doc)
    assert not result.problems and result.module.glossary[0].translation("ar") == "النظام الأساسي"
    assert result.module.lessons[0].plain_summary == "Ein Verein braucht eine Satzung."
