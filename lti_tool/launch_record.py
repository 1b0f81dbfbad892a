"""What a validated launch writes: user, context, resource link, the person's learner row and enrolment.

Every launch of every learner passes here, so it is written as upserts (``INSERT … ON CONFLICT … DO UPDATE …
RETURNING``): no read-modify-write, no ORM unit of work, and two processes inserting the same new user at the
same moment cannot collide (the database resolves the conflict).

On PostgreSQL the whole launch is **one statement** (``_pg_statement``): the upserts of user, course, link,
learner row and progress row, the enrolment counters of a new progress row (``rollups.enrolment_ctes``) and the
organisation question are data-modifying CTEs of one ``WITH … SELECT``, atomic by itself, so without xAPI or an
organisation claim it runs outside a transaction (no BEGIN/COMMIT round trips). SQLite has no data-modifying
CTEs: there the same writes are separate statements in one transaction. Measured in bench/perf_log.md: 13
statements before issue 9's work, 6–8 after it, 1 now on PostgreSQL.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import uuid

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from . import organisations, progress, rollups
from .db import built_once
from .launch_validation import CONTEXT, CUSTOM, DEEP_LINKING_REQUEST, RESOURCE_LINK, ValidatedLaunch
from .models import Learner, LearnerOrganisation, LtiContext, LtiUser, ModuleProgress, Organisation, ResourceLink, utcnow
from .roles import LEARNER

AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@dataclass(frozen=True)
class Recorded:
    user_pk: int
    context_pk: int | None
    resource_link_pk: int | None
    module_id: str | None
    ask_organisation: bool
    # The learner's stored interface language and reading settings (``lti_tool.preferences``), returned by the
    # learner row's upsert: the launch session starts with them, so the first page reads nothing more.
    ui_language: str | None = None
    reading: str | None = None


def http_url(value) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 1000


def requested_module(claims: dict) -> str | None:
    custom = claims.get(CUSTOM) if isinstance(claims.get(CUSTOM), dict) else {}
    for key in ("vamos_module", "module"):
        value = custom.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def ags_columns(claim) -> dict:
    """The link's AGS endpoints from the launch claim (scores go there later, from the outbox worker).
    No claim: nothing changes. The link's own line item is kept when a launch does not name one."""
    if not isinstance(claim, dict):
        return {}
    scopes = [s for s in claim.get("scope") or [] if isinstance(s, str)]
    columns = {"ags_scopes": json.dumps(sorted(set(scopes))),
               "ags_lineitems_url": claim["lineitems"] if http_url(claim.get("lineitems")) else None}
    if http_url(claim.get("lineitem")):
        columns["ags_lineitem_url"] = claim["lineitem"]
    return columns


def _upsert(session: Session, model, keys: dict, values: dict, index: list[str], returning: list[str]):
    """INSERT keys+values, or UPDATE values where the unique ``index`` matches; returns the ``returning`` row.
    The statement is built once per shape (``db.built_once``)."""
    def build(insert):
        table = model.__table__
        statement = insert(table)
        if values:
            statement = statement.on_conflict_do_update(index_elements=index,
                                                        set_={name: statement.excluded[name] for name in values})
        else:
            statement = statement.on_conflict_do_nothing(index_elements=index)
        return statement.returning(*(table.c[name] for name in returning))

    shape = ("upsert", model.__tablename__, tuple(keys), tuple(values), tuple(returning))
    return session.execute(built_once(session, shape, build), {**keys, **values}).first()


def link_values(claims: dict, module_id: str | None) -> dict:
    """The columns of the resource link a launch writes (besides its keys and course)."""
    link_claim = claims.get(RESOURCE_LINK)
    values = {"title": str(link_claim.get("title") or "")[:500], **ags_columns(claims.get(AGS_ENDPOINT))}
    if module_id:  # a launch without a (known) module keeps the module the link was placed for
        values["module_id"] = module_id
    return values


def context_values(claims: dict) -> dict | None:
    ctx_claim = claims.get(CONTEXT)
    if not (isinstance(ctx_claim, dict) and isinstance(ctx_claim.get("id"), str) and ctx_claim["id"]):
        return None
    values = {"title": str(ctx_claim.get("title") or "")[:500], "label": str(ctx_claim.get("label") or "")[:255]}
    nrps = claims.get(NRPS_CLAIM)
    if isinstance(nrps, dict) and http_url(nrps.get("context_memberships_url")):
        values["nrps_url"] = nrps["context_memberships_url"]
    return values


def known_module(claims: dict, catalog) -> str | None:
    module_id = requested_module(claims)
    return module_id if module_id is not None and catalog.get(module_id) is not None else None


def enrols(result: ValidatedLaunch) -> bool:
    """A learner's launch of a link enrols them in its module (their progress row)."""
    return result.role == LEARNER and result.message_type != DEEP_LINKING_REQUEST


def record_launch(session: Session | Connection, result: ValidatedLaunch, catalog,
                  organisation_claim: str) -> Recorded:
    """Write the launch's rows and say where it leads. ``session``: the caller's transaction (a Session), or on
    PostgreSQL also a connection in autocommit mode when nothing else is written (no xAPI statement, no
    organisation claim to apply: the claim's path needs a Session)."""
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name == "postgresql":
        return _record_pg(session, result, catalog, organisation_claim)
    claims = result.claims
    now = utcnow()
    user_pk = _upsert(session, LtiUser, {"registration_id": result.registration_id, "sub": claims["sub"]},
                      {"last_launch_at": now}, ["registration_id", "sub"], ["id"]).id

    context_pk = None
    ctx_claim = claims.get(CONTEXT)
    if isinstance(ctx_claim, dict) and isinstance(ctx_claim.get("id"), str) and ctx_claim["id"]:
        values = {"title": str(ctx_claim.get("title") or "")[:500], "label": str(ctx_claim.get("label") or "")[:255]}
        nrps = claims.get(NRPS_CLAIM)
        if isinstance(nrps, dict) and http_url(nrps.get("context_memberships_url")):
            values["nrps_url"] = nrps["context_memberships_url"]
        context_pk = _upsert(session, LtiContext, {"deployment_pk": result.deployment_pk, "context_id": ctx_claim["id"]},
                             values, ["deployment_pk", "context_id"], ["id"]).id

    module_id = requested_module(claims)
    if module_id is not None and catalog.get(module_id) is None:
        module_id = None
    link_pk = None
    link_claim = claims.get(RESOURCE_LINK)
    if isinstance(link_claim, dict) and link_claim.get("id"):
        values = {"context_pk": context_pk, "title": str(link_claim.get("title") or "")[:500],
                  **ags_columns(claims.get(AGS_ENDPOINT))}
        if module_id:  # a launch without a (known) module keeps the module the link was placed for
            values["module_id"] = module_id
        row = _upsert(session, ResourceLink, {"deployment_pk": result.deployment_pk,
                                              "resource_link_id": link_claim["id"]},
                      values, ["deployment_pk", "resource_link_id"], ["id", "module_id"])
        link_pk, module_id = row.id, row.module_id

    # Coordination: the person's pseudonym row (role, last launch), a learner's enrolment in the module,
    # and their organisation (preset by a claim, else asked once on the choice page).
    issuer, sub = claims["iss"], claims["sub"]
    learner = _upsert(session, Learner, {"issuer": issuer, "sub": sub}, {"role": result.role, "last_seen_at": now},
                      ["issuer", "sub"], ["id", "ui_language", "reading"])
    learner_id = learner.id
    ask_organisation = False
    if result.role == LEARNER and result.message_type != DEEP_LINKING_REQUEST:
        if module_id:
            # The progress row's creation is the enrolment date of reports; an existing row stays as it is.
            if _upsert(session, ModuleProgress, progress.new_row_values(issuer, sub, module_id, now), {},
                       ["issuer", "sub", "module_id"], ["id"]) is not None:  # a new enrolment (no row on conflict)
                rollups.enrolled(session, issuer, sub, module_id, now)
        ask_organisation = _organisation_on_launch(session, issuer, learner_id, claims, organisation_claim)
    return Recorded(user_pk, context_pk, link_pk, module_id, ask_organisation, learner.ui_language, learner.reading)


def _record_pg(session, result: ValidatedLaunch, catalog, organisation_claim: str) -> Recorded:
    claims = result.claims
    context = context_values(claims)
    module_id = known_module(claims, catalog)
    link = link_values(claims, module_id) if isinstance(claims.get(RESOURCE_LINK), dict) \
        and claims[RESOURCE_LINK].get("id") else None
    enrol = enrols(result) and link is not None
    now = utcnow()
    params = {"registration_id": result.registration_id, "sub": claims["sub"], "issuer": claims["iss"],
              "deployment_pk": result.deployment_pk, "now": now, "role": result.role,
              "pseudonym": str(uuid.uuid4())}
    if context is not None:
        params.update({"context_id": claims[CONTEXT]["id"], **{"ctx_" + k: v for k, v in context.items()}})
    if link is not None:
        params.update({"resource_link_id": claims[RESOURCE_LINK]["id"], **{"link_" + k: v for k, v in link.items()}})
    if enrol:
        day = rollups.local_day(now)
        params.update({"month": day[:7], "day": day})
    shape = (tuple(context) if context is not None else None, tuple(link) if link is not None else None, enrol)
    row = session.execute(_pg_statement(shape), params).one()
    if link is not None:
        module_id = row.link_module_id
    ask_organisation = False
    if enrols(result):
        value = organisations.claim_value(claims, organisation_claim)
        org = organisations.find(session, claims["iss"], value) if value is not None else None
        if org is not None:  # the caller gave a Session for this (views.launch._record)
            organisations.choose(session, row.learner_id, org.id, "claim")
        else:
            ask_organisation = not row.answered and row.register
    return Recorded(row.user_pk, row.context_pk, row.link_pk, module_id, ask_organisation, row.ui_language, row.reading)


_PG_STATEMENTS: dict[tuple, object] = {}


def _pg_statement(shape: tuple):
    """The launch's one statement for PostgreSQL, built once per shape (which claims the launch has)."""
    statement = _PG_STATEMENTS.get(shape)
    if statement is None:
        statement = _PG_STATEMENTS.setdefault(shape, text(_pg_sql(*shape)))
    return statement


def _upsert_sql(table: str, keys: list[str], values: list[str], params: list[str], returning: str) -> str:
    columns = keys + values
    update = ", ".join(f"{c} = excluded.{c}" for c in values)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(params)}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update} RETURNING {returning}")


def _pg_sql(context: tuple | None, link: tuple | None, enrol: bool) -> str:
    ctes = [("u", "INSERT INTO lti_user (registration_id, sub, created_at, last_launch_at) "
                  "VALUES (:registration_id, :sub, :now, :now) ON CONFLICT (registration_id, sub) "
                  "DO UPDATE SET last_launch_at = excluded.last_launch_at RETURNING id")]
    if context is not None:
        ctes.append(("c", _upsert_sql("lti_context", ["deployment_pk", "context_id"], list(context),
                                      [":deployment_pk", ":context_id", *(f":ctx_{k}" for k in context)], "id")))
    if link is not None:
        ctes.append(("l", _upsert_sql(
            "lti_resource_link", ["deployment_pk", "resource_link_id"], ["context_pk", *link],
            [":deployment_pk", ":resource_link_id", "(SELECT id FROM c)" if context is not None else "NULL",
             *(f":link_{k}" for k in link)], "id, module_id")))
    ctes.append(("ln", "INSERT INTO learners (issuer, sub, pseudonym, created_at, role, last_seen_at) "
                       "VALUES (:issuer, :sub, :pseudonym, :now, :role, :now) ON CONFLICT (issuer, sub) "
                       "DO UPDATE SET role = excluded.role, last_seen_at = excluded.last_seen_at "
                       "RETURNING id, ui_language, reading"))
    if enrol:
        # The progress row's creation is the enrolment date of reports; an existing row stays as it is.
        ctes.append(("p", "INSERT INTO module_progress (issuer, sub, module_id, lessons_viewed, lessons_done, "
                          "quiz_attempts, passed, completed, percent, content_version, updated_at, enrolled_at) "
                          "SELECT CAST(:issuer AS VARCHAR), CAST(:sub AS VARCHAR), l.module_id, '[]', '[]', 0, false, "
                          "false, 0, '', CAST(:now AS TIMESTAMP), CAST(:now AS TIMESTAMP) FROM l "
                          "WHERE l.module_id IS NOT NULL ON CONFLICT (issuer, sub, module_id) DO NOTHING "
                          "RETURNING module_id"))
        ctes += rollups.enrolment_ctes("p")
    columns = ["(SELECT id FROM u) AS user_pk",
               "(SELECT id FROM c) AS context_pk" if context is not None else "NULL AS context_pk",
               "(SELECT id FROM l) AS link_pk" if link is not None else "NULL AS link_pk",
               "(SELECT module_id FROM l) AS link_module_id" if link is not None else "NULL AS link_module_id",
               "(SELECT id FROM ln) AS learner_id",
               "(SELECT ui_language FROM ln) AS ui_language", "(SELECT reading FROM ln) AS reading",
               # Has the learner answered the organisation question, and does the platform have a register?
               "EXISTS (SELECT 1 FROM learner_organisations lo WHERE lo.learner_id = (SELECT id FROM ln)) AS answered",
               "EXISTS (SELECT 1 FROM organisations o WHERE o.issuer = CAST(:issuer AS VARCHAR)) AS register"]
    return "WITH " + ",\n".join(f"{name} AS ({sql})" for name, sql in ctes) + "\nSELECT " + ", ".join(columns)


def _organisation_on_launch(session: Session, issuer: str, learner_id: int, claims: dict, claim: str) -> bool:
    """Preset from the launch claim if it names an organisation; True if the learner should be asked."""
    value = organisations.claim_value(claims, claim)
    if value is not None:
        org = organisations.find(session, issuer, value)
        if org is not None:
            organisations.choose(session, learner_id, org.id, "claim")
            return False
    answered, register = session.execute(_ASK_ORGANISATION, {"learner_id": learner_id, "issuer": issuer}).one()
    return not answered and register


# One statement: has the learner answered, and does the platform have a register to choose from?
_ASK_ORGANISATION = select(
    select(LearnerOrganisation.learner_id).where(LearnerOrganisation.learner_id == bindparam("learner_id")).exists(),
    select(Organisation.id).where(Organisation.issuer == bindparam("issuer")).limit(1).exists(),
)
