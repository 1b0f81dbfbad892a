"""A module as plain field values for the Open edX blocks, and back; edits validated by the loader's own rules.

Why: in Open edX the content travels *in the course* (OLX and block fields), not in the Python package. The OLX
builder writes these values, the blocks keep them in content/settings-scoped fields, and the blocks rebuild a core
``Module`` from them to render (``vamos_core.rendering``) and grade (``vamos_core.grading``) — no content rule is
duplicated in the adapter. Values are JSON-able (XBlock fields store JSON).

Three parts, one per block:

- ``module_fields``: overview of the module (title, summary, objectives, completion rule, certificate, …);
- ``lesson_fields``: one lesson (Markdown, minutes, objectives, downloads, media, video with its transcript text,
  in-lesson checks) plus the module's glossary and sources, because a lesson renders glossary terms and citations
  on its own page;
- ``quiz_fields``: questions with options, feedback, explanations, and the quiz settings.

Studio edits are checked with :func:`lesson_problems` / :func:`quiz_problems`, which run the loader's checks on
the edited values and return ``{field path: message}`` (paths such as ``questions[0].options[1].text``), so the
editor can show every message next to its field.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any, Iterable

import yaml

from . import schema as s
from .loader import (
    COMPLETION_SPEC, LESSON_SPEC, QUESTION_SPEC, QUIZ_SETTINGS_SPEC, _ModuleLoader,
)
from .markdown import _images_and_links, check_body, count_words
from .model import (
    AttemptScoring, CertificateSettings, CompletionRule, Download, GlossaryTerm, Lesson, Module, MultipleScoring,
    Objective, Option, Question, QuestionType, Quiz, QuizDisplay, QuizSettings, Source, Video,
)
from .problems import Problem
from .yaml_lines import load_yaml

# Modules rebuilt from block fields have no folder; the path only keys the renderer's cache (see ``_content_path``).
BLOCK_CONTENT_ROOT = Path("/vamos-block-content")


# --- Module → field values -------------------------------------------------------------------------------------

def _objectives(objectives: Iterable[Objective]) -> list[dict]:
    return [{"id": o.id, "text": o.text} for o in objectives]


def _glossary(terms: Iterable[GlossaryTerm]) -> list[dict]:
    return [{"id": t.id, "term": t.term, "definition": t.definition, "aliases": list(t.aliases),
             "translations": dict(t.translations)} for t in terms]


def _sources(sources: Iterable[Source]) -> list[dict]:
    return [{"id": x.id, "title": x.title, "url": x.url or ""} for x in sources]


def module_fields(module: Module) -> dict[str, Any]:
    return {
        "display_name": module.title,
        "module_id": module.id,
        "title": module.title,
        "summary": module.summary,
        "version": module.version,
        "language": module.language,
        "target_group": module.target_group,
        "estimated_minutes": module.estimated_minutes,
        "objectives": _objectives(module.objectives),
        "sources": _sources(module.sources),
        "glossary": _glossary(module.glossary),
        "disclaimer": module.disclaimer,
        "advice": module.advice or "",
        "legal_status": module.legal_status or "",
        "require_all_lessons": module.completion.require_all_lessons,
        "require_quiz_pass": module.completion.require_quiz_pass,
        "passing_score": module.completion.passing_score,
        "certificate_hours": module.certificate.hours,
        "certificate_show_score": module.certificate.show_score,
    }


def lesson_media(module: Module, lesson: Lesson) -> list[str]:
    """Files of the module folder the lesson uses (downloads, images, linked files, the video's files, poster,
    captions and transcript): they travel in the course."""
    paths = {d.file for d in lesson.downloads}
    if lesson.video:
        video = lesson.video
        paths |= {p for p in (*video.files, video.poster, video.captions, video.transcript) if p}
    # the core's own parse of images and links (what check_body validates), not a second regex
    paths |= {url.split("#", 1)[0].split("?", 1)[0] for _kind, url, _alt, _line in _images_and_links(lesson.body_markdown)
              if url.startswith("media/")}
    return sorted(p for p in paths if module.media_path(p) is not None)


def video_data(module: Module, video: Video | None) -> tuple[dict[str, Any], str]:
    """(video field, transcript Markdown): the block renders the transcript without the module folder."""
    if video is None:
        return {}, ""
    data = {"title": video.title, "files": list(video.files), "url": video.url or "", "poster": video.poster or "",
            "captions": video.captions, "captions_language": video.captions_language,
            "transcript": video.transcript, "duration_seconds": video.duration_seconds}
    path = module.media_path(video.transcript)
    return data, (path.read_text(encoding="utf-8") if path else "")


def check_data(check: Question) -> dict[str, Any]:
    """An in-lesson check: the question format without points and lesson (``loader.CHECK_SPEC``)."""
    data = question_data(check)
    data.pop("points", None)
    data.pop("lesson", None)
    return data


def lesson_fields(module: Module, lesson: Lesson) -> dict[str, Any]:
    by_id = {o.id: o for o in module.objectives}
    video, transcript = video_data(module, lesson.video)
    return {
        "display_name": lesson.title,
        "module_id": module.id,
        "lesson_id": lesson.id,
        "module_version": module.version,
        "language": module.language,
        "minutes": lesson.minutes,
        "objectives": _objectives(by_id[o] for o in lesson.objectives if o in by_id),
        "downloads": [{"file": d.file, "title": d.title} for d in lesson.downloads],
        "media": lesson_media(module, lesson),
        "plain_summary": lesson.plain_summary,
        "markdown": lesson.body_markdown,
        "video": video,
        "video_transcript": transcript,
        "checks": [check_data(c) for c in lesson.checks],
        "glossary": _glossary(module.glossary),
        "sources": _sources(module.sources),
    }


def question_data(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": question.id,
        "type": question.type.value,
        "prompt": question.prompt,
        "points": question.points,
        "options": [{"id": o.id, "text": o.text, "correct": o.correct, "feedback": o.feedback} for o in question.options],
        "explanation": question.explanation,
    }
    if question.lesson:
        data["lesson"] = question.lesson
    if question.type is QuestionType.MULTIPLE:
        data["scoring"] = question.scoring.value
    return data


def quiz_fields(module: Module) -> dict[str, Any]:
    settings = module.quiz.settings
    return {
        "display_name": "Abschlusstest",
        "module_id": module.id,
        "max_attempts": settings.max_attempts,
        "attempt_scoring": settings.scoring.value,
        "quiz_display": settings.display.value,
        "shuffle_options": settings.shuffle_options,
        "passing_score": module.completion.passing_score,
        "lessons": [{"id": lesson.id, "title": lesson.title} for lesson in module.lessons],
        "questions": [question_data(q) for q in module.quiz.questions],
    }


# --- field values → Module (runtime; values were validated when they were written) -----------------------------

def _content_path(*parts: Any) -> Path:
    """A unique pseudo folder per content: the renderer caches by path, and Studio edits keep the version."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:24]
    return BLOCK_CONTENT_ROOT / digest


def _enum(kind, value, default):
    try:
        return kind(value)
    except ValueError:
        return default


def video_from_fields(values: dict[str, Any]) -> Video | None:
    data = values.get("video") or {}
    if not data.get("title") or not data.get("captions"):
        return None
    return Video(
        title=data["title"], captions=data["captions"], transcript=data.get("transcript") or "",
        files=tuple(data.get("files") or ()), url=data.get("url") or None, poster=data.get("poster") or None,
        captions_language=data.get("captions_language") or "de",
        duration_seconds=float(data.get("duration_seconds") or 0.0),
        transcript_markdown=values.get("video_transcript") or "",
    )


def lesson_from_fields(values: dict[str, Any]) -> Lesson:
    markdown = values.get("markdown") or ""
    return Lesson(
        id=values.get("lesson_id") or "lektion",
        title=values.get("display_name") or "",
        minutes=int(values.get("minutes") or 0),
        objectives=tuple(o["id"] for o in values.get("objectives") or ()),
        body_markdown=markdown,
        body_line=1,
        downloads=tuple(Download(d["file"], d["title"]) for d in values.get("downloads") or ()),
        word_count=count_words(markdown),
        video=video_from_fields(values),
        checks=tuple(question_from_data({**c, "points": 1}) for c in values.get("checks") or ()),
        plain_summary=(values.get("plain_summary") or "").strip(),
    )


def question_from_data(data: dict[str, Any]) -> Question:
    qtype = _enum(QuestionType, data.get("type"), QuestionType.SINGLE)
    return Question(
        id=data["id"], type=qtype, prompt=data.get("prompt", ""),
        options=tuple(Option(o["id"], o.get("text", ""), bool(o.get("correct")), o.get("feedback", ""))
                      for o in data.get("options") or ()),
        explanation=data.get("explanation", ""), points=float(data.get("points", 1)), lesson=data.get("lesson") or None,
        scoring=_enum(MultipleScoring, data.get("scoring", "partial"), MultipleScoring.PARTIAL),
    )


def quiz_from_fields(values: dict[str, Any]) -> Quiz:
    settings = QuizSettings(
        display=_enum(QuizDisplay, values.get("quiz_display"), QuizDisplay.ONE_PER_PAGE),
        max_attempts=int(values.get("max_attempts") or 0),
        scoring=_enum(AttemptScoring, values.get("attempt_scoring"), AttemptScoring.BEST),
        shuffle_options=bool(values.get("shuffle_options")),
    )
    return Quiz(settings, tuple(question_from_data(q) for q in values.get("questions") or ()))


def module_from_fields(overview: dict[str, Any], lessons: list[dict[str, Any]], quiz: dict[str, Any] | None) -> Module:
    """The core module a module block and its children describe (lessons and quiz in course order)."""
    rule = CompletionRule(
        require_all_lessons=overview.get("require_all_lessons", True) is not False,
        require_quiz_pass=overview.get("require_quiz_pass", True) is not False,
        passing_score=float(quiz.get("passing_score") if quiz and quiz.get("passing_score") is not None
                            else overview.get("passing_score", 70.0)),
    )
    hours = overview.get("certificate_hours")
    return Module(
        id=overview.get("module_id") or "modul",
        title=overview.get("title") or overview.get("display_name") or "",
        summary=overview.get("summary") or "",
        version=overview.get("version") or "",
        language=overview.get("language") or "de",
        target_group=overview.get("target_group") or "",
        estimated_minutes=int(overview.get("estimated_minutes") or 0),
        objectives=tuple(Objective(o["id"], o["text"]) for o in overview.get("objectives") or ()),
        lessons=tuple(lesson_from_fields(v) for v in lessons),
        quiz=quiz_from_fields(quiz or {}),
        completion=rule,
        glossary=_terms(overview.get("glossary")),
        sources=_source_list(overview.get("sources")),
        disclaimer=overview.get("disclaimer") or "",
        path=_content_path(overview, lessons, quiz),
        advice=overview.get("advice") or None,
        legal_status=overview.get("legal_status") or None,
        certificate=CertificateSettings(hours=float(hours) if hours else None,
                                        show_score=overview.get("certificate_show_score", True) is not False),
    )


def _terms(items) -> tuple[GlossaryTerm, ...]:
    return tuple(GlossaryTerm(t["id"], t["term"], t["definition"], tuple(t.get("aliases") or ()),
                              tuple((code, text) for code, text in (t.get("translations") or {}).items() if text))
                 for t in items or ())


def _source_list(items) -> tuple[Source, ...]:
    return tuple(Source(x["id"], x["title"], x.get("url") or None) for x in items or ())


def lesson_module(values: dict[str, Any]) -> Module:
    """A one-lesson module around a lesson block's fields: what the core renderer needs (glossary, sources)."""
    lesson = lesson_from_fields(values)
    return Module(
        id=values.get("module_id") or "modul", title="", summary="", version=values.get("module_version") or "",
        language=values.get("language") or "de", target_group="", estimated_minutes=lesson.minutes,
        objectives=tuple(Objective(o["id"], o["text"]) for o in values.get("objectives") or ()),
        lessons=(lesson,), quiz=Quiz(QuizSettings(), ()), completion=CompletionRule(),
        glossary=_terms(values.get("glossary")), sources=_source_list(values.get("sources")), disclaimer="",
        path=_content_path(values),
    )


# --- validation of edits with the loader's rules ---------------------------------------------------------------

def _as_line_data(data: Any):
    """JSON values → the loader's line-aware containers (lines are meaningless here; paths are what counts)."""
    return load_yaml(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _by_field(problems: list[Problem], prefix: str = "") -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for problem in problems:
        key = prefix + problem.field if problem.field != "(top)" else prefix.rstrip(".") or "(top)"
        if problem.message not in found.setdefault(key, []):
            found[key].append(problem.message)
    return {key: "; ".join(messages) for key, messages in found.items()}


def quiz_problems(values: dict[str, Any], lesson_ids: Iterable[str]) -> dict[str, str]:
    """Every problem of an edited quiz (questions and settings) as ``{field path: message}``; empty if valid."""
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory() as folder:
        checker = _ModuleLoader(Path(folder))
        data = _as_line_data({"questions": values.get("questions")})
        out = checker.file(Path(folder) / "quiz.yaml")
        checked = s.check_mapping(data, {"questions": s.Field(list)}, out, "", 1)
        if checked is not None and isinstance(checked.get("questions"), list):
            if not checked["questions"]:
                out.add(1, "questions", "the quiz has no questions")
            items = checker.list_of_mappings(checked, "questions", QUESTION_SPEC, out)
            checker.unique(out, "questions", items)
            for index, item in items:
                checker.question(item, f"questions[{index}]", out, set(lesson_ids))
        settings = {
            "max_attempts": values.get("max_attempts"),
            "scoring": values.get("attempt_scoring"),
            "display": values.get("quiz_display"),
            "shuffle_options": values.get("shuffle_options"),
        }
        s.check_mapping(_as_line_data({k: v for k, v in settings.items() if v is not None}), QUIZ_SETTINGS_SPEC, out, "", 1)
        if values.get("passing_score") is not None:
            s.check_mapping(_as_line_data({"passing_score": values["passing_score"]}), COMPLETION_SPEC, out, "", 1)
        problems = checker.problems
    renamed = {"scoring": "attempt_scoring", "display": "quiz_display"}
    return {renamed.get(k, k): v for k, v in _by_field(problems).items()}


def lesson_problems(values: dict[str, Any], known_media: Iterable[str] = ()) -> dict[str, str]:
    """Every problem of an edited lesson (title, minutes, Markdown) as ``{field: message}``; empty if valid.

    Media: the course carries the files the lesson was built with (``known_media``); other ``media/`` targets are
    reported as missing, targets outside ``media/`` or the folder by the core's own check.
    """
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        checker = _ModuleLoader(root)
        out = checker.file(root / "lesson.md")
        meta = {"id": values.get("lesson_id") or "lektion", "title": values.get("display_name"),
                "minutes": values.get("minutes"), "objectives": [o["id"] for o in values.get("objectives") or ()],
                "checks": values.get("checks") or None, "plain_summary": values.get("plain_summary") or None}
        checked = s.check_mapping(_as_line_data({k: v for k, v in meta.items() if v is not None}), LESSON_SPEC, out,
                                  "", 1)
        if checked is not None:
            checker.lesson_checks(checked, out)  # the loader's rules for in-lesson checks
        for relative in known_media:
            target = (root / relative).resolve()
            if root.resolve() in target.parents:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(b"")
        markdown = values.get("markdown")
        if not isinstance(markdown, str) or not markdown.strip():
            out.add(1, "markdown", "the lesson has no text")
        else:
            source_ids = {x["id"] for x in values.get("sources") or ()}
            for problem in check_body(markdown, root, source_ids):
                out.add(problem.line, "markdown", f"line {problem.line}: {problem.field}: {problem.message}")
        problems = checker.problems
    fields = _by_field(problems)
    return {("display_name" if k == "title" else k): v for k, v in fields.items()}
