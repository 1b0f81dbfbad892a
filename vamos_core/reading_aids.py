"""What a published VAMOs module carries for learners who read German as a second language (issue 17).

Validity (``loader``) lets a trainer save a module with a term not yet translated; the shipped modules must be
complete: every glossary term translated into every interface language, every lesson with a "Kurz und einfach"
summary. ``vamos validate --reading-aids`` (part of ``make test``) fails the build when one is missing, naming
file, line and field like every other content problem.
"""
from __future__ import annotations

from .languages import TRANSLATED_LANGUAGES
from .model import Module
from .problems import Problem
from .yaml_lines import LineDict, LineList, load_yaml

# A plain summary is a few short sentences; longer text is a second lesson body, not an aid.
PLAIN_SUMMARY_MAX_WORDS = 90


def _glossary_lines(module: Module) -> dict[str, tuple[int, LineDict]]:
    path = module.path / "glossary.yaml"
    if not path.is_file():
        return {}
    data = load_yaml(path.read_text(encoding="utf-8"))
    terms = data.get("terms") if isinstance(data, LineDict) else None
    if not isinstance(terms, LineList):
        return {}
    return {item.get("id"): (index, item) for index, item in enumerate(terms) if isinstance(item, LineDict)}


def missing_reading_aids(module: Module) -> list[Problem]:
    problems: list[Problem] = []
    base = module.path.parent
    lines = _glossary_lines(module)
    for term in module.glossary:
        have = {code for code, _text in term.translations}
        missing = [code for code in TRANSLATED_LANGUAGES if code not in have]
        if missing:
            index, item = lines.get(term.id, (0, None))
            line = item.line_of("translations") if item is not None and "translations" in item else getattr(item, "line", 1)
            problems.append(Problem(str((module.path / "glossary.yaml").relative_to(base)), line,
                                    f"terms[{index}].translations",
                                    f"'{term.term}': translation missing for {', '.join(missing)}"))
    for lesson in module.lessons:
        file = str((module.path / "lessons" / f"{lesson.id}.md").relative_to(base))
        words = len(lesson.plain_summary.split())
        if not words:
            problems.append(Problem(file, 2, "plain_summary", "the lesson has no 'Kurz und einfach' summary"))
        elif words > PLAIN_SUMMARY_MAX_WORDS:
            problems.append(Problem(file, 2, "plain_summary",
                                    f"{words} words; keep the summary to at most {PLAIN_SUMMARY_MAX_WORDS}"))
    return problems


def reading_aid_problems(modules: list[Module]) -> list[Problem]:
    return [problem for module in modules for problem in missing_reading_aids(module)]
