"""LTI Deep Linking 2.0: the tool's side of placing modules (and single lessons) in a course.

A trainer's ``LtiDeepLinkingRequest`` opens the catalogue (``views/advantage.py``); the choices come
back to the platform as a signed ``LtiDeepLinkingResponse`` (JWT, RS256 with the tool's current key,
``kid`` in /jwks) with one ``ltiResourceLink`` per choice. Each item names its module (and lesson)
in custom parameters and asks the platform for a line item, so scores have a gradebook column.
The ``data`` of the request's settings claim is echoed unchanged (spec 2.0, section 4.4.2).
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from vamos_core.model import Module

from .keys import signing_key
from .models import ToolKey

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
RESOURCE_LINK_TYPE = "ltiResourceLink"
SCORE_MAXIMUM = 100  # scores are percent of the counting quiz score
MODULE_TAG = "vamos-module"
LESSON_TAG = "vamos-lesson"


@dataclass(frozen=True)
class Choice:
    """One entry of the catalogue: a whole module, or one lesson of it."""

    module: Module
    lesson_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.module.id}/{self.lesson_id}" if self.lesson_id else self.module.id

    @property
    def lesson(self):
        return self.module.lesson(self.lesson_id) if self.lesson_id else None

    @property
    def title(self) -> str:
        lesson = self.lesson
        return f"{self.module.title}: {lesson.title}" if lesson else self.module.title


def parse_choice(catalog, key: str) -> Choice | None:
    module_id, _, lesson_id = key.partition("/")
    module = catalog.get(module_id)
    if module is None or (lesson_id and module.lesson(lesson_id) is None):
        return None
    return Choice(module, lesson_id or None)


def content_item(choice: Choice, launch_url: str) -> dict:
    module, lesson = choice.module, choice.lesson
    custom = {"module": module.id}
    if lesson is not None:
        custom["lesson"] = lesson.id
    text = module.summary if lesson is None else "; ".join(lesson.objectives) or module.summary
    return {
        "type": RESOURCE_LINK_TYPE,
        "title": choice.title[:255],
        "text": text,
        "url": launch_url,
        "custom": custom,
        "lineItem": {
            "label": choice.title[:255],
            "scoreMaximum": SCORE_MAXIMUM,
            "resourceId": choice.key,
            "tag": LESSON_TAG if lesson is not None else MODULE_TAG,
        },
    }


def response_jwt(
    key: ToolKey,
    *,
    client_id: str,
    issuer: str,
    deployment_id: str,
    items: list[dict],
    data: str | None,
    message: str | None = None,
) -> str:
    now = int(time.time())
    payload = {
        "iss": client_id,
        "aud": [issuer],
        "iat": now,
        "exp": now + 600,
        "nonce": secrets.token_urlsafe(24),
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": deployment_id,
        DL + "content_items": items,
    }
    if data is not None:
        payload[DL + "data"] = data
    if message:
        payload[DL + "msg"] = message
    return jwt.encode(payload, key.private_pem, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})


def current_key(session) -> ToolKey:
    key = signing_key(session)
    assert key is not None, "the app creates the first key at startup"
    return key
