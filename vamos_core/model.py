"""The typed content model. Instances are immutable and only ever built by the validating loader."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class QuestionType(str, Enum):
    SINGLE = "single"
    MULTIPLE = "multiple"


class MultipleScoring(str, Enum):
    PARTIAL = "partial"
    ALL_OR_NOTHING = "all_or_nothing"


class QuizDisplay(str, Enum):
    ONE_PER_PAGE = "one_per_page"
    ALL_ON_ONE_PAGE = "all_on_one_page"


class AttemptScoring(str, Enum):
    BEST = "best"
    LAST = "last"


@dataclass(frozen=True)
class Objective:
    id: str
    text: str


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str | None = None


@dataclass(frozen=True)
class Download:
    file: str  # relative to the module folder, e.g. "media/vorlage.csv"
    title: str


@dataclass(frozen=True)
class Video:
    """A lesson's learning video: files in the module folder or one https URL; captions are required."""

    title: str
    captions: str  # WebVTT file in the module folder, e.g. "media/video/erklaervideo.vtt"
    transcript: str  # Markdown file in the module folder, shown below the player
    files: tuple[str, ...] = ()  # "media/…mp4" (H.264) and optionally "media/…webm"
    url: str | None = None  # https://… on the organisation's own server, instead of files
    poster: str | None = None  # still image shown before playing (required with files)
    captions_language: str = "de"
    duration_seconds: float = 0.0  # end of the last caption cue (the validator reads the captions)
    # The transcript's Markdown where there is no module folder to read it from (Open edX block fields).
    transcript_markdown: str | None = None

    def file_of(self, extension: str) -> str | None:
        return next((f for f in self.files if f.lower().endswith(extension)), None)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    minutes: int
    objectives: tuple[str, ...]
    body_markdown: str
    body_line: int  # 1-based line of the body's first line in the file, for error messages
    downloads: tuple[Download, ...] = ()
    word_count: int = 0
    video: Video | None = None
    checks: tuple["Question", ...] = ()  # ungraded questions inside the lesson (immediate feedback, no score)
    plain_summary: str = ""  # "Kurz und einfach": the lesson in a few plain sentences (A2–B1), shown at its top

    def check(self, check_id: str) -> "Question | None":
        return next((c for c in self.checks if c.id == check_id), None)


@dataclass(frozen=True)
class Option:
    id: str
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    prompt: str
    options: tuple[Option, ...]
    explanation: str
    points: float = 1.0
    lesson: str | None = None
    scoring: MultipleScoring = MultipleScoring.PARTIAL

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.correct)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class QuizSettings:
    display: QuizDisplay = QuizDisplay.ONE_PER_PAGE
    max_attempts: int = 0  # 0 = unlimited
    scoring: AttemptScoring = AttemptScoring.BEST
    shuffle_options: bool = True  # on unless a module opts out (vamos_core.option_order)


@dataclass(frozen=True)
class Quiz:
    settings: QuizSettings
    questions: tuple[Question, ...]

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class CompletionRule:
    require_all_lessons: bool = True
    require_quiz_pass: bool = True
    passing_score: float = 70.0  # percent


@dataclass(frozen=True)
class GlossaryTerm:
    id: str
    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    # The term in the learners' interface languages, ((language, text), …); the German term stays the entry.
    translations: tuple[tuple[str, str], ...] = ()

    def translation(self, language: str | None) -> str | None:
        wanted = (language or "").replace("-", "_").split("_")[0].lower()
        return next((text for code, text in self.translations if code == wanted), None)


@dataclass(frozen=True)
class CertificateSettings:
    hours: float | None = None
    show_score: bool = True


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    summary: str
    version: str
    language: str
    target_group: str
    estimated_minutes: int
    objectives: tuple[Objective, ...]
    lessons: tuple[Lesson, ...]
    quiz: Quiz
    completion: CompletionRule
    glossary: tuple[GlossaryTerm, ...]
    sources: tuple[Source, ...]
    disclaimer: str
    path: Path
    advice: str | None = None
    legal_status: str | None = None
    certificate: CertificateSettings = field(default_factory=CertificateSettings)

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def lesson_index(self, lesson_id: str) -> int | None:
        return next((i for i, lesson in enumerate(self.lessons) if lesson.id == lesson_id), None)

    @property
    def lesson_ids(self) -> tuple[str, ...]:
        return tuple(lesson.id for lesson in self.lessons)

    @property
    def lesson_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)

    def media_path(self, relative: str) -> Path | None:
        """Absolute path of a media file of this module, or None if it escapes the module folder."""
        candidate = (self.path / relative).resolve()
        root = self.path.resolve()
        if root not in candidate.parents or not candidate.is_file():
            return None
        return candidate


@dataclass(frozen=True)
class Catalog:
    modules: dict[str, Module]

    def get(self, module_id: str) -> Module | None:
        return self.modules.get(module_id)

    def __iter__(self):
        return iter(self.modules.values())

    def __len__(self) -> int:
        return len(self.modules)
