"""Trainers' interventions for a stuck learner: extra quiz attempts and a quiz reset (issue 15).

* Nothing is taken away: attempts, results, a pass and a certificate stay. A reset gives the learner the
  module's full number of attempts again, counted from now (its ``amount`` is what that adds); a grant adds a
  chosen number. The allowance is ``max_attempts + SUM(amount)``, read with the progress row.
* Each intervention is a row the learner sees on the quiz page (date and what changed) and an ``audit_log``
  entry (``quiz_grant`` / ``quiz_reset``) with the trainer's keyed hash, never a name or ``sub`` in clear.
* Only for learners of the trainer's own platform and course: the learner must have progress in the module
  from a link of the trainer's course (context), so a trainer cannot act on other courses or platforms.
* The learner's progress row is locked while acting, so a grant and a submitted attempt are serialised.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from vamos_core.grading import attempts_left
from vamos_core.model import Module

from . import coordination
from .db import Database
from .models import Learner as LearnerRow
from .models import ModuleProgress, ProgressEvent, QuizIntervention, ResourceLink, utcnow
from .progress import Learner, lock_progress

MAX_GRANT = 5  # per intervention: enough for any real case, small enough that a slip does no harm

_EXTRA_OF = select(func.coalesce(func.sum(QuizIntervention.amount), 0)).where(
    QuizIntervention.issuer == bindparam("p_issuer"), QuizIntervention.sub == bindparam("p_sub"),
    QuizIntervention.module_id == bindparam("p_module_id"))


class InterventionRefused(Exception):
    """Why an intervention cannot be made (a stable code for the page)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Staff:
    """The acting trainer as the audit log records them (``coordination.audit`` reads issuer and actor)."""

    issuer: str
    actor: str


@dataclass(frozen=True)
class Done:
    kind: str
    amount: int
    left: int | None


def extra_attempts(session: Session, learner: Learner, module_id: str) -> int:
    return int(session.scalar(_EXTRA_OF, {"p_issuer": learner.issuer, "p_sub": learner.sub,
                                          "p_module_id": module_id}) or 0)


def in_course(session: Session, learner: Learner, module_id: str, context_pk: int | None) -> bool:
    """The learner worked on the module from a link of this course (the trainer's launch context)."""
    if context_pk is None:
        return False
    found = session.scalar(
        select(ProgressEvent.id).join(ResourceLink, ResourceLink.id == ProgressEvent.resource_link_pk).where(
            ProgressEvent.issuer == learner.issuer, ProgressEvent.sub == learner.sub,
            ProgressEvent.module_id == module_id, ResourceLink.context_pk == context_pk).limit(1))
    return found is not None


def act(db: Database, learner: Learner, module: Module, kind: str, amount: int, context_pk: int | None,
        actor: str, actor_issuer: str) -> Done:
    """Grant ``amount`` attempts or reset the quiz; one intervention row and one audit entry, one transaction."""
    max_attempts = module.quiz.settings.max_attempts
    if not module.quiz.questions or max_attempts == 0:
        raise InterventionRefused("unlimited")
    if kind == QuizIntervention.GRANT and not 1 <= amount <= MAX_GRANT:
        raise InterventionRefused("amount")
    if kind not in (QuizIntervention.GRANT, QuizIntervention.RESET):
        raise InterventionRefused("kind")
    with db.session() as s:
        if not in_course(s, learner, module.id, context_pk):
            raise InterventionRefused("not_in_course")
        row = lock_progress(s, learner, module.id)
        extra = extra_attempts(s, learner, module.id)
        used = row.quiz_attempts
        if kind == QuizIntervention.RESET:
            amount = used + max_attempts - (max_attempts + extra)  # full number of attempts from now
            if amount <= 0:
                raise InterventionRefused("nothing_to_reset")
        s.add(QuizIntervention(issuer=learner.issuer, sub=learner.sub, module_id=module.id, kind=kind,
                               amount=amount, attempts_used=used, actor=actor, at=utcnow()))
        pseudonym = s.scalar(select(LearnerRow.pseudonym).where(LearnerRow.issuer == learner.issuer,
                                                                 LearnerRow.sub == learner.sub))
        coordination.audit(s, Staff(actor_issuer, actor), f"quiz_{kind}",
                           {"module": module.id, "learner": pseudonym, "attempts_added": amount,
                            "attempts_used": used})
        return Done(kind, amount, attempts_left(used, max_attempts, extra + amount))


def history(db: Database, learner: Learner, module_id: str) -> list[QuizIntervention]:
    with db.session() as s:
        rows = list(s.scalars(select(QuizIntervention).where(
            QuizIntervention.issuer == learner.issuer, QuizIntervention.sub == learner.sub,
            QuizIntervention.module_id == module_id).order_by(QuizIntervention.at, QuizIntervention.id)))
        s.expunge_all()
    return rows
