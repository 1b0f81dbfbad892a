"""Map the LTI roles claim to the three VAMOs roles (docs: shared architecture, "Roles")."""
from __future__ import annotations

LEARNER = "learner"
TRAINER = "trainer"
COORDINATOR = "coordinator"

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
COORDINATOR_ROLES = {
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
}
TRAINER_ROLES = {
    _MEMBERSHIP + "Instructor",
    _MEMBERSHIP + "ContentDeveloper",
    _MEMBERSHIP + "TeachingAssistant",
    # In LIS v2 the teaching assistant is a sub-role of Instructor.
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
}


def map_roles(roles: list[str] | None) -> str:
    """The strongest VAMOs role among the claim's roles; unknown or missing roles are learners."""
    found = set(roles or [])
    if found & COORDINATOR_ROLES:
        return COORDINATOR
    if found & TRAINER_ROLES:
        return TRAINER
    return LEARNER
