"""OLX export: olxcleaner finds no problem, the courses parse back through the XBlock runtime into the same
lessons and questions, url_names are stable, and rebuilding is byte-identical."""
from __future__ import annotations

import json
import tarfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from vamos_cli.cli import main as vamos
from vamos_core.content import load_module, validate_paths
from vamos_core.olx import XBLOCK_TAGS, course_files, url_names, write_course

from .conftest import MODULE_ID, BlockRuntime

REPO = Path(__file__).resolve().parents[2]


def olxcleaner_errors(course_dir: Path) -> list[str]:
    from olxcleaner import validate

    _course, errorstore, _names = validate(str(course_dir), steps=8, allowed_xblocks=list(XBLOCK_TAGS))
    return [f"{e.level} {type(e).__name__}: {e.description}" for e in errorstore.errors]


@pytest.fixture
def module(content_dir):
    return load_module(content_dir / MODULE_ID)


@pytest.fixture
def built(module, tmp_path):
    return write_course(module, tmp_path / "olx")


def parse_course(course_dir: Path, runtime: BlockRuntime):
    """Walk course.xml → chapters → sequentials → verticals and parse every VAMOs block with the XBlock runtime."""
    root = ET.parse(course_dir / "course.xml").getroot()
    course = ET.parse(course_dir / "course" / f"{root.get('url_name')}.xml").getroot()
    blocks = []
    for chapter_ref in course.findall("chapter"):
        chapter = ET.parse(course_dir / "chapter" / f"{chapter_ref.get('url_name')}.xml").getroot()
        for seq_ref in chapter.findall("sequential"):
            sequential = ET.parse(course_dir / "sequential" / f"{seq_ref.get('url_name')}.xml").getroot()
            for vert_ref in sequential.findall("vertical"):
                vertical = ET.parse(course_dir / "vertical" / f"{vert_ref.get('url_name')}.xml").getroot()
                for element in vertical:
                    block = runtime.get_block(runtime.parse_xml_string(ET.tostring(element, encoding="unicode")))
                    blocks.append((element.get("url_name"), sequential.attrib, block))
    return blocks


def test_olxcleaner_finds_no_errors(built):
    assert olxcleaner_errors(built.directory) == []


def test_shipped_modules_export_cleanly(tmp_path):
    modules, _problems = validate_paths([REPO / "course_content"])
    assert modules, "no valid module in course_content"
    for module in modules:
        course = write_course(module, tmp_path)
        assert olxcleaner_errors(course.directory) == [], module.id
        runtime = BlockRuntime()
        lessons = [b.lesson_id for _, _, b in parse_course(course.directory, runtime) if b.scope_ids.block_type == "vamos_lesson"]
        assert lessons == list(module.lesson_ids)


def test_course_parses_back_into_the_same_lessons_and_questions(built, module, monkeypatch):
    runtime = BlockRuntime()
    blocks = parse_course(built.directory, runtime)
    kinds = [(name, block.scope_ids.block_type) for name, _, block in blocks]
    assert kinds == [
        (f"{MODULE_ID}.overview", "vamos_module"),
        (f"{MODULE_ID}.lesson.erste-lektion", "vamos_lesson"),
        (f"{MODULE_ID}.lesson.zweite-lektion", "vamos_lesson"),
        (f"{MODULE_ID}.quiz", "vamos_quiz"),
        (f"{MODULE_ID}.certificate", "vamos_module"),
    ]
    lessons = [block for _, _, block in blocks if block.scope_ids.block_type == "vamos_lesson"]
    assert [block.get_lesson() for block in lessons] == list(module.lessons)
    assert [block.display_name for block in lessons] == [lesson.title for lesson in module.lessons]
    html = runtime.render(lessons[0], "student_view").body_html()
    assert "Erste Lektion" in html and "callout-fall" in html
    ((_, quiz_sequential, quiz),) = [(n, s, b) for n, s, b in blocks if b.scope_ids.block_type == "vamos_quiz"]
    assert quiz.get_module().quiz.questions == module.quiz.questions
    assert quiz.max_score() == module.quiz.max_points and quiz.weight == 1.0
    assert quiz_sequential == {"display_name": "Abschlusstest", "graded": "true", "format": "Abschlusstest"}
    assert all(block.module_id == MODULE_ID for _, _, block in blocks)


def test_policies(built, module):
    grading = json.loads((built.directory / "policies/selfpaced/grading_policy.json").read_text())
    assert grading["GRADE_CUTOFFS"] == {"Pass": 0.7}  # the module's passing score
    assert grading["GRADER"] == [{"type": "Abschlusstest", "short_label": "Test", "min_count": 1, "drop_count": 0, "weight": 1.0}]
    policy = json.loads((built.directory / "policies/selfpaced/policy.json").read_text())["course/selfpaced"]
    assert policy["display_name"] == "Testmodul" and policy["language"] == "de"
    assert policy["advanced_modules"] == ["vamos_lesson", "vamos_module", "vamos_quiz"]
    assert policy["cert_html_view_enabled"] is True
    assert policy["certificates"]["certificates"][0]["is_active"] is True
    course = ET.parse(built.directory / "course.xml").getroot()
    assert course.attrib == {"url_name": "selfpaced", "org": "VAMOs", "course": MODULE_ID}


def test_url_names_come_from_content_ids_only(module, content_dir):
    before = url_names(module)
    folder = content_dir / MODULE_ID
    text = (folder / "module.yaml").read_text(encoding="utf-8")
    try:
        (folder / "module.yaml").write_text(text.replace('version: "2026.1"', 'version: "2027.1"')
                                            .replace("title: Testmodul", "title: Neuer Titel"), encoding="utf-8")
        changed = load_module(folder)
        assert changed.version == "2027.1"
        assert url_names(changed) == before  # a new content version keeps every url_name: learner state survives
    finally:
        (folder / "module.yaml").write_text(text, encoding="utf-8")


def test_rebuild_is_byte_identical(module, built, tmp_path):
    def snapshot(directory: Path) -> dict[str, bytes]:
        return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}

    first, archive = snapshot(built.directory), built.archive.read_bytes()
    again = write_course(module, tmp_path / "olx")
    assert snapshot(again.directory) == first and again.archive.read_bytes() == archive
    elsewhere = write_course(module, tmp_path / "other")
    assert elsewhere.archive.read_bytes() == archive  # no path, time or owner inside


def test_archive_is_ready_for_studio(built):
    with tarfile.open(built.archive, "r:gz") as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert f"{MODULE_ID}/course.xml" in names
        assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 and m.uname == "" for m in members)
        assert all(name == MODULE_ID or name.startswith(f"{MODULE_ID}/") for name in names)
        files = {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in members if m.isfile()}
    assert files == {p: (built.directory / p).read_bytes() for p in built.files}


def test_stale_files_of_an_earlier_build_are_removed(module, built):
    stale = built.directory / "vertical" / "alt.unit.xml"
    stale.write_text("<vertical/>")
    write_course(module, built.directory.parent)
    assert not stale.exists()


def test_refuses_to_overwrite_a_foreign_folder(module, tmp_path):
    (tmp_path / MODULE_ID).mkdir()
    (tmp_path / MODULE_ID / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_course(module, tmp_path)
    assert (tmp_path / MODULE_ID / "notes.txt").read_text() == "mine"


def test_course_files_are_pure(module):
    assert course_files(module) == course_files(module)
    assert list(course_files(module)) == sorted(course_files(module))


def test_cli_build_olx(content_dir, tmp_path, capsys):
    assert vamos(["build-olx", "--content", str(content_dir), "-o", str(tmp_path), "--module", MODULE_ID]) == 0
    assert f"ok {MODULE_ID}" in capsys.readouterr().out
    assert (tmp_path / f"{MODULE_ID}.tar.gz").is_file() and (tmp_path / MODULE_ID / "course.xml").is_file()
    assert vamos(["build-olx", "--content", str(content_dir), "-o", str(tmp_path / "x"), "--module", "gibt-es-nicht"]) == 1
    assert "gibt-es-nicht" in capsys.readouterr().err and not (tmp_path / "x").exists()
    with pytest.raises(SystemExit):
        vamos(["build-olx", "--content", str(content_dir), "-o", str(tmp_path), "--run", "a/b"])


def test_cli_refuses_invalid_content(content_dir, tmp_path, capsys):
    broken = tmp_path / "content"
    (broken / "kaputt").mkdir(parents=True)
    (broken / "kaputt" / "module.yaml").write_text("format: 1\nid: kaputt\n")
    assert vamos(["build-olx", "--content", str(broken), "-o", str(tmp_path / "out")]) == 1
    assert "module.yaml" in capsys.readouterr().err and not (tmp_path / "out").exists()
