"""Load and validate course content: all problems at once, and never a partially loaded module."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from . import schema as s
from .figures import check_figures
from .lesson_checks import MAX_CHECKS_PER_LESSON
from .lesson_video import load_video
from .markdown import check_body, count_words
from .model import (
    AttemptScoring, Catalog, CertificateSettings, CompletionRule, Download, GlossaryTerm, Lesson, Module,
    MultipleScoring, Objective, Option, Question, QuestionType, Quiz, QuizDisplay, QuizSettings, Source,
)
from .languages import TRANSLATED_LANGUAGES
from .problems import ContentError, Problem, ProblemList
from .yaml_lines import LineDict, LineList, YamlSyntaxError, load_yaml

FORMAT_VERSION = 1
DISCLAIMER_PHRASE = "keine Rechts- oder Steuerberatung"
OPTION_ID = s.Field(str, check=lambda v: None if v and v.replace("-", "").isalnum() and v == v.lower() else f"'{v}' is not a valid option id")

MODULE_SPEC = {
    "format": s.Field(int, check=lambda v: None if v == FORMAT_VERSION else f"unsupported format {v}, expected {FORMAT_VERSION}"),
    "id": s.Field(str, check=s.valid_id),
    "title": s.Field(str, check=s.non_empty),
    "summary": s.Field(str, check=s.non_empty),
    "version": s.Field(str, check=s.non_empty),
    "language": s.Field(str, check=s.one_of("de", "en")),
    "target_group": s.Field(str, check=s.non_empty),
    "estimated_minutes": s.Field(int, check=s.in_range(1, 6000)),
    "objectives": s.Field(list),
    "lessons": s.Field(list),
    "quiz": s.Field(dict),
    "completion": s.Field(dict),
    "sources": s.Field(list),
    "disclaimer": s.Field(
        str, check=lambda v: None if DISCLAIMER_PHRASE in v else f"must contain „{DISCLAIMER_PHRASE}“"
    ),
    "advice": s.Field(str, required=False),
    "legal_status": s.Field(str, required=False),
    "certificate": s.Field(dict, required=False),
}
OBJECTIVE_SPEC = {"id": s.Field(str, check=s.valid_id), "text": s.Field(str, check=s.non_empty)}
SOURCE_SPEC = {
    "id": s.Field(str, check=s.valid_id),
    "title": s.Field(str, check=s.non_empty),
    "url": s.Field(str, required=False, check=lambda v: None if v.startswith(("https://", "http://")) else "must start with https://"),
}
QUIZ_SETTINGS_SPEC = {
    "file": s.Field(str, required=False),
    "display": s.Field(str, required=False, check=s.one_of(*(d.value for d in QuizDisplay))),
    "max_attempts": s.Field(int, required=False, check=s.in_range(0, 100)),
    "scoring": s.Field(str, required=False, check=s.one_of(*(a.value for a in AttemptScoring))),
    "shuffle_options": s.Field(bool, required=False),
}
COMPLETION_SPEC = {
    "require_all_lessons": s.Field(bool, required=False),
    "require_quiz_pass": s.Field(bool, required=False),
    "passing_score": s.Field((int, float), required=False, check=s.in_range(0, 100)),
}
CERTIFICATE_SPEC = {
    "hours": s.Field((int, float), required=False, check=s.in_range(0.1, 1000)),
    "show_score": s.Field(bool, required=False),
}
LESSON_SPEC = {
    "id": s.Field(str, check=s.valid_id),
    "title": s.Field(str, check=s.non_empty),
    "minutes": s.Field(int, check=s.in_range(1, 240)),
    "objectives": s.Field(list),
    "downloads": s.Field(list, required=False),
    "video": s.Field(dict, required=False),  # lesson_video.VIDEO_SPEC
    "checks": s.Field(list, required=False),  # CHECK_SPEC, at most MAX_CHECKS_PER_LESSON
    "plain_summary": s.Field(str, required=False, check=s.non_empty),  # "Kurz und einfach"
}
DOWNLOAD_SPEC = {"file": s.Field(str, check=s.non_empty), "title": s.Field(str, check=s.non_empty)}
QUESTION_SPEC = {
    "id": s.Field(str, check=s.valid_id),
    "type": s.Field(str, check=s.one_of(*(t.value for t in QuestionType))),
    "points": s.Field((int, float), required=False, check=s.in_range(0.1, 100)),
    "lesson": s.Field(str, required=False),
    "prompt": s.Field(str, check=s.non_empty),
    "options": s.Field(list),
    "explanation": s.Field(str, check=s.non_empty),
    "scoring": s.Field(str, required=False, check=s.one_of(*(m.value for m in MultipleScoring))),
}
# In-lesson checks use the question format without points and lesson (they are ungraded and sit in the lesson).
CHECK_SPEC = {key: QUESTION_SPEC[key] for key in ("id", "type", "prompt", "options", "explanation", "scoring")}
OPTION_SPEC = {
    "id": OPTION_ID,
    "text": s.Field(str, check=s.non_empty),
    "correct": s.Field(bool),
    "feedback": s.Field(str, check=s.non_empty),
}
GLOSSARY_SPEC = {
    "id": s.Field(str, check=s.valid_id),
    "term": s.Field(str, check=s.non_empty),
    "aliases": s.Field(list, required=False),
    "definition": s.Field(str, check=s.non_empty),
    "translations": s.Field(dict, required=False),  # {language: term}, languages.TRANSLATED_LANGUAGES
}


def default_content_dir() -> Path:
    """VAMOS_CONTENT_DIR if set, else the content shipped in the distribution."""
    configured = os.environ.get("VAMOS_CONTENT_DIR")
    if configured:
        return Path(configured)
    import vamos_content  # the packaged course_content/ folder

    return Path(vamos_content.__file__).parent


def module_dirs(root: Path) -> list[Path]:
    """The module folders below a content root (each has a module.yaml), or [root] if root is a module."""
    if (root / "module.yaml").is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "module.yaml").is_file())


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Every module below ``path``; raises ContentError listing all problems of all modules."""
    modules, problems = validate_paths([Path(path) if path else default_content_dir()])
    if problems:
        raise ContentError(problems)
    return Catalog({m.id: m for m in modules})


def load_valid_modules(path: Path | str | None = None) -> tuple[Catalog, list[Problem]]:
    """The modules that load cleanly, and the problems of the others.

    For running services: one module with a trainer's typo must not take the others down. A module with
    problems is still never partially loaded.
    """
    modules, problems = validate_paths([Path(path) if path else default_content_dir()])
    return Catalog({m.id: m for m in sorted(modules, key=lambda m: m.id)}), problems


def validate_paths(paths: Iterable[Path]) -> tuple[list[Module], list[Problem]]:
    """Load every module under the given roots. Returns the valid modules and all problems found."""
    modules: list[Module] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for root in paths:
        root = Path(root)
        if not root.exists():
            problems.append(Problem(str(root), 1, "path", "does not exist"))
            continue
        dirs = module_dirs(root) if root.is_dir() else []
        if not dirs:
            problems.append(Problem(str(root), 1, "path", "no module.yaml found here or in its subfolders"))
        for module_dir in dirs:
            try:
                module = load_module(module_dir)
            except ContentError as exc:
                problems.extend(exc.problems)
                continue
            if module.id in seen:
                problems.append(
                    Problem(str(module_dir / "module.yaml"), 1, "id", f"module id '{module.id}' also used by {seen[module.id]}")
                )
                continue
            seen[module.id] = module_dir
            modules.append(module)
    return modules, problems


def load_module(module_dir: Path | str) -> Module:
    """Load one module folder; raise ContentError with every problem, or return the whole module."""
    return _ModuleLoader(Path(module_dir)).load()


class _ModuleLoader:
    def __init__(self, module_dir: Path):
        self.dir = module_dir
        self.problems: list[Problem] = []

    def file(self, path: Path) -> ProblemList:
        return ProblemList(self.problems, path)

    def read_yaml(self, path: Path) -> tuple[Any, ProblemList] | tuple[None, ProblemList]:
        out = self.file(path)
        if not path.is_file():
            out.add(1, "file", "file is missing")
            return None, out
        try:
            return load_yaml(path.read_text(encoding="utf-8")), out
        except UnicodeDecodeError:
            out.add(1, "file", "is not UTF-8 text")
        except YamlSyntaxError as exc:
            out.add(exc.line, "yaml", str(exc))
        return None, out

    def load(self) -> Module:
        raw, out = self.read_yaml(self.dir / "module.yaml")
        if raw is None and not self.problems:
            out.add(1, "(top)", "the file is empty")
        data = s.check_mapping(raw, MODULE_SPEC, out, "", 1) if raw is not None else None
        if data is None:
            raise ContentError(self.problems)
        if isinstance(data.get("id"), str) and data["id"] != self.dir.name:
            out.add(data.line_of("id"), "id", f"'{data['id']}' must equal the folder name '{self.dir.name}'")

        objectives = self.objectives(data, out)
        objective_ids = {o.id for o in objectives}
        sources = self.sources(data, out)
        lessons = self.lessons(data, out, objective_ids, {source.id for source in sources})
        quiz_settings, quiz_file = self.quiz_settings(data, out)
        questions = self.questions(self.dir / quiz_file, {lesson.id for lesson in lessons}) if quiz_file else ()
        completion = self.completion(data, out)
        glossary = self.glossary(self.dir / "glossary.yaml")
        certificate = self.certificate(data, out)
        if questions == () and quiz_file and not self.problems:
            out.add(data.line_of("quiz"), "quiz", "the quiz has no questions")
        if self.problems:
            raise ContentError(self.problems)
        return Module(
            id=data["id"], title=data["title"].strip(), summary=data["summary"].strip(), version=str(data["version"]),
            language=data["language"], target_group=data["target_group"].strip(),
            estimated_minutes=data["estimated_minutes"], objectives=objectives, lessons=lessons,
            quiz=Quiz(quiz_settings, questions), completion=completion, glossary=glossary, sources=sources,
            disclaimer=data["disclaimer"].strip(), path=self.dir, advice=(data.get("advice") or None),
            legal_status=data.get("legal_status"), certificate=certificate,
        )

    # -- module.yaml parts --------------------------------------------------------------------------------

    def list_of_mappings(self, data: LineDict, key: str, spec: dict, out: ProblemList) -> list[tuple[int, LineDict]]:
        items = data.get(key)
        if not isinstance(items, LineList):
            return []
        if not items:
            out.add(data.line_of(key), key, "must not be empty")
        result = []
        for index, item in enumerate(items):
            checked = s.check_mapping(item, spec, out, f"{key}[{index}]", items.line_of(index))
            if checked is not None:
                result.append((index, checked))
        return result

    def unique(self, out: ProblemList, field: str, items: list[tuple[int, LineDict]], key: str = "id") -> None:
        seen: dict[str, int] = {}
        for index, item in items:
            value = item.get(key)
            if not isinstance(value, str):
                continue
            normalized = value.strip().lower()
            if normalized in seen:
                out.add(item.line_of(key), f"{field}[{index}].{key}", f"duplicate {key} '{value}' (first at line {seen[normalized]})")
            else:
                seen[normalized] = item.line_of(key)

    def objectives(self, data: LineDict, out: ProblemList) -> tuple[Objective, ...]:
        items = self.list_of_mappings(data, "objectives", OBJECTIVE_SPEC, out)
        self.unique(out, "objectives", items)
        return tuple(Objective(i["id"], i["text"].strip()) for _, i in items if _complete(i, OBJECTIVE_SPEC))

    def sources(self, data: LineDict, out: ProblemList) -> tuple[Source, ...]:
        items = self.list_of_mappings(data, "sources", SOURCE_SPEC, out)
        self.unique(out, "sources", items)
        return tuple(Source(i["id"], i["title"].strip(), i.get("url")) for _, i in items if _complete(i, SOURCE_SPEC))

    def quiz_settings(self, data: LineDict, out: ProblemList) -> tuple[QuizSettings, str | None]:
        raw = data.get("quiz")
        quiz = s.check_mapping(raw, QUIZ_SETTINGS_SPEC, out, "quiz", data.line_of("quiz")) if raw is not None else None
        if quiz is None:
            return QuizSettings(), None
        settings = QuizSettings(
            display=QuizDisplay(quiz.get("display") or "one_per_page") if quiz.get("display") in {d.value for d in QuizDisplay} | {None} else QuizDisplay.ONE_PER_PAGE,
            max_attempts=quiz.get("max_attempts") if isinstance(quiz.get("max_attempts"), int) else 0,
            scoring=AttemptScoring(quiz["scoring"]) if quiz.get("scoring") in {a.value for a in AttemptScoring} else AttemptScoring.BEST,
            shuffle_options=quiz.get("shuffle_options", True) is not False,
        )
        quiz_file = quiz.get("file") or "quiz.yaml"
        if not isinstance(quiz_file, str) or ".." in Path(quiz_file).parts:
            out.add(quiz.line_of("file"), "quiz.file", "must be a file inside the module folder")
            return settings, None
        return settings, quiz_file

    def completion(self, data: LineDict, out: ProblemList) -> CompletionRule:
        raw = data.get("completion")
        rule = s.check_mapping(raw, COMPLETION_SPEC, out, "completion", data.line_of("completion")) if raw is not None else None
        if rule is None:
            return CompletionRule()
        return CompletionRule(
            require_all_lessons=rule.get("require_all_lessons", True) is not False,
            require_quiz_pass=rule.get("require_quiz_pass", True) is not False,
            passing_score=float(rule["passing_score"]) if s.is_kind(rule.get("passing_score"), (int, float)) else 70.0,
        )

    def certificate(self, data: LineDict, out: ProblemList) -> CertificateSettings:
        raw = data.get("certificate")
        cert = s.check_mapping(raw, CERTIFICATE_SPEC, out, "certificate", data.line_of("certificate")) if raw is not None else None
        if cert is None:
            return CertificateSettings()
        hours = cert.get("hours")
        return CertificateSettings(
            hours=float(hours) if s.is_kind(hours, (int, float)) else None,
            show_score=cert.get("show_score", True) is not False,
        )

    # -- lessons --------------------------------------------------------------------------------------------

    def lessons(self, data: LineDict, out: ProblemList, objective_ids: set[str], source_ids: set[str]) -> tuple[Lesson, ...]:
        ids = data.get("lessons")
        if not isinstance(ids, LineList):
            return ()
        if not ids:
            out.add(data.line_of("lessons"), "lessons", "must list at least one lesson")
        lessons: list[Lesson] = []
        seen: set[str] = set()
        for index, lesson_id in enumerate(ids):
            line = ids.line_of(index)
            if not isinstance(lesson_id, str) or s.valid_id(lesson_id):
                out.add(line, f"lessons[{index}]", f"'{lesson_id}' is not a valid lesson id")
                continue
            if lesson_id in seen:
                out.add(line, f"lessons[{index}]", f"duplicate lesson id '{lesson_id}'")
                continue
            seen.add(lesson_id)
            path = self.dir / "lessons" / f"{lesson_id}.md"
            if not path.is_file():
                out.add(line, f"lessons[{index}]", f"lesson file lessons/{lesson_id}.md does not exist")
                continue
            lesson = self.lesson(path, objective_ids, source_ids)
            if lesson is not None:
                lessons.append(lesson)
        lesson_dir = self.dir / "lessons"
        if lesson_dir.is_dir():
            for orphan in sorted(p for p in lesson_dir.glob("*.md") if p.stem not in seen):
                self.file(orphan).add(1, "id", f"lesson '{orphan.stem}' is not listed in module.yaml lessons")
        return tuple(lessons)

    def lesson(self, path: Path, objective_ids: set[str], source_ids: set[str]) -> Lesson | None:
        out = self.file(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            out.add(1, "file", "is not UTF-8 text")
            return None
        lines = text.splitlines()
        if not lines or lines[0].strip() != "---":
            out.add(1, "front matter", "a lesson must start with a '---' front matter block")
            return None
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            out.add(1, "front matter", "front matter is not closed with '---'")
            return None
        try:
            meta = load_yaml("\n".join(lines[1:end]), line_offset=1)
        except YamlSyntaxError as exc:
            out.add(exc.line, "front matter", str(exc))
            return None
        meta = s.check_mapping(meta, LESSON_SPEC, out, "", 1)
        if meta is None:
            return None
        if isinstance(meta.get("id"), str) and meta["id"] != path.stem:
            out.add(meta.line_of("id"), "id", f"'{meta['id']}' must equal the file name '{path.stem}'")
        objectives = meta.get("objectives")
        if isinstance(objectives, LineList):
            for index, objective in enumerate(objectives):
                if objective not in objective_ids:
                    out.add(objectives.line_of(index), f"objectives[{index}]", f"unknown objective '{objective}' (not in module.yaml)")
        downloads = []
        for index, item in self.list_of_mappings(meta, "downloads", DOWNLOAD_SPEC, out) if "downloads" in meta else []:
            if _complete(item, DOWNLOAD_SPEC):
                target = (self.dir / item["file"]).resolve()
                if self.dir.resolve() not in target.parents or not target.is_file():
                    out.add(item.line_of("file"), f"downloads[{index}].file", f"'{item['file']}' does not exist in the module folder")
                downloads.append(Download(item["file"], item["title"]))
        body = "\n".join(lines[end + 1 :])
        body_line = end + 2
        for problem in check_body(body, self.dir, source_ids) + check_figures(body, self.dir):
            out.add(problem.line + body_line - 1, problem.field, problem.message)
        if not body.strip():
            out.add(body_line, "body", "the lesson has no text")
        video = self.lesson_video(meta, out)
        checks = self.lesson_checks(meta, out)
        if not _complete(meta, LESSON_SPEC):
            return None
        return Lesson(
            id=meta["id"], title=meta["title"].strip(), minutes=meta["minutes"],
            objectives=tuple(o for o in meta["objectives"] if isinstance(o, str)), body_markdown=body,
            body_line=body_line, downloads=tuple(downloads), word_count=count_words(body),
            video=video, checks=checks, plain_summary=(meta.get("plain_summary") or "").strip(),
        )

    # -- lesson media and checks (issue 18: figures are checked in check_figures, videos in lesson_video) ----

    def lesson_video(self, meta: LineDict, out: ProblemList):
        if meta.get("video") is None:
            return None
        return load_video(meta["video"], self.dir, out, meta.line_of("video"))

    def lesson_checks(self, meta: LineDict, out: ProblemList) -> tuple[Question, ...]:
        if not isinstance(meta.get("checks"), LineList):
            return ()
        items = self.list_of_mappings(meta, "checks", CHECK_SPEC, out)
        if len(meta["checks"]) > MAX_CHECKS_PER_LESSON:
            out.add(meta.line_of("checks"), "checks", f"at most {MAX_CHECKS_PER_LESSON} checks per lesson, has {len(meta['checks'])}")
        self.unique(out, "checks", items)
        checks = []
        for index, item in items:
            check = self.question(item, f"checks[{index}]", out, set())
            if check is not None:
                checks.append(check)
        return tuple(checks)

    # -- quiz -----------------------------------------------------------------------------------------------

    def questions(self, path: Path, lesson_ids: set[str]) -> tuple[Question, ...]:
        raw, out = self.read_yaml(path)
        if raw is None:
            return ()
        data = s.check_mapping(raw, {"questions": s.Field(list)}, out, "", 1)
        if data is None or not isinstance(data.get("questions"), LineList):
            return ()
        items = self.list_of_mappings(data, "questions", QUESTION_SPEC, out)
        self.unique(out, "questions", items)
        questions = []
        for index, item in items:
            question = self.question(item, f"questions[{index}]", out, lesson_ids)
            if question is not None:
                questions.append(question)
        return tuple(questions)

    def question(self, item: LineDict, where: str, out: ProblemList, lesson_ids: set[str]) -> Question | None:
        options_raw = item.get("options")
        options: list[Option] = []
        option_items: list[tuple[int, LineDict]] = []
        if isinstance(options_raw, LineList):
            for index, option in enumerate(options_raw):
                checked = s.check_mapping(option, OPTION_SPEC, out, f"{where}.options[{index}]", options_raw.line_of(index))
                if checked is not None:
                    option_items.append((index, checked))
            self.unique(out, f"{where}.options", option_items)
            options = [Option(o["id"], o["text"].strip(), o["correct"], o["feedback"].strip()) for _, o in option_items if _complete(o, OPTION_SPEC)]
            if not 2 <= len(options_raw) <= 8:
                out.add(item.line_of("options"), f"{where}.options", f"needs 2 to 8 options, has {len(options_raw)}")
        qtype = item.get("type")
        correct = [o for _, o in option_items if o.get("correct") is True]
        if isinstance(options_raw, LineList) and qtype == "single" and len(correct) != 1:
            message = "no correct answer: mark exactly one option correct: true" if not correct else f"single choice must have exactly one correct option, has {len(correct)}"
            out.add(item.line_of("options"), f"{where}.options", message)
        if isinstance(options_raw, LineList) and qtype == "multiple" and not correct:
            out.add(item.line_of("options"), f"{where}.options", "no correct answer: mark at least one option correct: true")
        if "scoring" in item and qtype == "single":
            out.add(item.line_of("scoring"), f"{where}.scoring", "scoring applies to multiple choice questions only")
        lesson = item.get("lesson")
        if isinstance(lesson, str) and lesson not in lesson_ids:
            out.add(item.line_of("lesson"), f"{where}.lesson", f"unknown lesson '{lesson}'")
        if not _complete(item, QUESTION_SPEC) or qtype not in {t.value for t in QuestionType}:
            return None
        scoring = item.get("scoring", "partial")
        return Question(
            id=item["id"], type=QuestionType(qtype), prompt=item["prompt"].strip(), options=tuple(options),
            explanation=item["explanation"].strip(), points=float(item.get("points", 1)), lesson=lesson,
            scoring=MultipleScoring(scoring) if scoring in {m.value for m in MultipleScoring} else MultipleScoring.PARTIAL,
        )

    def term_translations(self, item: LineDict, index: int, out: ProblemList) -> tuple[tuple[str, str], ...]:
        translations = item.get("translations")
        if not isinstance(translations, dict):
            return ()
        for code, message in _term_translations_problems(translations):
            line = translations.line_of(code) if hasattr(translations, "line_of") else item.line_of("translations")
            out.add(line, f"terms[{index}].translations.{code}", message)
        return tuple((code, translations[code].strip()) for code in TRANSLATED_LANGUAGES
                     if isinstance(translations.get(code), str) and translations[code].strip())

    # -- glossary -------------------------------------------------------------------------------------------

    def glossary(self, path: Path) -> tuple[GlossaryTerm, ...]:
        raw, out = self.read_yaml(path)
        if raw is None:
            return ()
        data = s.check_mapping(raw, {"terms": s.Field(list)}, out, "", 1)
        if data is None:
            return ()
        items = self.list_of_mappings(data, "terms", GLOSSARY_SPEC, out)
        self.unique(out, "terms", items)
        self.unique(out, "terms", items, key="term")
        terms = []
        for index, item in items:
            aliases = item.get("aliases") or []
            if not all(isinstance(a, str) and a.strip() for a in aliases):
                out.add(item.line_of("aliases"), f"terms[{index}].aliases", "must be a list of non-empty texts")
                continue
            translations = self.term_translations(item, index, out)
            if _complete(item, GLOSSARY_SPEC):
                terms.append(GlossaryTerm(item["id"], item["term"].strip(), item["definition"].strip(),
                                          tuple(a.strip() for a in aliases), translations))
        return tuple(terms)


def _term_translations_problems(translations) -> list[tuple[str | None, str]]:
    """(language or None, message) for each problem of a term's ``translations`` mapping."""
    problems = []
    for code, text in translations.items():
        if code not in TRANSLATED_LANGUAGES:
            problems.append((code, f"unknown language '{code}' (allowed: {', '.join(TRANSLATED_LANGUAGES)})"))
        elif not isinstance(text, str) or not text.strip():
            problems.append((code, "must be a non-empty text"))
    return problems


def _complete(item: LineDict, spec: dict[str, s.Field]) -> bool:
    """All required fields present with the right kind (problems were already reported)."""
    return all(
        (key in item and item[key] is not None and s.is_kind(item[key], field.kind)) or not field.required
        for key, field in spec.items()
    )
