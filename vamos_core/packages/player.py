"""The package's learner page: every lesson (the core's renderer, as in the tool), the test, the overview — one
``index.html`` that ``assets/player.js`` turns into views, with the tool's stylesheet for the same look.

The module data the player needs (lesson ids, the test with its answer key, the completion rule, the xAPI
activity ids) is a JSON block in the page: an offline package grades in the browser and cannot hide the key.
"""
from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path

from ..model import Module, QuestionType
from ..rendering import render_lesson
from ..xapi import activity_id

ASSETS = Path(__file__).with_name("assets")
MEDIA_PREFIX = "."  # lessons link "media/…" relative to the module folder: "./media/…" in the package


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def module_data(module: Module, activity_base: str) -> dict:
    ids = {"module": activity_id(activity_base, module.id), "quiz": activity_id(activity_base, module.id, "quiz"),
           "lessons": {lesson.id: activity_id(activity_base, module.id, "lesson", lesson.id) for lesson in module.lessons},
           "questions": {q.id: activity_id(activity_base, module.id, "question", q.id) for q in module.quiz.questions}}
    return {
        "id": module.id,
        "title": module.title,
        "version": module.version,
        "language": module.language,
        "lessons": [{"id": lesson.id, "title": lesson.title} for lesson in module.lessons],
        "quiz": {
            "maxAttempts": module.quiz.settings.max_attempts,
            "scoring": module.quiz.settings.scoring.value,
            "questions": [{
                "id": q.id, "type": q.type.value, "scoring": q.scoring.value, "points": q.points, "prompt": q.prompt,
                "lesson": q.lesson, "explanation": q.explanation,
                "options": [{"id": o.id, "text": o.text, "correct": o.correct, "feedback": o.feedback}
                            for o in q.options],
            } for q in module.quiz.questions],
        },
        "completion": {"requireAllLessons": module.completion.require_all_lessons,
                       "requireQuizPass": module.completion.require_quiz_pass,
                       "passingScore": module.completion.passing_score},
        "activityIds": ids,
    }


def _json_script(data: dict) -> str:
    # "<" escaped: nothing in the data can close the script element.
    return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")


def _lesson_html(module: Module, index: int) -> str:
    lesson = module.lessons[index]
    rendered = render_lesson(module, lesson, MEDIA_PREFIX)
    objectives = {o.id: o.text for o in module.objectives}
    total = len(module.lessons)
    parts = [
        f'<article class="lesson view" id="lektion-{_e(lesson.id)}" data-view="lesson" data-lesson-id="{_e(lesson.id)}"'
        f' aria-labelledby="titel-{_e(lesson.id)}" hidden>',
        f'<nav class="breadcrumb" aria-label="Sie sind hier"><ol><li><a href="#uebersicht">{_e(module.title)}</a></li>'
        f'<li><span aria-current="page">Lektion {index + 1} von {total}</span></li></ol></nav>',
        f'<h1 id="titel-{_e(lesson.id)}" tabindex="-1">{_e(lesson.title)}</h1>',
        f'<p class="meta">Lektion {index + 1} von {total} · etwa {lesson.minutes} Minuten'
        f' <span class="lesson-state" data-state-for="{_e(lesson.id)}"></span></p>',
    ]
    texts = [objectives[o] for o in lesson.objectives if o in objectives]
    if texts:
        parts.append('<section class="lesson-objectives"><h2>Das lernen Sie in dieser Lektion</h2><ul>'
                     + "".join(f"<li>{_e(t)}</li>" for t in texts) + "</ul></section>")
    # All lessons share one page: anchors of glossary terms and sources get the lesson's id in front.
    anchor = f"{lesson.id}-"
    body = rendered.html.replace('href="#begriff-', f'href="#{anchor}begriff-').replace(
        'href="#quelle-', f'href="#{anchor}quelle-')
    parts.append(f'<div class="lesson-body">{body}</div>')
    if lesson.downloads:
        parts.append('<section class="downloads"><h2>Vorlagen zum Herunterladen</h2><ul>' + "".join(
            f'<li><a href="{_e(d.file)}" download>{_e(d.title)}</a></li>' for d in lesson.downloads) + "</ul></section>")
    if rendered.glossary:
        parts.append('<section class="glossary"><h2>Begriffe auf dieser Seite</h2><dl>' + "".join(
            f'<dt id="{_e(anchor)}begriff-{_e(t.id)}">{_e(t.term)}</dt><dd>{_e(t.definition)}</dd>' for t in rendered.glossary)
            + "</dl></section>")
    if rendered.sources:
        parts.append('<section class="sources"><h2>Quellen</h2><ul>' + "".join(
            f'<li id="{_e(anchor)}quelle-{_e(s.id)}">[{_e(s.id.upper())}] '
            + (f'<a href="{_e(s.url)}" rel="noopener noreferrer">{_e(s.title)}</a>' if s.url else _e(s.title))
            + "</li>" for s in rendered.sources) + "</ul></section>")
    parts.append(
        '<section class="lesson-done"><h2>Ihr Stand</h2>'
        f'<p class="state state-done" data-done-note="{_e(lesson.id)}" hidden><span class="icon" aria-hidden="true">✓</span>'
        ' Sie haben diese Lektion abgeschlossen.</p>'
        f'<button type="button" class="button button-primary" data-complete="{_e(lesson.id)}">Lektion abgeschlossen</button>'
        '</section>')
    pager = []
    if index > 0:
        prev = module.lessons[index - 1]
        pager.append(f'<li><a rel="prev" href="#lektion/{_e(prev.id)}"><span aria-hidden="true">←</span> Vorherige Lektion: '
                     f'{_e(prev.title)}</a></li>')
    if index + 1 < total:
        nxt = module.lessons[index + 1]
        pager.append(f'<li><a rel="next" href="#lektion/{_e(nxt.id)}">Nächste Lektion: {_e(nxt.title)} '
                     '<span aria-hidden="true">→</span></a></li>')
    elif module.quiz.questions:
        pager.append('<li><a href="#test">Zum Wissenstest <span aria-hidden="true">→</span></a></li>')
    pager.append('<li><a href="#uebersicht">Zur Modulübersicht</a></li>')
    parts.append('<nav class="pager" aria-label="Lektionen blättern"><ul>' + "".join(pager) + "</ul></nav></article>")
    return "\n".join(parts)


def _quiz_html(module: Module) -> str:
    if not module.quiz.questions:
        return ""
    fields = []
    for number, q in enumerate(module.quiz.questions, 1):
        kind = "checkbox" if q.type is QuestionType.MULTIPLE else "radio"
        hint = "Mehrere Antworten können richtig sein." if q.type is QuestionType.MULTIPLE else "Wählen Sie eine Antwort."
        options = "".join(
            f'<div class="option"><input type="{kind}" name="q-{_e(q.id)}" value="{_e(o.id)}" id="q-{_e(q.id)}-{_e(o.id)}">'
            f'<label for="q-{_e(q.id)}-{_e(o.id)}">{_e(o.text)}</label></div>' for o in q.options)
        fields.append(f'<fieldset class="question" id="frage-{_e(q.id)}"><legend><span class="question-number">'
                      f'Frage {number}:</span> <span>{_e(q.prompt)}</span> <span class="hint">{hint}</span></legend>'
                      f"{options}</fieldset>")
    return (
        '<section class="view" id="test" data-view="quiz" aria-labelledby="test-titel" hidden>'
        f'<nav class="breadcrumb" aria-label="Sie sind hier"><ol><li><a href="#uebersicht">{_e(module.title)}</a></li>'
        '<li><span aria-current="page">Wissenstest</span></li></ol></nav>'
        f'<h1 id="test-titel" tabindex="-1">Wissenstest: {_e(module.title)}</h1>'
        f'<p class="meta">Bestanden ab {module.completion.passing_score:g} % der Punkte. <span id="attempts-left"></span></p>'
        '<p class="notice" id="no-attempts" hidden>Sie haben keinen Versuch mehr.</p>'
        '<form class="quiz-form" id="quiz-form" novalidate>' + "".join(fields)
        + '<div class="actions"><button type="submit" class="button button-primary">Antworten abgeben</button></div>'
        "</form></section>"
        '<section class="view" id="ergebnis" data-view="result" aria-labelledby="ergebnis-titel" hidden>'
        f'<nav class="breadcrumb" aria-label="Sie sind hier"><ol><li><a href="#uebersicht">{_e(module.title)}</a></li>'
        '<li><span aria-current="page">Ergebnis</span></li></ol></nav>'
        '<h1 id="ergebnis-titel" tabindex="-1">Ihr Ergebnis</h1><div id="result-body"></div>'
        '<div class="actions"><a class="button" href="#test" id="retry-link">Test noch einmal machen</a>'
        '<a class="button" href="#uebersicht">Zur Modulübersicht</a></div></section>'
    )


def _overview_html(module: Module, certificate_url: str | None) -> str:
    lessons = "".join(
        f'<li><a href="#lektion/{_e(lesson.id)}">{_e(lesson.title)}</a> <span class="meta">etwa {lesson.minutes} Minuten</span>'
        f' <span class="lesson-state" data-state-for="{_e(lesson.id)}"></span></li>' for lesson in module.lessons)
    quiz = ('<h2>Wissenstest</h2><p id="quiz-state">Noch nicht bearbeitet.</p>'
            '<p><a class="button" href="#test">Zum Wissenstest</a></p>') if module.quiz.questions else ""
    if certificate_url:
        certificate = (f'<p>Ein Zertifikat bekommen Sie im VAMOs-Lernwerkzeug: <a href="{_e(certificate_url)}"'
                       ' rel="noopener noreferrer">Zum Zertifikat</a> (nur wenn Ihre Lernplattform mit dem '
                       "Lernwerkzeug verbunden ist).</p>")
    else:
        certificate = ""
    legal = f'<p class="disclaimer">{_e(module.disclaimer)}</p>' if module.disclaimer else ""
    return (
        '<section class="view" id="uebersicht" data-view="overview" aria-labelledby="modul-titel">'
        f'<h1 id="modul-titel" tabindex="-1">{_e(module.title)}</h1><p>{_e(module.summary)}</p>'
        '<div class="status" id="module-status"><h2>Ihr Stand</h2>'
        '<p class="progress"><label for="module-progress">Fortschritt im Modul</label>'
        '<progress id="module-progress" max="100" value="0">0 %</progress>'
        '<span class="progress-text" id="progress-text">0 % erledigt</span></p>'
        '<p id="completion-state" class="state state-new"><span class="icon" aria-hidden="true">○</span> Noch nicht abgeschlossen.</p>'
        f"{certificate}</div>"
        '<p class="actions"><a class="button button-primary" id="continue-link" href="#">Weiterlernen</a></p>'
        f'<h2>Lektionen</h2><ol class="lesson-list">{lessons}</ol>{quiz}{legal}</section>'
    )


def index_html(module: Module, activity_base: str, certificate_url: str | None) -> str:
    lang = "de" if module.language.lower().startswith("de") else module.language
    views = "\n".join([_overview_html(module, certificate_url),
                       *(_lesson_html(module, i) for i in range(len(module.lessons))), _quiz_html(module)])
    return f"""<!DOCTYPE html>
<html lang="{_e(lang)}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(module.title)} – VAMOs-Lernmodule</title>
<link rel="stylesheet" href="vamos.css">
<link rel="stylesheet" href="package.css">
<script type="application/json" id="vamos-module">{_json_script(module_data(module, activity_base))}</script>
</head>
<body>
<a class="skip-link" href="#inhalt">Zum Inhalt springen</a>
<header class="site-header"><p class="brand">VAMOs-Lernmodule</p>
<button type="button" class="button" id="finish-button">Beenden</button></header>
<main id="inhalt" tabindex="-1">
<noscript><p class="notice">Dieses Lernpaket braucht JavaScript. Bitte schalten Sie JavaScript ein.</p></noscript>
<p class="notice" id="runtime-message" role="status" hidden></p>
<div id="views" hidden>
{views}
</div>
</main>
<footer class="site-footer"><p>VAMOs – Lernmodule für Migrant*innenorganisationen</p></footer>
<script src="runtime.js"></script>
<script src="player.js"></script>
</body>
</html>
"""


def tool_stylesheet() -> bytes:
    """The LTI tool's stylesheet (same distribution, read as a file: the core does not import the adapter)."""
    return resources.files("lti_tool").joinpath("static/vamos.css").read_bytes()


def media_files(module: Module) -> dict[str, bytes]:
    """The module's media folder (images, downloads), below ``media/`` as the rendered lessons link them."""
    folder = module.path / "media"
    if not folder.is_dir():
        return {}
    return {f"media/{p.relative_to(folder).as_posix()}": p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def player_files(module: Module, runtime_asset: str, activity_base: str, certificate_url: str | None) -> dict[str, bytes]:
    """The files every format shares: page, styles, player, the format's runtime adapter, media."""
    return {
        "index.html": index_html(module, activity_base, certificate_url).encode("utf-8"),
        "vamos.css": tool_stylesheet(),
        "package.css": (ASSETS / "package.css").read_bytes(),
        "player.js": (ASSETS / "player.js").read_bytes(),
        "runtime.js": (ASSETS / runtime_asset).read_bytes(),
        **media_files(module),
    }
