"""Editor forms → changes of the document. Pure functions over the posted fields, no Flask.

Values a trainer typed are stored as typed when they do not parse (e.g. "zwei" as minutes): the core's
validator then names the field, and the draft keeps the text instead of losing it.
"""
from __future__ import annotations

from typing import Callable, Mapping

from vamos_core.authoring import document
from vamos_core.authoring.folder import normalise_text
from vamos_core.languages import TRANSLATED_LANGUAGES

from .service import Refused

Change = Callable[[dict], None]
OPTIONAL_MODULE_TEXTS = ("advice", "legal_status")


def number(raw: str | None, kind=int):
    text = (raw or "").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if kind is int and value.is_integer() else value


def _rows(form, prefix: str) -> list[int]:
    """Indexes of the repeated rows ``<prefix>-<i>-…`` present in the form, in order."""
    found = set()
    for name in form.keys():
        parts = name.split("-", 2)
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit():
            found.add(int(parts[1]))
    return sorted(found)


def _text(form, name: str) -> str:
    return normalise_text(form.get(name, ""))


def _keep_rows(form, prefix: str, old: list[dict], build: Callable[[dict, int], dict]) -> list[dict]:
    """Rows as posted: existing ones matched by their hidden id (never by position), deleted ones dropped."""
    by_id = {str(item.get("id")): item for item in old if isinstance(item, dict)}
    out = []
    for i in _rows(form, prefix):
        if form.get(f"{prefix}-{i}-delete"):
            continue
        item = dict(by_id.get(form.get(f"{prefix}-{i}-id", ""), {}))
        if not item:
            continue  # an id the draft does not have (tampered or stale form): ignored, never invented
        out.append(build(item, i))
    return out


def module_change(form: Mapping) -> Change:
    def change(doc: dict) -> None:
        module = doc["module"]
        for key in ("title", "summary", "target_group", "disclaimer"):
            module[key] = _text(form, key)
        module["estimated_minutes"] = number(form.get("estimated_minutes"))
        for key in OPTIONAL_MODULE_TEXTS:
            value = _text(form, key)
            if value:
                module[key] = value
            else:
                module.pop(key, None)

        def objective(item: dict, i: int) -> dict:
            item["text"] = _text(form, f"objective-{i}-text")
            return item

        module["objectives"] = _keep_rows(form, "objective", module.get("objectives") or [], objective)
        if form.get("action") == "add_objective":
            document.add_objective(doc)
        module["completion"] = {
            "require_all_lessons": bool(form.get("require_all_lessons")),
            "require_quiz_pass": bool(form.get("require_quiz_pass")),
            "passing_score": number(form.get("passing_score")),
        }
        quiz = dict(module.get("quiz") or {})
        quiz.update({"display": form.get("display", "one_per_page"), "max_attempts": number(form.get("max_attempts")),
                     "scoring": form.get("scoring", "best"), "shuffle_options": bool(form.get("shuffle_options"))})
        module["quiz"] = quiz
        certificate = dict(module.get("certificate") or {})
        hours = number(form.get("certificate_hours"), float)
        if hours == "":
            certificate.pop("hours", None)
        else:
            certificate["hours"] = hours
        certificate["show_score"] = bool(form.get("certificate_show_score"))
        module["certificate"] = certificate

    return change


def sources_change(form: Mapping) -> Change:
    def change(doc: dict) -> None:
        def source(item: dict, i: int) -> dict:
            item["title"] = _text(form, f"source-{i}-title")
            url = _text(form, f"source-{i}-url")
            if url:
                item["url"] = url
            else:
                item.pop("url", None)
            return item

        doc["module"]["sources"] = _keep_rows(form, "source", doc["module"].get("sources") or [], source)
        if form.get("action") == "add_source":
            document.add_source(doc, "")

    return change


def glossary_change(form: Mapping) -> Change:
    def change(doc: dict) -> None:
        def term(item: dict, i: int) -> dict:
            item["term"] = _text(form, f"term-{i}-term")
            item["definition"] = _text(form, f"term-{i}-definition")
            aliases = [a.strip() for a in form.get(f"term-{i}-aliases", "").split(",") if a.strip()]
            if aliases:
                item["aliases"] = aliases
            else:
                item.pop("aliases", None)
            translations = {code: _text(form, f"term-{i}-translation-{code}") for code in TRANSLATED_LANGUAGES}
            translations = {code: text for code, text in translations.items() if text}
            if translations:
                item["translations"] = translations
            else:
                item.pop("translations", None)
            return item

        doc["glossary"]["terms"] = _keep_rows(form, "term", document.terms(doc), term)
        if form.get("action") == "add_term":
            document.add_term(doc, "")

    return change


def lesson_change(form, lesson_id: str) -> Change:
    def change(doc: dict) -> None:
        lesson = find_lesson(doc, lesson_id)
        if lesson is None:
            return
        meta = lesson["meta"]
        meta["title"] = _text(form, "title")
        meta["minutes"] = number(form.get("minutes"))
        summary = _text(form, "plain_summary")
        if summary:
            meta["plain_summary"] = summary
        else:
            meta.pop("plain_summary", None)
        known = {o.get("id") for o in doc["module"].get("objectives") or []}
        meta["objectives"] = [o for o in form.getlist("objectives") if o in known]
        files = doc.get("files", {})
        downloads = [{"file": path, "title": files[path].get("title") or path.rsplit("/", 1)[-1]}
                     for path in form.getlist("downloads") if path in files]
        if downloads:
            meta["downloads"] = downloads
        else:
            meta.pop("downloads", None)
        lesson["body"] = _text(form, "body")

    return change


def question_change(form, question_id: str) -> Change:
    def change(doc: dict) -> None:
        question = find_question(doc, question_id)
        if question is None:
            return
        qtype = form.get("type", "single")
        question["type"] = qtype if qtype in ("single", "multiple") else "single"
        question["prompt"] = _text(form, "prompt")
        question["explanation"] = _text(form, "explanation")
        points = number(form.get("points"), float)
        if points in ("", 1, 1.0):
            question.pop("points", None)
        else:
            question["points"] = points
        lesson = form.get("lesson", "")
        if lesson:
            question["lesson"] = lesson
        else:
            question.pop("lesson", None)
        scoring = form.get("scoring", "")
        if question["type"] == "multiple" and scoring == "all_or_nothing":
            question["scoring"] = scoring
        else:
            question.pop("scoring", None)

        def option(item: dict, i: int) -> dict:
            item["text"] = _text(form, f"option-{i}-text")
            item["correct"] = bool(form.get(f"option-{i}-correct"))
            item["feedback"] = _text(form, f"option-{i}-feedback")
            return item

        question["options"] = _keep_rows(form, "option", question.get("options") or [], option)
        if form.get("action") == "add_option":
            question["options"].append(document.new_option(question["options"]))

    return change


def find_lesson(doc: dict, lesson_id: str) -> dict | None:
    return next((lesson for lesson in doc["lessons"] if lesson["meta"].get("id") == lesson_id), None)


def find_question(doc: dict, question_id: str) -> dict | None:
    return next((q for q in document.questions(doc) if q.get("id") == question_id), None)


def remove_media_change(path: str) -> Change:
    def change(doc: dict) -> None:
        doc.get("files", {}).pop(path, None)
        for lesson in doc["lessons"]:
            downloads = [d for d in lesson["meta"].get("downloads") or [] if d.get("file") != path]
            if downloads:
                lesson["meta"]["downloads"] = downloads
            else:
                lesson["meta"].pop("downloads", None)

    return change


def field_name(name: str) -> str:
    """A form field's name in the words of the editor ("option-1-text" → "Antwort 2: Text"), for the conflict
    page's list of the trainer's own input."""
    from vamos_core.authoring.messages import field_label

    parts = name.split("-", 2)
    if len(parts) == 3 and parts[1].isdigit():
        nouns = {"option": "Antwort", "objective": "Lernziel", "source": "Quelle", "term": "Begriff"}
        return f"{nouns.get(parts[0], parts[0])} {int(parts[1]) + 1}: {field_label(parts[2])}"
    return {"body": "Text der Lektion", "minutes": "Minuten", "action": "Aktion"}.get(name) or field_label(name)


def items_change(form, target: dict, new_lesson_title: str) -> Change:
    """Add, move or delete a lesson or question (the module page's list buttons). ``target`` receives the id of
    an added item, so the view can open its editor."""
    action, item = form.get("action", ""), form.get("item", "")

    def change(doc: dict) -> None:
        if action == "add_lesson":
            target["lesson"] = document.add_lesson(doc, form.get("title", "").strip() or new_lesson_title)["meta"]["id"]
            return
        if action == "add_question":
            target["question"] = document.add_question(doc, "multiple" if form.get("type") == "multiple" else "single")["id"]
            return
        kind, _, verb = action.partition("_")
        lists = {"lesson": (doc["lessons"], lambda x: x["meta"].get("id")), "question": (document.questions(doc), lambda x: x.get("id"))}
        if kind not in lists or verb not in ("up", "down", "delete"):
            raise Refused("Unbekannte Aktion.")
        items, key = lists[kind]
        index = next((i for i, x in enumerate(items) if key(x) == item), None)
        if index is None:
            raise Refused("Diese Lektion gibt es nicht mehr." if kind == "lesson" else "Diese Frage gibt es nicht mehr.")
        if verb == "delete":
            items.pop(index)
        else:
            document.move(items, index, -1 if verb == "up" else 1)

    return change
