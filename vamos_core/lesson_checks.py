"""Checks inside a lesson: one or two ungraded questions with immediate feedback.

They use the quiz's question format (``checks:`` in the lesson front matter, same keys as a quiz question
without ``points``/``lesson``) and ``grading.grade_question`` to decide right or wrong, but nothing is
stored and nothing counts for completion or certificates: they are for the learner only.

``render_checks`` returns a plain HTML form per check that works without JavaScript (POST, the page comes
back with the feedback); the LTI tool's script sends the same form with fetch and swaps in the section.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

from .grading import InvalidAnswer, grade_question
from .model import Lesson, Option, Question, QuestionType

MAX_CHECKS_PER_LESSON = 2


@dataclass(frozen=True)
class CheckFeedback:
    check: Question
    selected: frozenset[str]
    correct: bool

    @property
    def chosen_options(self) -> tuple[Option, ...]:
        return tuple(o for o in self.check.options if o.id in self.selected)


def answer_check(check: Question, selected: list[str]) -> CheckFeedback:
    """Feedback for the chosen option ids; ``InvalidAnswer`` for unknown ids or two answers to single choice."""
    if not selected:
        raise InvalidAnswer("no option chosen")
    result = grade_question(check, selected)
    return CheckFeedback(check, result.selected, result.correct)


def render_checks(
    lesson: Lesson, action: Callable[[str], str], hidden_fields: str = "", feedback: CheckFeedback | None = None,
    missing_answer: str | None = None,
) -> str:
    """The lesson's checks section (empty string when it has none).

    ``action(check_id)`` is the adapter's POST URL; ``hidden_fields`` its session/CSRF inputs (trusted HTML);
    ``feedback`` the answer just given; ``missing_answer`` the id of a check sent without a choice.
    """
    if not lesson.checks:
        return ""
    count = len(lesson.checks)
    parts = [
        '<section class="lesson-checks" id="selbsttest" aria-labelledby="selbsttest-titel">',
        '<h2 id="selbsttest-titel">Kurz prüfen</h2>',
        '<p class="check-note">Diese Frage zählt nicht für den Wissenstest oder das Zertifikat. '
        "Sie sehen sofort, ob Ihre Antwort stimmt.</p>" if count == 1 else
        '<p class="check-note">Diese Fragen zählen nicht für den Wissenstest oder das Zertifikat. '
        "Sie sehen sofort, ob Ihre Antwort stimmt.</p>",
    ]
    for number, check in enumerate(lesson.checks, start=1):
        mine = feedback if feedback is not None and feedback.check.id == check.id else None
        parts.append(render_check(check, action(check.id), hidden_fields, mine, missing_answer == check.id,
                                  f"Frage {number} von {count}" if count > 1 else "Frage"))
    parts.append("</section>")
    return "\n".join(parts)


def render_check(
    check: Question, action: str, hidden_fields: str, feedback: CheckFeedback | None, missing: bool, label: str
) -> str:
    e = html.escape
    base = f"check-{e(check.id)}"
    single = check.type is QuestionType.SINGLE
    kind = "radio" if single else "checkbox"
    hint = "Wählen Sie eine Antwort." if single else "Wählen Sie alle passenden Antworten."
    selected = feedback.selected if feedback else frozenset()
    options = []
    for option in check.options:
        option_id = f"{base}-{e(option.id)}"
        checked = " checked" if option.id in selected else ""
        options.append(
            f'<li><input type="{kind}" name="option" value="{e(option.id)}" id="{option_id}"{checked}> '
            f'<label for="{option_id}">{e(option.text)}</label></li>'
        )
    described = f"{base}-hinweis" + (f" {base}-fehlt" if missing else "")
    return (
        f'<div class="lesson-check" id="{base}" data-check="{e(check.id)}">\n'
        f'<form method="post" action="{e(action)}#{base}" data-check-form>\n{hidden_fields}\n'
        f'<fieldset aria-describedby="{described}">\n'
        f'<legend><span class="check-label">{e(label)}:</span> {e(check.prompt)}</legend>\n'
        f'<p class="check-hint" id="{base}-hinweis">{hint}</p>\n'
        + (f'<p class="check-missing" id="{base}-fehlt" role="alert">Bitte wählen Sie zuerst eine Antwort.</p>\n' if missing else "")
        + f'<ul class="check-options">\n{"".join(options)}\n</ul>\n</fieldset>\n'
        f'<button type="submit" class="button">Antwort prüfen</button>\n</form>\n'
        f'<div class="check-feedback" id="{base}-rueckmeldung" role="status" aria-live="polite">'
        + (_feedback_html(feedback) if feedback else "")
        + "</div>\n</div>"
    )


def _feedback_html(feedback: CheckFeedback) -> str:
    e = html.escape
    if feedback.correct:
        verdict = '<p class="state state-done"><span class="icon" aria-hidden="true">✓</span> Richtig!</p>'
    else:
        verdict = ('<p class="state state-fail"><span class="icon" aria-hidden="true">✗</span> '
                   "Noch nicht ganz. Lesen Sie die Hinweise und versuchen Sie es noch einmal.</p>")
    items = "".join(
        f'<li><strong>{e(o.text)}</strong> – {e(o.feedback)}</li>' for o in feedback.chosen_options
    )
    explanation = f'<p class="check-explanation">{e(feedback.check.explanation)}</p>' if feedback.correct else ""
    return f"{verdict}<ul class=\"check-option-feedback\">{items}</ul>{explanation}"
