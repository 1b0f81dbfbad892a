"""Map the LTI roles claim (launch) and NRPS member roles to the three VAMOs roles.

LTI 1.3 core §A.2 allows context roles in their short form ("Instructor") as well as the full LIS v2 URI, and
platforms use both: Moodle's NRPS answers ``["Instructor"]`` / ``["Learner"]`` and marks site administrators
with ``http://purl.imsglobal.org/vocab/lis/v2/person#Administrator`` (mod/lti/locallib.php
``lti_get_ims_role(..., $islti2 = true)``, used by mod/lti/service/memberships ``users_to_json``), while its
launches send full URIs. Older LTI 1.1 URNs (``urn:lti:role:ims/lis/Instructor``) still appear in the wild.
Every form is reduced to the role's last name segment in its vocabulary before matching.
"""
from __future__ import annotations

LEARNER = "learner"
TRAINER = "trainer"
COORDINATOR = "coordinator"

_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
# Administrators: of the institution or system (full URIs), Moodle's site administrator, the course-context
# role "Administrator" (short or membership#Administrator) and the LTI 1.1 URNs.
_COORDINATOR_URIS = {
    _LIS + "institution/person#Administrator",
    _LIS + "system/person#Administrator",
    _LIS + "person#Administrator",
    _LIS + "membership#Administrator",
    "urn:lti:sysrole:ims/lis/Administrator",
    "urn:lti:instrole:ims/lis/Administrator",
    "urn:lti:role:ims/lis/Administrator",
}
# Context roles a trainer holds; TeachingAssistant is a sub-role of Instructor in LIS v2.
_TRAINER_NAMES = {"Instructor", "ContentDeveloper", "TeachingAssistant"}
_CONTEXT_PREFIXES = (_LIS + "membership#", _LIS + "membership/Instructor#", "urn:lti:role:ims/lis/",
                     "urn:lti:role:ims/lis/Instructor/")


def _context_role(role: str) -> str | None:
    """The short name of a context role in any accepted form, else None (institution/system roles)."""
    if ":" not in role and "/" not in role and "#" not in role:
        return role  # the short form itself
    for prefix in _CONTEXT_PREFIXES:
        if role.startswith(prefix):
            return role[len(prefix):]
    return None


def map_roles(roles: list[str] | None) -> str:
    """The strongest VAMOs role among the roles; unknown or missing roles are learners."""
    found = [r.strip() for r in roles or [] if isinstance(r, str)]
    short = {_context_role(r) for r in found}
    if any(r in _COORDINATOR_URIS for r in found) or "Administrator" in short:
        return COORDINATOR
    if short & _TRAINER_NAMES:
        return TRAINER
    return LEARNER
