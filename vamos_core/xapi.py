"""xAPI statements for what learners do — one rule set for every channel (LTI tool, XBlocks, packages).

Profiles (named so that an LRS report can rely on them):

* **Verbs**: the ADL vocabulary (``http://adlnet.gov/expapi/verbs/…``) — the same IRIs cmi5 uses for
  launched/completed/passed/failed — and ``earned`` from the xAPI registry for certificates. The statements of
  the LTI tool are *not* cmi5 statements (no cmi5 registration, no cmi5 category): only the cmi5 package's
  runtime (``vamos_core/packages``) speaks cmi5 proper.
* **Activity ids** are stable IRIs built from our content ids only: ``{base}/module/{id}``,
  ``…/lesson/{id}``, ``…/quiz``, ``…/question/{id}``, ``…/certificate``. With a ``urn:`` base the parts are
  joined with ``:`` instead. The default base ``urn:vamos-lms`` is the same in every channel and every
  deployment, so the same lesson has the same id wherever it is learnt; operators who want resolvable ids set an
  https base (``VAMOS_XAPI_ACTIVITY_BASE``) — the same one in every channel.
* **Actor**: an account on our home page whose name is a keyed hash (HMAC-SHA256) of the platform and the
  learner's LTI ``sub`` — never an e-mail address or a name. The key stays with the tool; without it the
  pseudonym cannot be linked back.

Building is pure Python (no I/O): the LTI tool builds the statements of an event inside the event's transaction
and stores them with one insert (``lti_tool/xapi_outbox.py``).
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping, Sequence

from .model import Module, Question, QuestionType

XAPI_VERSION = "1.0.3"
DEFAULT_ACTIVITY_BASE = "urn:vamos-lms"
# Namespace of the deterministic statement ids (uuid5): a statement built twice for the same fact gets the
# same id, so an LRS stores it once.
STATEMENT_NAMESPACE = uuid.UUID("6f1d8a52-3c57-4b5e-9d2a-7f0a3b1c9e41")

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, dict] = {
    name: {"id": ADL + name, "display": {"de-DE": de, "en-US": name}}
    for name, de in (
        ("launched", "gestartet"),
        ("experienced", "angesehen"),
        ("completed", "abgeschlossen"),
        ("answered", "beantwortet"),
        ("attempted", "versucht"),
        ("passed", "bestanden"),
        ("failed", "nicht bestanden"),
        ("initialized", "initialisiert"),
        ("terminated", "beendet"),
    )
}
# Not in the ADL list; the xAPI registry's verb for receiving a badge/certificate.
VERBS["earned"] = {"id": "http://id.tincanapi.com/verb/earned", "display": {"de-DE": "erhalten", "en-US": "earned"}}

ACTIVITY_TYPES = {
    "module": "http://adlnet.gov/expapi/activities/module",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "certificate": "http://id.tincanapi.com/activitytype/certificate",
}


def activity_id(base: str, module_id: str, *parts: str) -> str:
    """The stable IRI of a module (no parts), a lesson (``"lesson", id``), the quiz, a question…"""
    base = (base or DEFAULT_ACTIVITY_BASE).rstrip("/:")
    sep = ":" if base.startswith("urn:") else "/"
    return sep.join((base, "module", module_id, *parts))


def actor_name(key: bytes, issuer: str, sub: str) -> str:
    """The learner's pseudonym in the LRS: HMAC-SHA256 of platform and ``sub`` (hex, 32 characters)."""
    return hmac.new(key, f"{issuer}\x00{sub}".encode(), hashlib.sha256).hexdigest()[:32]


def statement_id(*facts: str) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, "\x00".join(facts)))


def timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lang(module: Module) -> str:
    return "de-DE" if module.language.lower().startswith("de") else module.language


@dataclass(frozen=True)
class StatementBuilder:
    """Everything a channel knows about itself: where the actor's account lives, how activity ids begin,
    the pseudonym key and the platform name put into ``context.platform``."""

    home_page: str
    pseudonym_key: bytes
    activity_base: str = DEFAULT_ACTIVITY_BASE
    platform: str = "VAMOs"

    # -------------------------------------------------------------- parts

    def actor(self, issuer: str, sub: str) -> dict:
        return {"objectType": "Agent",
                "account": {"homePage": self.home_page, "name": actor_name(self.pseudonym_key, issuer, sub)}}

    def _activity(self, module: Module, kind: str, parts: Sequence[str], name: str, extra: dict | None = None) -> dict:
        definition = {"type": ACTIVITY_TYPES[kind], "name": {_lang(module): name}}
        definition.update(extra or {})
        return {"objectType": "Activity", "id": activity_id(self.activity_base, module.id, *parts),
                "definition": definition}

    def module_activity(self, module: Module) -> dict:
        return self._activity(module, "module", (), module.title, {"description": {_lang(module): module.summary}})

    def lesson_activity(self, module: Module, lesson_id: str) -> dict:
        lesson = module.lesson(lesson_id)
        return self._activity(module, "lesson", ("lesson", lesson_id), lesson.title if lesson else lesson_id)

    def quiz_activity(self, module: Module) -> dict:
        return self._activity(module, "quiz", ("quiz",), f"Test: {module.title}")

    def question_activity(self, module: Module, question: Question) -> dict:
        lang = _lang(module)
        return self._activity(module, "question", ("question", question.id), question.prompt[:250], {
            "interactionType": "choice",
            "choices": [{"id": o.id, "description": {lang: o.text[:250]}} for o in question.options],
            "correctResponsesPattern": ["[,]".join(sorted(question.correct_ids))],
        })

    def certificate_activity(self, module: Module) -> dict:
        return self._activity(module, "certificate", ("certificate",), f"Zertifikat: {module.title}")

    def _context(self, module: Module, parent: dict | None, extensions: Mapping | None = None) -> dict:
        context: dict = {"platform": self.platform, "language": _lang(module)}
        activities: dict = {"grouping": [{"id": activity_id(self.activity_base, module.id), "objectType": "Activity"}]}
        if parent is not None:
            activities["parent"] = [{"id": parent["id"], "objectType": "Activity"}]
        context["contextActivities"] = activities
        if extensions:
            context["extensions"] = dict(extensions)
        return context

    def statement(self, sid: str, issuer: str, sub: str, verb: str, obj: dict, at: datetime, module: Module, *,
                  result: dict | None = None, parent: dict | None = None) -> dict:
        statement = {
            "id": sid,
            "actor": self.actor(issuer, sub),
            "verb": VERBS[verb],
            "object": obj,
            "timestamp": timestamp(at),
            "context": self._context(module, parent),
            "version": XAPI_VERSION,
        }
        if obj["id"] == activity_id(self.activity_base, module.id):
            statement["context"]["contextActivities"].pop("grouping")  # a module is not grouped under itself
        if result:
            statement["result"] = result
        return statement

    # -------------------------------------------------------------- what learners do

    def launched(self, issuer: str, sub: str, module: Module, at: datetime, launch_id: str) -> dict:
        return self.statement(statement_id(issuer, sub, "launched", launch_id), issuer, sub, "launched",
                              self.module_activity(module), at, module)

    def lesson_experienced(self, issuer: str, sub: str, module: Module, lesson_id: str, at: datetime,
                           key: str) -> dict:
        return self.statement(statement_id(key, "experienced"), issuer, sub, "experienced",
                              self.lesson_activity(module, lesson_id), at, module,
                              parent=self.module_activity(module))

    def lesson_completed(self, issuer: str, sub: str, module: Module, lesson_id: str, at: datetime,
                         key: str) -> dict:
        return self.statement(statement_id(key, "completed"), issuer, sub, "completed",
                              self.lesson_activity(module, lesson_id), at, module,
                              result={"completion": True}, parent=self.module_activity(module))

    def quiz_attempt(self, issuer: str, sub: str, module: Module, at: datetime, key: str, *,
                     answers: Mapping[str, Sequence[str]], fractions: Mapping[str, float], percent: float,
                     points: float, max_points: float, passed: bool) -> list[dict]:
        """One ``answered`` per question (the in-lesson checks are questions of the test tied to a lesson:
        their parent is that lesson), then ``passed`` or ``failed`` of the test with the score."""
        quiz = self.quiz_activity(module)
        out = []
        for question in module.quiz.questions:
            chosen = sorted(answers.get(question.id, ()))
            fraction = float(fractions.get(question.id, 0.0))
            parent = self.lesson_activity(module, question.lesson) if question.lesson else quiz
            result = {
                "response": "[,]".join(chosen),
                "success": fraction >= 1.0,
                "score": {"scaled": round(fraction, 4), "raw": round(fraction * question.points, 4),
                          "min": 0, "max": question.points},
            }
            if question.type is QuestionType.SINGLE and not chosen:
                result["response"] = ""
            out.append(self.statement(statement_id(key, "answered", question.id), issuer, sub, "answered",
                                      self.question_activity(module, question), at, module,
                                      result=result, parent=parent))
        out.append(self.statement(
            statement_id(key, "passed" if passed else "failed"), issuer, sub, "passed" if passed else "failed",
            quiz, at, module, parent=self.module_activity(module),
            result={"success": passed, "completion": True,
                    "score": {"scaled": round(percent / 100.0, 4), "raw": round(points, 4), "min": 0,
                              "max": max_points}},
        ))
        return out

    def module_completed(self, issuer: str, sub: str, module: Module, at: datetime, key: str,
                         score_percent: float | None) -> dict:
        result: dict = {"completion": True}
        if score_percent is not None:
            result["score"] = {"scaled": round(score_percent / 100.0, 4)}
            result["success"] = True
        return self.statement(statement_id(key, "module-completed"), issuer, sub, "completed",
                              self.module_activity(module), at, module, result=result)

    def certificate_earned(self, issuer: str, sub: str, module: Module, at: datetime, certificate_id: str) -> dict:
        return self.statement(statement_id(issuer, sub, "earned", certificate_id), issuer, sub, "earned",
                              self.certificate_activity(module), at, module, parent=self.module_activity(module))
