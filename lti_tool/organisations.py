"""The register of participating organisations and the learners' choice (docs/lti.md, "Koordination").

* The register is **per platform** (issuer): learners choose among the organisations of the platform they
  launched from; coordinators keep the registers of the platforms granted to them (form or CSV import).
* A learner's choice is one row in ``learner_organisations``; ``organisation_id`` NULL = "keine Angabe".
  Without a row the learner has not been asked yet: the first launch of a learner shows the choice page
  (skippable) when the platform's register is not empty.
* An LMS that knows the organisation can preset it with a launch claim (``VAMOS_ORGANISATION_CLAIM``,
  default the custom parameter ``organisation``): a value naming an organisation of the register (its name,
  case-insensitive, or its number) is taken and the page is not shown.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import rollups
from .models import BUNDESLAENDER, LearnerOrganisation, Organisation, utcnow

DEFAULT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom#organisation"
MAX_NAME = 200
MAX_CITY = 120
MAX_IMPORT_ROWS = 5000

_LAND_CODES = {
    "bw": "Baden-Württemberg", "by": "Bayern", "be": "Berlin", "bb": "Brandenburg", "hb": "Bremen",
    "hh": "Hamburg", "he": "Hessen", "mv": "Mecklenburg-Vorpommern", "ni": "Niedersachsen",
    "nw": "Nordrhein-Westfalen", "nrw": "Nordrhein-Westfalen", "rp": "Rheinland-Pfalz", "sl": "Saarland",
    "sn": "Sachsen", "st": "Sachsen-Anhalt", "sh": "Schleswig-Holstein", "th": "Thüringen",
}
_LANDS = {land.casefold(): land for land in BUNDESLAENDER}
_TYPES = {"e.v.": "e.V.", "ev": "e.V.", "e. v.": "e.V.", "verein": "e.V.", "initiative": "Initiative",
          "verband": "Verband"}


def _text(value, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = "".join(c for c in value if unicodedata.category(c)[0] != "C")
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return text if len(text) <= limit else None


def bundesland(value: str | None) -> str | None:
    if not isinstance(value, str):
        return None
    key = " ".join(value.split()).casefold()
    return _LANDS.get(key) or _LAND_CODES.get(key)


def org_type(value: str | None) -> str | None:
    if not isinstance(value, str):
        return None
    return _TYPES.get(" ".join(value.split()).casefold())


@dataclass
class OrganisationInput:
    name: str = ""
    type: str = ""
    city: str = ""
    bundesland: str = ""
    errors: dict[str, bool] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def check(name, type_, city, land) -> OrganisationInput:
    """Form or CSV fields → a checked organisation (``errors`` names the fields that are not acceptable)."""
    out = OrganisationInput()
    out.name = _text(name, MAX_NAME) or ""
    if not out.name:
        out.errors["name"] = True
    out.type = org_type(type_) or ""
    if not out.type:
        out.errors["type"] = True
    city_text = _text(city or "", MAX_CITY)
    if city_text is None:
        out.errors["city"] = True
    out.city = city_text or ""
    out.bundesland = bundesland(land) or ""
    if not out.bundesland:
        out.errors["bundesland"] = True
    return out


def register(session: Session, issuers: list[str]) -> list[Organisation]:
    return list(session.scalars(
        select(Organisation).where(Organisation.issuer.in_(issuers))
        .order_by(func.lower(Organisation.name), Organisation.id)
    ))


def save(session: Session, issuer: str, data: OrganisationInput, org_id: int | None = None) -> Organisation:
    """Create (``org_id`` None) or update an organisation; raises ValueError("duplicate") on a name taken."""
    clash = session.scalar(select(Organisation.id).where(
        Organisation.issuer == issuer, Organisation.name == data.name, Organisation.id != (org_id or -1)))
    if clash is not None:
        raise ValueError("duplicate")
    if org_id is None:
        org = Organisation(issuer=issuer, created_at=utcnow())
        session.add(org)
    else:
        org = session.get(Organisation, org_id)
    org.name, org.type, org.city, org.bundesland, org.updated_at = (
        data.name, data.type, data.city, data.bundesland, utcnow())
    session.flush()
    return org


# Problem codes of an import line in column order; the page shows them with German labels
# (views/coordination.IMPORT_PROBLEMS), never these internal names.
IMPORT_FIELDS = ("name", "type", "city", "bundesland", "duplicate")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    problems: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # (line, problem codes)


def import_csv(session: Session, issuer: str, raw: bytes) -> ImportResult:
    """``name;type;city;bundesland`` (UTF-8, optional BOM and header, ``,`` also accepted). All or nothing:
    with any problem nothing is stored and every problem is reported with its line. Names already in the
    register are updated."""
    result = ImportResult()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.problems.append((0, ("encoding",)))
        return result
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if ";" in first or "," not in first else ","
    rows: list[tuple[int, OrganisationInput]] = []
    seen: set[str] = set()
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].casefold() in ("name", "organisation", "organisationsname"):
            continue
        cells += [""] * (4 - len(cells))
        data = check(cells[0], cells[1], cells[2], cells[3])
        if data.ok and data.name.casefold() in seen:
            data.errors["duplicate"] = True
        seen.add(data.name.casefold())
        if not data.ok:
            result.problems.append((number, tuple(code for code in IMPORT_FIELDS if code in data.errors)))
        rows.append((number, data))
        if len(rows) > MAX_IMPORT_ROWS:
            result.problems.append((number, ("too_many_rows",)))
            break
    if result.problems:
        return result
    existing = {o.name.casefold(): o for o in register(session, [issuer])}
    for _number, data in rows:
        org = existing.get(data.name.casefold())
        save(session, issuer, data, org.id if org else None)
        if org:
            result.updated += 1
        else:
            result.created += 1
    return result


# ---------------------------------------------------------------- learners


def claim_value(claims: dict, claim: str) -> str | None:
    """``name`` or ``name#key`` (a key inside an object claim such as the custom parameters)."""
    if not claim:
        return None
    name, _, key = claim.partition("#")
    value = claims.get(name)
    if key:
        value = value.get(key) if isinstance(value, dict) else None
    return value.strip()[:MAX_NAME] if isinstance(value, str) and value.strip() else None


def find(session: Session, issuer: str, value: str) -> Organisation | None:
    if value.isdigit():
        org = session.get(Organisation, int(value))
        if org is not None and org.issuer == issuer:
            return org
    return session.scalars(select(Organisation).where(
        Organisation.issuer == issuer, func.lower(Organisation.name) == value.lower())).first()


def choose(session: Session, learner_id: int, organisation_id: int | None, source: str = "learner") -> None:
    link = session.get(LearnerOrganisation, learner_id)
    rollups.move_person(session, learner_id, link.organisation_id if link else None, organisation_id)
    if link is None:
        link = LearnerOrganisation(learner_id=learner_id)
        session.add(link)
    link.organisation_id, link.source, link.chosen_at = organisation_id, source, utcnow()


def delete(session: Session, org_id: int) -> None:
    """Remove an organisation from the register: its learners' links become "keine Angabe" (ON DELETE SET NULL),
    and so do its dashboard counters."""
    rollups.organisation_deleted(session, org_id)
    session.delete(session.get(Organisation, org_id))
