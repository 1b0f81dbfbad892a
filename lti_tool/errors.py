"""Refusals: one exception type, a stable code for the log, a page for the learner (German by default).

The code is logged (never personal data); the page says what happened and what to do. The texts are
gettext message ids (marked with ``N_`` for extraction) and are translated when the page is rendered;
``todo`` is a tuple of sentences, each translated on its own.
"""
from __future__ import annotations

from dataclasses import dataclass


def N_(text: str) -> str:  # noqa: N802 - gettext's conventional name: marks a string for extraction only
    return text


RESTART = N_("Bitte starten Sie das Modul erneut aus Ihrer Lernplattform.")
ASK_ADMIN = N_(
    "Bitte wenden Sie sich an die Person, die Ihre Lernplattform betreut, "
    "und nennen Sie den Fehlercode unten."
)
BACK = N_("Gehen Sie zurück zur Modulübersicht und versuchen Sie es noch einmal.")
NOTHING_SAVED = N_("Es wurde nichts gespeichert.")


@dataclass(frozen=True)
class Message:
    title: str
    what: str
    todo: tuple[str, ...]


MESSAGES: dict[str, Message] = {
    "not_a_jwt": Message(
        N_("Ungültige Startanfrage"),
        N_("Die Lernplattform hat keine gültige Anmeldung übermittelt."),
        (RESTART,),
    ),
    "bad_header": Message(
        N_("Ungültige Startanfrage"),
        N_("Die Anmeldung der Lernplattform ist nicht richtig signiert."),
        (RESTART, ASK_ADMIN),
    ),
    "unknown_registration": Message(
        N_("Lernplattform nicht registriert"),
        N_("Diese Lernplattform ist für die VAMOs-Module noch nicht eingerichtet."),
        (ASK_ADMIN,),
    ),
    "unknown_key": Message(
        N_("Anmeldung nicht bestätigt"),
        N_("Die Signatur der Lernplattform konnte nicht geprüft werden."),
        (RESTART, N_("Wenn der Fehler bleibt:"), ASK_ADMIN),
    ),
    "bad_signature": Message(
        N_("Anmeldung nicht bestätigt"),
        N_("Die Signatur der Anmeldung ist ungültig."),
        (RESTART,),
    ),
    "expired": Message(
        N_("Anmeldung abgelaufen"),
        N_("Die Anmeldung ist zu alt oder ihre Zeitangaben stimmen nicht."),
        (RESTART, N_("Prüfen Sie auch, ob die Uhrzeit Ihres Geräts stimmt.")),
    ),
    "bad_audience": Message(
        N_("Ungültige Startanfrage"),
        N_("Die Anmeldung war nicht für dieses Werkzeug bestimmt."),
        (RESTART,),
    ),
    "missing_claim": Message(
        N_("Unvollständige Startanfrage"),
        N_("Der Lernplattform fehlen Angaben, die für den Start nötig sind."),
        (ASK_ADMIN,),
    ),
    "unsupported_message": Message(
        N_("Nicht unterstützte Startanfrage"),
        N_("Diese Art von Startanfrage wird von den VAMOs-Modulen nicht unterstützt."),
        (ASK_ADMIN,),
    ),
    "state_mismatch": Message(
        N_("Start im Rahmen nicht möglich"),
        N_(
            "Ihr Browser hat die Anmeldung nicht bestätigt. Das passiert oft, wenn Cookies "
            "in eingebetteten Seiten gesperrt sind."
        ),
        (RESTART, N_("Wenn der Fehler bleibt, öffnen Sie das Modul in einem neuen Fenster.")),
    ),
    # The same refusal outside a frame (a new window or tab): the page must not speak of a frame there.
    "state_mismatch_window": Message(
        N_("Start nicht bestätigt"),
        N_(
            "Ihr Browser hat die Anmeldung nicht bestätigt: Das Cookie, das beim Start gesetzt wurde, kam nicht "
            "zurück. Das passiert, wenn Ihr Browser Cookies für die VAMOs-Module sperrt oder der Start in einem "
            "anderen Browser begonnen wurde."
        ),
        (N_("Erlauben Sie Cookies für diese Seite."), RESTART, ASK_ADMIN),
    ),
    "unknown_state": Message(
        N_("Anmeldung bereits verwendet oder abgelaufen"),
        N_(
            "Diese Anmeldung wurde schon benutzt oder ist abgelaufen. Aus Sicherheitsgründen "
            "gilt jede Anmeldung nur einmal."
        ),
        (RESTART,),
    ),
    "replayed": Message(
        N_("Anmeldung bereits verwendet"),
        N_("Diese Anmeldung wurde schon benutzt. Aus Sicherheitsgründen gilt jede Anmeldung nur einmal."),
        (RESTART,),
    ),
    "pending_deployment": Message(
        N_("Freischaltung ausstehend"),
        N_("Diese Einbindung der VAMOs-Module ist neu und wurde noch nicht freigeschaltet."),
        (N_(
            "Die Betreuung Ihrer Lernplattform wurde benachrichtigt. Bitte versuchen Sie es später erneut "
            "oder wenden Sie sich an die Person, die Ihre Lernplattform betreut."
        ),),
    ),
    "bad_login": Message(
        N_("Ungültige Anmeldeanfrage"),
        N_("Die Lernplattform hat eine unvollständige Anmeldeanfrage geschickt."),
        (RESTART,),
    ),
    "session_missing": Message(
        N_("Sitzung abgelaufen"),
        N_("Ihre Sitzung ist abgelaufen oder wurde nicht gefunden."),
        (RESTART,),
    ),
    "not_found": Message(
        N_("Seite nicht gefunden"),
        N_("Diese Seite gibt es nicht."),
        (RESTART,),
    ),
    # Learner pages: tampered or outdated forms, foreign ids, limits.
    "form_expired": Message(
        N_("Formular abgelaufen"),
        N_("Dieses Formular ist nicht mehr gültig, zum Beispiel weil Sie das Modul neu gestartet haben."),
        (NOTHING_SAVED, BACK),
    ),
    "bad_form": Message(
        N_("Ungültige Eingabe"),
        N_("Die gesendeten Angaben passen nicht zu dieser Seite."),
        (NOTHING_SAVED, BACK),
    ),
    "lesson_not_found": Message(
        N_("Lektion nicht gefunden"),
        N_("Diese Lektion gehört nicht zu diesem Modul."),
        (BACK,),
    ),
    "attempt_not_found": Message(
        N_("Testversuch nicht gefunden"),
        N_("Diesen Testversuch gibt es nicht, oder er gehört nicht zu Ihnen oder zu diesem Modul."),
        (BACK,),
    ),
    "no_attempt": Message(
        N_("Kein laufender Testversuch"),
        N_("Zu diesem Formular gibt es keinen laufenden Testversuch mehr."),
        (NOTHING_SAVED, N_("Öffnen Sie den Test noch einmal über die Modulübersicht.")),
    ),
    "attempt_limit": Message(
        N_("Keine Versuche mehr"),
        N_("Sie haben alle erlaubten Versuche für diesen Test verbraucht."),
        (NOTHING_SAVED, N_("Ihr bisheriges Ergebnis bleibt gespeichert. Wenden Sie sich bei Fragen an Ihre Trainerin oder Ihren Trainer.")),
    ),
    # Certificates and their public verification.
    "forbidden": Message(
        N_("Kein Zugriff"),
        N_("Diese Seite ist nur für die Koordination freigegeben."),
        (N_("Wenn Sie hier Zertifikate verwalten sollen, bitten Sie die Betreuung Ihrer Lernplattform um die Rolle Koordination."),),
    ),
    "certificate_not_found": Message(
        N_("Zertifikat nicht gefunden"),
        N_("Zu diesem Modul liegt für Sie kein gültiges Zertifikat vor."),
        (N_("Das Zertifikat steht bereit, sobald Sie das Modul abgeschlossen haben."), BACK),
    ),
    "certificate_revoked": Message(
        N_("Zertifikat bereits widerrufen"),
        N_("Dieses Zertifikat ist nicht mehr gültig; es wurde inzwischen widerrufen oder ersetzt."),
        (NOTHING_SAVED, N_("Laden Sie die Zertifikatsliste neu.")),
    ),
    "rate_limited": Message(
        N_("Zu viele Anfragen"),
        N_("Von Ihrem Anschluss wurden in kurzer Zeit zu viele Prüfcodes abgefragt."),
        (N_("Bitte warten Sie einige Minuten und versuchen Sie es dann erneut."),),
    ),
    # LTI Advantage: deep linking catalogue, roster, score passback, dynamic registration.
    "staff_only": Message(
        N_("Kein Zugriff"),
        N_("Diese Seite ist nur für Trainerinnen, Trainer und die Koordination freigegeben."),
        (RESTART,),
    ),
    # Authoring (trainers write modules in the browser).
    "trainers_only": Message(
        N_("Kein Zugriff"),
        N_("Module bearbeiten dürfen nur Trainerinnen und Trainer dieser Lernplattform."),
        (N_("Die Koordination kann die Module und ihre Versionen ansehen, aber nicht ändern."), RESTART),
    ),
    "authored_not_found": Message(
        N_("Modul nicht gefunden"),
        N_("Dieses Modul gibt es auf Ihrer Lernplattform nicht, oder es wurde gelöscht."),
        (N_("Öffnen Sie die Modulliste und wählen Sie das Modul dort aus."),),
    ),
    "upload_too_large": Message(
        N_("Datei zu groß"),
        N_("Die hochgeladene Datei ist größer als erlaubt."),
        (NOTHING_SAVED, N_("Bilder dürfen höchstens 5 MB, Vorlagen 10 MB und ZIP-Archive 40 MB groß sein.")),
    ),
    "no_deep_linking": Message(
        N_("Keine Auswahl möglich"),
        N_("Diese Sitzung wurde nicht zum Einfügen von Lernmodulen gestartet."),
        (N_("Starten Sie die Auswahl erneut über „Aktivität hinzufügen“ in Ihrer Lernplattform."),),
    ),
    "deep_linking_types": Message(
        N_("Keine Auswahl möglich"),
        N_("Ihre Lernplattform nimmt an dieser Stelle keine Links auf Lernmodule an."),
        (ASK_ADMIN,),
    ),
    "platform_unavailable": Message(
        N_("Lernplattform nicht erreichbar"),
        N_("Ihre Lernplattform hat die Teilnehmerliste nicht geliefert."),
        (N_("Bitte versuchen Sie es in einigen Minuten erneut."), ASK_ADMIN),
    ),
    "registration_failed": Message(
        N_("Registrierung fehlgeschlagen"),
        N_("Die VAMOs-Module konnten nicht bei Ihrer Lernplattform registriert werden."),
        (N_("Prüfen Sie die Adresse der Registrierung und versuchen Sie es erneut."), ASK_ADMIN),
    ),
    "bad_request": Message(
        N_("Ungültige Anfrage"),
        N_("Diese Anfrage konnte nicht verarbeitet werden."),
        (NOTHING_SAVED, BACK),
    ),
    "method_not_allowed": Message(
        N_("Ungültige Anfrage"),
        N_("Diese Seite kann so nicht aufgerufen werden."),
        (BACK,),
    ),
    "too_large": Message(
        N_("Anfrage zu groß"),
        N_("Die gesendeten Daten sind zu umfangreich."),
        (NOTHING_SAVED, BACK),
    ),
    "server_error": Message(
        N_("Technischer Fehler"),
        N_("Bei der Verarbeitung ist ein Fehler aufgetreten."),
        (N_("Bitte versuchen Sie es in einigen Minuten erneut."), ASK_ADMIN),
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


PageError = LaunchError  # the learner pages refuse bad input the same way
