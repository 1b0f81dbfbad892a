"""The order in which a question's options are shown to one learner in one attempt.

Both adapters (LTI tool and XBlocks) call this, so a learner sees the same kind of shuffle everywhere.
Why shuffle by default: authors tend to put the correct option in the same place (the reviewer found "b"
correct in 9 of 13 questions of one module), and an unshuffled quiz teaches the position, not the content.
Why deterministic: a reload, the back button or a one-per-page quiz must not reorder the options under
the learner's eyes; only a new attempt (a new ``attempt`` key) gives a new order.
Grading never depends on the order — the browser sends option ids.
"""
from __future__ import annotations

import hashlib
import random

from .model import Option, Question


def option_order(question: Question, learner_key: str, attempt_key: str, shuffle: bool = True) -> list[Option]:
    """The options as shown: shuffled per (learner, attempt, question), or as authored when ``shuffle`` is off.

    ``learner_key`` identifies the person (never shown, only hashed), ``attempt_key`` the attempt
    (a token or an attempt number).
    """
    options = list(question.options)
    if shuffle and len(options) > 1:
        seed = hashlib.sha256("\x00".join((learner_key, attempt_key, question.id)).encode()).digest()
        random.Random(seed).shuffle(options)
    return options
