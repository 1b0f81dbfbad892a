"""Core authoring rules: the document ↔ folder round trip, content hashes, hostile ZIPs and uploads,
and the validator's findings placed next to the right field in plain German."""
from __future__ import annotations

import io
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from vamos_core.authoring import archive, check, diff, document, folder, media
from vamos_core.content import load_module

SHIPPED = sorted(p for p in (Path(__file__).parents[2] / "course_content").iterdir() if (p / "module.yaml").is_file())


def _doc_of(module_dir: Path):
    blobs: dict[str, bytes] = {}

    def meta(path, data):
        found = media.meta_from_bytes(path, data)
        blobs[found["sha256"]] = data
        return found

    return folder.document_from_files(folder.read_folder(module_dir), meta), blobs


def _zip_of(doc, blobs):
    files = dict(folder.text_files(doc))
    files.update({path: blobs[m["sha256"]] for path, m in doc["files"].items()})
    return archive.write_zip(doc["module"]["id"], files)


@pytest.mark.parametrize("module_dir", SHIPPED, ids=lambda p: p.name)
def test_copy_export_import_keeps_the_content_hash_and_validates(module_dir, tmp_path):
    doc, blobs = _doc_of(module_dir)
    copy = document.with_id(doc, f"{module_dir.name}-kopie")
    data = _zip_of(copy, blobs)
    back = folder.document_from_files(archive.read_zip(data), lambda p, d: media.meta_from_bytes(p, d))
    assert folder.content_hash(back) == folder.content_hash(copy) == folder.content_hash(doc)
    assert back == copy
    # The exported ZIP, unpacked as it is, passes `vamos validate` (the CLI, not a library call).
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(tmp_path)
    result = subprocess.run([sys.executable, "-m", "vamos_cli.cli", "validate", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"ok {module_dir.name}-kopie" in result.stdout
    # And the exported ZIP file itself is accepted unchanged.
    (tmp_path / "export.zip").write_bytes(data)
    result = subprocess.run([sys.executable, "-m", "vamos_cli.cli", "validate", str(tmp_path / "export.zip")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_change_changes_the_hash_but_the_id_and_version_label_do_not():
    doc, _ = _doc_of(SHIPPED[0])
    base = folder.content_hash(doc)
    assert folder.content_hash(document.with_id(doc, "anders")) == base
    changed = document.with_id(doc, doc["module"]["id"])
    changed["quiz"]["questions"][0]["prompt"] += " (neu)"
    assert folder.content_hash(changed) != base


def test_new_document_ids_are_born_once_and_stay():
    doc = document.new_document("mein-modul-1a2b", "Mein Modul")
    first = doc["lessons"][0]["meta"]["id"]
    doc["lessons"][0]["meta"]["title"] = "Ganz anderer Titel"
    document.add_lesson(doc, "Lektion 1")  # same title again: a new id, the old one untouched
    assert [lesson["meta"]["id"] for lesson in doc["lessons"]] == [first, f"{first}-2"]
    question = document.add_question(doc)
    question["options"].append(document.new_option(question["options"]))
    assert [o["id"] for o in question["options"]] == ["a", "b", "c"]
    assert document.slug("Förderung & Übergänge – 2026") == "foerderung-uebergaenge-2026"


def test_problems_are_placed_at_their_field_in_plain_german():
    doc = document.new_document("test-1a2b", "Test")
    question = document.add_question(doc, "single")
    question["prompt"] = "Was stimmt?"
    question["options"][0].update(text="A", feedback="x")
    question["options"][1].update(text="B", feedback="y")
    doc["lessons"][0]["body"] = "Text mit [Q9] und ![](media/fehlt.png)"
    result = check.check_document(doc, lambda sha: b"")
    by_label = {p.label: p.message for p in result.problems}
    assert by_label["Frage 1 – Antwortmöglichkeiten"].startswith("keine richtige Antwort markiert")
    texts = [str(p) for p in result.problems]
    assert any("Lektion 1 „Lektion 1“ – Text, Zeile 1" in t and "[Q9]" in t for t in texts)
    assert any("Frage 1 – Erklärung: darf nicht leer sein" == t for t in texts)
    assert not any(":" in p.message.split(" ")[0] and "yaml" in p.message for p in result.problems)
    anchors = {p.anchor for p in result.problems}
    assert "question-0-options" in anchors and "lesson-0-body" in anchors


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            z.writestr(info, data)
    return buffer.getvalue()


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("data, words", [
    (_zip([("m/../../etc/passwd", b"x"), ("m/module.yaml", b"id: m")]), "zeigt aus dem Modulordner heraus"),
    (_zip([("/abs/module.yaml", b"x")]), "zeigt aus dem Modulordner heraus"),
    (_zip([("m\\..\\x", b"x"), ("module.yaml", b"x")]), "zeigt aus dem Modulordner heraus"),
    (_zip([(_symlink("m/media/link"), b"/etc/passwd"), ("m/module.yaml", b"x")]), "Verknüpfung"),
    (_zip([(f"m/media/f{i}.txt", b"x") for i in range(archive.MAX_FILES + 1)]), "höchstens"),
    (_zip([("m/module.yaml", b"x"), ("m/media/bomb.txt", b"0" * (archive.MAX_UNPACKED + 10))]), "ZIP-Bombe"),
    (_zip([("a/module.yaml", b"x"), ("b/module.yaml", b"x")]), "module.yaml"),
    (b"not a zip at all", "kein gültiges ZIP"),
])
def test_hostile_archives_are_refused_with_a_german_message(data, words):
    with pytest.raises(archive.ArchiveRefused) as refused:
        archive.read_zip(data)
    assert words in str(refused.value)


def test_uploads_are_checked_by_content_not_name():
    with pytest.raises(media.MediaRefused, match="Alternativtext"):
        media.accept_image(_png(), "bild.png", "", set())
    with pytest.raises(media.MediaRefused, match="kein Bild"):
        media.accept_image(b"%PDF-1.7 fake", "bild.png", "Ein Bild", set())
    with pytest.raises(media.MediaRefused, match="nicht erlaubt"):
        media.accept_download(b"MZ\x90\x00binary", "tool.exe", "Programm", set())
    with pytest.raises(media.MediaRefused, match="nicht erlaubt"):
        media.accept_download(_png(), "tabelle.xlsx", "Tabelle", set())  # a PNG named .xlsx
    path, data, meta = media.accept_image(_png(), "../../Böses Bild.PNG", "Ein Diagramm", {"media/boeses-bild.png"})
    assert path == "media/boeses-bild-2.png" and meta["alt"] == "Ein Diagramm" and data == _png()


def test_svg_uploads_lose_scripts_and_handlers():
    hostile = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
               b'<a href="javascript:alert(3)"><rect width="10" height="10"/></a></svg>')
    try:
        path, data, _ = media.accept_image(hostile, "grafik.svg", "Grafik", set())
    except media.MediaRefused as refused:
        assert "SVG" in str(refused)
        return
    assert path.endswith(".svg")
    for bad in (b"onload", b"<script", b"javascript:"):
        assert bad not in data


def test_diff_names_what_changed():
    doc, _ = _doc_of(SHIPPED[0])
    new = document.with_id(doc, doc["module"]["id"])
    new["lessons"].pop()
    changes = diff.diff_documents(doc, new)
    statuses = {c.path: c.status for c in changes}
    assert statuses[f"lessons/{doc['lessons'][-1]['meta']['id']}.md"] == "gelöscht"
    assert statuses["module.yaml"] == "geändert"


def test_materialised_document_loads_like_a_shipped_folder(tmp_path):
    doc, blobs = _doc_of(SHIPPED[1])
    module = load_module(folder.write_folder(doc, tmp_path / doc["module"]["id"], blobs.__getitem__))
    assert [lesson.id for lesson in module.lessons] == [lesson["meta"]["id"] for lesson in doc["lessons"]]


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (10, 90, 170)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_lowercase_citation_is_a_problem_not_silent_text():
    doc = document.new_document("test-1a2b", "Test")
    document.add_source(doc, "Bürgerliches Gesetzbuch")
    doc["lessons"][0]["body"] = "Der Vorstand vertritt den Verein [q1]."
    messages = [p.message for p in check.check_document(doc, lambda sha: b"").problems]
    assert "Quellen bitte in Großbuchstaben zitieren: [Q1]" in messages
