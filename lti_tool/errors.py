"""Refusals: one exception type, a stable code for the log, a German page for the learner.

The code is logged (never personal data); the page says what happened and what to do.
"""
from __future__ import annotations

from dataclasses import dataclass

RESTART = "Bitte starten Sie das Modul erneut aus Ihrer Lernplattform."
ASK_ADMIN = (
    "Bitte wenden Sie sich an die Person, die Ihre Lernplattform betreut, "
    "und nennen Sie den Fehlercode unten."
)


@dataclass(frozen=True)
class Message:
    title: str
    what: str
    todo: str


MESSAGES: dict[str, Message] = {
    "not_a_jwt": Message(
        "Ungültige Startanfrage",
        "Die Lernplattform hat keine gültige Anmeldung übermittelt.",
        RESTART,
    ),
    "bad_header": Message(
        "Ungültige Startanfrage",
        "Die Anmeldung der Lernplattform ist nicht richtig signiert.",
        RESTART + " " + ASK_ADMIN,
    ),
    "unknown_registration": Message(
        "Lernplattform nicht registriert",
        "Diese Lernplattform ist für die VAMOs-Module noch nicht eingerichtet.",
        ASK_ADMIN,
    ),
    "unknown_key": Message(
        "Anmeldung nicht bestätigt",
        "Die Signatur der Lernplattform konnte nicht geprüft werden.",
        RESTART + " Wenn der Fehler bleibt: " + ASK_ADMIN,
    ),
    "bad_signature": Message(
        "Anmeldung nicht bestätigt",
        "Die Signatur der Anmeldung ist ungültig.",
        RESTART,
    ),
    "expired": Message(
        "Anmeldung abgelaufen",
        "Die Anmeldung ist zu alt oder ihre Zeitangaben stimmen nicht.",
        RESTART + " Prüfen Sie auch, ob die Uhrzeit Ihres Geräts stimmt.",
    ),
    "bad_audience": Message(
        "Ungültige Startanfrage",
        "Die Anmeldung war nicht für dieses Werkzeug bestimmt.",
        RESTART,
    ),
    "missing_claim": Message(
        "Unvollständige Startanfrage",
        "Der Lernplattform fehlen Angaben, die für den Start nötig sind.",
        ASK_ADMIN,
    ),
    "unsupported_message": Message(
        "Nicht unterstützte Startanfrage",
        "Diese Art von Startanfrage wird von den VAMOs-Modulen nicht unterstützt.",
        ASK_ADMIN,
    ),
    "state_mismatch": Message(
        "Start im Rahmen nicht möglich",
        "Ihr Browser hat die Anmeldung nicht bestätigt. Das passiert oft, wenn Cookies "
        "in eingebetteten Seiten gesperrt sind.",
        RESTART + " Wenn der Fehler bleibt, öffnen Sie das Modul in einem neuen Fenster.",
    ),
    "unknown_state": Message(
        "Anmeldung bereits verwendet oder abgelaufen",
        "Diese Anmeldung wurde schon benutzt oder ist abgelaufen. Aus Sicherheitsgründen "
        "gilt jede Anmeldung nur einmal.",
        RESTART,
    ),
    "replayed": Message(
        "Anmeldung bereits verwendet",
        "Diese Anmeldung wurde schon benutzt. Aus Sicherheitsgründen gilt jede Anmeldung nur einmal.",
        RESTART,
    ),
    "pending_deployment": Message(
        "Freischaltung ausstehend",
        "Diese Einbindung der VAMOs-Module ist neu und wurde noch nicht freigeschaltet.",
        "Die Betreuung Ihrer Lernplattform wurde benachrichtigt. Bitte versuchen Sie es später erneut "
        "oder wenden Sie sich an die Person, die Ihre Lernplattform betreut.",
    ),
    "bad_login": Message(
        "Ungültige Anmeldeanfrage",
        "Die Lernplattform hat eine unvollständige Anmeldeanfrage geschickt.",
        RESTART,
    ),
    "session_missing": Message(
        "Sitzung abgelaufen",
        "Ihre Sitzung ist abgelaufen oder wurde nicht gefunden.",
        RESTART,
    ),
    "not_found": Message(
        "Seite nicht gefunden",
        "Diese Seite gibt es nicht.",
        RESTART,
    ),
}


class LaunchError(Exception):
    """A refused login or launch. ``code`` keys MESSAGES; ``detail`` is for the log only."""

    def __init__(self, code: str, status: int = 400, detail: str = ""):
        assert code in MESSAGES, code
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.status = status
        self.detail = detail

    @property
    def message(self) -> Message:
        return MESSAGES[self.code]
