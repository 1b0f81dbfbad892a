"""German for the loader's findings and field names, in the words a trainer uses.

The loader speaks English to the terminal (``file:line: field: message``, stable for scripts and tests);
the editor speaks German next to the field. A finding without a translation keeps the loader's text, so
nothing is ever hidden.
"""
from __future__ import annotations

import re

FIELD_LABELS = {
    "": "Eintrag", "title": "Titel", "summary": "Kurzbeschreibung", "target_group": "Zielgruppe",
    "estimated_minutes": "Dauer in Minuten", "objectives": "Lernziele", "text": "Text", "id": "Kennung",
    "sources": "Quellen", "url": "Internetadresse", "disclaimer": "Hinweis „keine Rechtsberatung“",
    "advice": "Beratungshinweis", "legal_status": "Rechtsstand", "version": "Version", "language": "Sprache",
    "lessons": "Lektionen", "minutes": "Minuten", "downloads": "Vorlagen", "body": "Text", "file": "Datei",
    "front matter": "Kopfbereich", "quiz": "Wissenstest", "quiz.display": "Anzeige der Fragen",
    "quiz.max_attempts": "Anzahl der Versuche", "quiz.scoring": "Welcher Versuch zählt",
    "quiz.shuffle_options": "Antworten mischen", "completion": "Abschlussregel",
    "completion.passing_score": "Bestehensgrenze", "completion.require_all_lessons": "Alle Lektionen nötig",
    "completion.require_quiz_pass": "Test bestehen nötig", "certificate": "Zertifikat",
    "certificate.hours": "Stunden auf dem Zertifikat", "certificate.show_score": "Ergebnis auf dem Zertifikat",
    "prompt": "Frage", "options": "Antwortmöglichkeiten", "correct": "richtig", "feedback": "Rückmeldung",
    "explanation": "Erklärung", "points": "Punkte", "type": "Fragetyp", "scoring": "Bewertung",
    "lesson": "Lektion zum Nachlesen", "frage": "Frage", "option": "Antwort", "term": "Begriff",
    "definition": "Erklärung", "aliases": "andere Schreibweisen", "format": "Formatversion", "(top)": "Datei",
    "terms": "Begriffe", "plain_summary": "Kurz und einfach", "translations": "Übersetzungen des Begriffs", "questions": "Fragen", "yaml": "Schreibweise (YAML)",
}

_RULES: list[tuple[re.Pattern, str]] = [(re.compile(p), t) for p, t in [
    (r"^required field is missing$", "fehlt – bitte ausfüllen"),
    (r"^must not be empty$", "darf nicht leer sein"),
    (r"^must be between (\S+) and (\S+), got (\S+)$", r"muss zwischen \1 und \2 liegen (jetzt: \3)"),
    (r"^must be (.+), got (.+)$", "hat die falsche Art von Wert"),
    (r"^'(.*)' is not a valid id.*$", r"„\1“ ist keine gültige Kennung (nur Kleinbuchstaben, Ziffern und Bindestriche)"),
    (r"^'(.*)' is not a valid option id$", r"„\1“ ist keine gültige Kennung einer Antwort"),
    (r"^'(.*)' is not one of: (.*)$", r"„\1“ ist nicht erlaubt (möglich: \2)"),
    (r"^unknown key \(allowed: .*\)$", "unbekannte Angabe"),
    (r"^must contain „(.*)“$", r"muss den Satz „\1“ enthalten"),
    (r"^must start with https://$", "muss mit https:// beginnen"),
    (r"^duplicate (\w+) '(.*)' \(first at line \d+\)$", r"„\2“ kommt doppelt vor"),
    (r"^must list at least one lesson$", "das Modul braucht mindestens eine Lektion"),
    (r"^the quiz has no questions$", "der Wissenstest hat noch keine Frage"),
    (r"^the lesson has no text$", "die Lektion hat noch keinen Text"),
    (r"^needs 2 to 8 options, has (\d+)$", r"braucht 2 bis 8 Antwortmöglichkeiten (jetzt: \1)"),
    (r"^no correct answer: mark exactly one option correct: true$", "keine richtige Antwort markiert – markieren Sie genau eine Antwort als richtig"),
    (r"^single choice must have exactly one correct option, has (\d+)$", r"bei einer Einfachauswahl ist genau eine Antwort richtig (jetzt: \1)"),
    (r"^no correct answer: mark at least one option correct: true$", "keine richtige Antwort markiert – markieren Sie mindestens eine Antwort als richtig"),
    (r"^scoring applies to multiple choice questions only$", "die Bewertungsart gilt nur für Mehrfachauswahl"),
    (r"^unknown lesson '(.*)'$", r"die Lektion „\1“ gibt es in diesem Modul nicht"),
    (r"^unknown objective '(.*)' \(not in module.yaml\)$", r"das Lernziel „\1“ gibt es im Modul nicht"),
    (r"^must be a list of non-empty texts$", "jede Schreibweise braucht Text"),
    (r"^must be a non-empty text$", "darf nicht leer sein"),
    (r"^unknown language '(.*)' \(allowed: (.*)\)$", r"die Sprache „\1“ gibt es nicht (möglich: \2)"),
    (r"^write the citation in capitals: \[(.*)\]$", r"Quellen bitte in Großbuchstaben zitieren: [\1]"),
    (r"^\[(.*)\] is not in module.yaml sources$", r"die Quelle [\1] steht nicht in der Quellenliste des Moduls"),
    (r"^image '(.*)' has no alternative text$", r"das Bild „\1“ hat keinen Alternativtext"),
    (r"^use https:// instead of http:// \((.*)\)$", r"bitte https:// statt http:// verwenden (\1)"),
    (r"^'(.*)' points outside the module folder$", r"„\1“ zeigt aus dem Modul heraus"),
    (r"^'(.*)' does not exist in the module folder$", r"die Datei „\1“ gibt es im Modul nicht – bitte zuerst hochladen"),
    (r"^<(.*)> is not allowed in lessons$", r"das HTML-Element <\1> ist in Lektionen nicht erlaubt"),
    (r"^raw HTML <(.*)> is not allowed \(use Markdown\)$", r"HTML <\1> ist nicht erlaubt – bitte die Formatierungsknöpfe benutzen"),
    (r"^event handler attributes \(on…=\) are not allowed$", "Skript-Attribute (on…=) sind nicht erlaubt"),
    (r"^javascript:, vbscript: and data: links are not allowed$", "Links mit javascript:, vbscript: oder data: sind nicht erlaubt"),
    (r"^':::' closes a callout that was never opened$", "„:::“ schließt einen Kasten, der nie geöffnet wurde"),
    (r"^unknown callout type '(.*)' \(allowed: (.*)\)$", r"unbekannter Kasten „\1“ (möglich: \2)"),
    (r"^callout is not closed with ':::'$", "ein Kasten ist nicht mit „:::“ geschlossen"),
    (r"^YAML syntax error: (.*)$", r"Schreibfehler in der Datei (YAML): \1"),
    (r"^file is missing$", "die Datei fehlt"),
    (r"^is not UTF-8 text$", "die Datei ist kein Text in UTF-8"),
    (r"^'(.*)' must equal the (folder|file) name '(.*)'$", r"die Kennung „\1“ muss dem Namen „\3“ entsprechen"),
    (r"^lesson file lessons/(.*)\.md does not exist$", r"die Lektion „\1“ hat keine Datei"),
    (r"^'(.*)' is not a valid lesson id$", r"„\1“ ist keine gültige Kennung einer Lektion"),
    (r"^duplicate lesson id '(.*)'$", r"die Lektion „\1“ steht doppelt in der Liste"),
]]


def german(message: str) -> str:
    for pattern, template in _RULES:
        if pattern.match(message):
            return pattern.sub(template, message)
    return message


def field_label(field: str | None) -> str:
    field = field or ""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    base = re.sub(r"\[\d+\]", "", field)
    last = base.split(".")[-1]
    return FIELD_LABELS.get(base) or FIELD_LABELS.get(last) or field
