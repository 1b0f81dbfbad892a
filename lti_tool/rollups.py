"""Dashboard rollups: the coordinator dashboard's figures kept as sums, written in the transactions of the facts.

Why: on a million progress rows the dashboard's nine aggregate queries over the rows took seconds; the rollup
holds a few counters per module, organisation, course and period instead, so every filter of the dashboard reads
a few thousand rows. The exports stay streamed from the rows (``lti_tool.reports``).

Tables ``progress_rollups`` (grain "m": period = local month YYYY-MM) and ``progress_rollups_daily`` (grain "d":
period = local day YYYY-MM-DD), one counter per key::

    issuer, context_pk (0 = every course), module_id, org_key (0 = "keine Angabe"), grain, period, fact, bucket
    → n, total

Facts, each on the local (Europe/Berlin) day of its date, exactly as ``reports.dashboard_from_rows`` counts them:
``enrolled`` / ``started`` / ``completed`` / ``passed`` (the ``module_progress`` dates, written once),
``certificates`` (valid certificates by completion date), ``score`` (n rows with a counting score by start day,
total = sum of scores) and ``duration`` (start → completion in classes 25 % wide, ``bucket``; total = sum of the
seconds, so the median of identical durations is exact and any other is within its class).

Every change is written twice, month and day grain: a period filter reads whole months from the small month
table (no period filter: only that table) and only its partial first and last months from the daily table.

* Courses: ``progress_courses`` remembers (learner, module, course) once a progress event came from a link of the
  course (the course filter's definition); the person's facts count for course 0 and for each of those courses.
* Organisations: a fact counts under the organisation the person has when it is written; choosing another one
  moves the person's counters (``move_person``), deleting an organisation moves its counters to "keine Angabe".
* Staff: trainers and coordinators are never counted. Their role can change with any launch, so the counters hold
  everybody and the dashboard subtracts the few staff people's contributions, computed from their rows.
* Writes are deltas of the person's facts before and after the transaction: one built-once upsert statement per
  changed fact (executed for both grains), the same on PostgreSQL and SQLite.
* ``rebuild`` recomputes everything from the rows (migration backfill, ``vamos lti rebuild-rollups`` after
  direct SQL imports); ``contributions`` is the one place that turns rows into counters.
"""
from __future__ import annotations

import math
from functools import lru_cache
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

LOCAL_TZ = ZoneInfo("Europe/Berlin")
ALL_COURSES = 0
NO_ORGANISATION = 0
# Every counter is kept per organisation (the organisation filter reads those) and once more for every
# organisation together (org_key EVERY_ORGANISATION: modules, months, scores and durations without that filter);
# the counted facts also once for all modules together (module_id ALL_MODULES: the breakdown by organisation
# without a module filter). So a dashboard without an organisation filter reads modules × facts counters per day
# plus organisations × facts, not modules × organisations × facts: at a million rows, a period with partial months
# reads a few hundred counters per day, not thousands.
EVERY_ORGANISATION = -1
ALL_MODULES = "*"
COUNTED = ("enrolled", "started", "completed", "passed", "certificates")
SCORE = "score"
DURATION = "duration"
STAFF_ROLES = ("trainer", "coordinator")
_RATIO = 1.25  # width of a duration class: each is 25 % longer than the one before
_KEY = "issuer, context_pk, module_id, org_key, grain, period, fact, bucket"

# ---------------------------------------------------------------- facts → counters


@lru_cache(maxsize=65536)
def _offset(hour: datetime) -> timedelta:
    return hour.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ).utcoffset()


def local_day(moment) -> str | None:
    """A stored naive UTC time (or its SQLite text) as the local calendar day ``YYYY-MM-DD``. The offset is
    looked up once per hour (Berlin changes it on the hour): a backfill converts millions of times."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return (moment + _offset(moment.replace(minute=0, second=0, microsecond=0))).date().isoformat()


def bucket(seconds: float) -> int:
    """The duration class: 0 below one hour, then classes 25 % wide (≈ 45 classes up to a year)."""
    if seconds < 3600:
        return 0
    return 1 + int(math.log(seconds / 3600) / math.log(_RATIO))


def _seconds(start, end) -> float:
    if isinstance(start, str):
        start = datetime.fromisoformat(start)
    if isinstance(end, str):
        end = datetime.fromisoformat(end)
    return max(0.0, (end - start).total_seconds())


Counters = dict  # (fact, day, bucket) -> [n, total]


def row_counters(enrolled_at, started_at, completed_at, passed_at, quiz_score) -> Counters:
    """What one ``module_progress`` row contributes (the conditions of ``reports.dashboard_from_rows``)."""
    out: Counters = {}
    for fact, moment in (("enrolled", enrolled_at), ("started", started_at), ("completed", completed_at),
                         ("passed", passed_at)):
        if moment is not None:
            out[(fact, local_day(moment), 0)] = [1, 0.0]
    if started_at is not None and quiz_score is not None:
        out[(SCORE, local_day(started_at), 0)] = [1, float(quiz_score)]
    if started_at is not None and completed_at is not None:
        seconds = _seconds(started_at, completed_at)
        out[(DURATION, local_day(completed_at), bucket(seconds))] = [1, seconds]
    return out


def facts(row) -> tuple:
    """The facts of a progress row the counters depend on (taken before a change, compared after)."""
    if row is None:
        return (None, None, None, None, None)
    return (row.enrolled_at, row.started_at, row.completed_at, row.passed_at, row.quiz_score)


def difference(before: Counters, after: Counters) -> Counters:
    out: Counters = {}
    for key in before.keys() | after.keys():
        n0, t0 = before.get(key, (0, 0.0))
        n1, t1 = after.get(key, (0, 0.0))
        if n1 != n0 or t1 != t0:
            out[key] = [n1 - n0, t1 - t0]
    return out


def levels(module_id: str, org_key, fact: str) -> tuple[tuple[str, object], ...]:
    """The (module, organisation) levels a fact of ``module_id`` under ``org_key`` is counted at: its own, every
    organisation's, and for the counted facts all modules' of its organisation (see ``EVERY_ORGANISATION``)."""
    if fact in COUNTED:
        return (module_id, org_key), (module_id, EVERY_ORGANISATION), (ALL_MODULES, org_key)
    return (module_id, org_key), (module_id, EVERY_ORGANISATION)


def _both_grains(counters: Mapping, module_id: str, **fixed) -> dict[str, list[dict]]:
    """Parameters per table: every level of every counter, on its month and its day. ``org_key`` None: the
    person's organisation (looked up by the statement); ``key_module`` is the module column, ``module_id`` the
    module whose courses the statement looks up."""
    params: dict[str, list[dict]] = {"m": [], "d": []}
    for (fact, day, bucket_), (n, total) in counters.items():
        for key_module, org_key in levels(module_id, None, fact):
            for grain, period in (("m", day[:7]), ("d", day)):
                params[grain].append({**fixed, "module_id": module_id, "key_module": key_module, "grain": grain,
                                      "period": period, "fact": fact, "bucket": bucket_, "n": n, "total": total,
                                      "org_key": org_key})
    return params


def _execute(session, statements: dict, params: dict[str, list[dict]]) -> None:
    for grain, rows in params.items():
        if rows:
            session.execute(statements[grain], rows)


# ---------------------------------------------------------------- writes in the facts' transactions

_ADD = f"ON CONFLICT ({_KEY}) DO UPDATE SET n = progress_rollups.n + excluded.n, " \
       "total = progress_rollups.total + excluded.total"


def _typed(sql: str) -> str:
    """Parameters with their types spelled out: PostgreSQL deduces none for a parameter in a SELECT list and
    refuses one deduced as text in one place and varchar in another."""
    for name in ("issuer", "sub", "module_id", "key_module", "grain", "period", "fact"):
        sql = sql.replace(f":{name}", f"CAST(:{name} AS VARCHAR)")
    for name in ("context_pk", "bucket", "n", "link", "org_key"):
        sql = sql.replace(f":{name}", f"CAST(:{name} AS INTEGER)")
    return sql.replace(":total", "CAST(:total AS FLOAT)")


_ORG_OF_PERSON = ("COALESCE(:org_key, (SELECT lo.organisation_id FROM learners l JOIN learner_organisations lo "
                  "ON lo.learner_id = l.id WHERE l.issuer = :issuer AND l.sub = :sub), 0)")
# One statement for a person's delta: course 0 and every course the person worked on the module from, under the
# person's organisation (both looked up by the statement itself: no read before the write). ``WHERE 1 = 1``:
# SQLite needs it to parse INSERT … SELECT … ON CONFLICT.
TABLES = {"m": "progress_rollups", "d": "progress_rollups_daily"}


def _per_table(template: str) -> dict:
    return {grain: text(_typed(template.replace("progress_rollups", table))) for grain, table in TABLES.items()}


_FOR_PERSON = _per_table((
    f"INSERT INTO progress_rollups ({_KEY}, n, total) "
    f"SELECT :issuer, c.context_pk, :key_module, {_ORG_OF_PERSON}, :grain, :period, :fact, :bucket, :n, :total "
    "FROM (SELECT 0 AS context_pk UNION ALL SELECT pc.context_pk FROM progress_courses pc "
    "WHERE pc.issuer = :issuer AND pc.sub = :sub AND pc.module_id = :module_id) c WHERE 1 = 1 " + _ADD))
_FOR_PERSON_IN_COURSE = _per_table((
    f"INSERT INTO progress_rollups ({_KEY}, n, total) "
    f"SELECT :issuer, :context_pk, :key_module, {_ORG_OF_PERSON}, :grain, :period, :fact, :bucket, :n, :total "
    "WHERE 1 = 1 " + _ADD))
_EXPLICIT = {grain: text(f"INSERT INTO {table} ({_KEY}, n, total) VALUES (:issuer, :context_pk, :module_id, "
                         ":org_key, :grain, :period, :fact, :bucket, :n, :total) " + _ADD.replace(
                             "progress_rollups", table)) for grain, table in TABLES.items()}
# The course of the event's link, remembered once per (learner, module, course); RETURNING says it is new.
_JOIN_COURSE = text(_typed(
    "INSERT INTO progress_courses (issuer, sub, module_id, context_pk) "
    "SELECT :issuer, :sub, :module_id, rl.context_pk FROM lti_resource_link rl "
    "WHERE rl.id = :link AND rl.context_pk IS NOT NULL "
    "ON CONFLICT (issuer, sub, module_id, context_pk) DO NOTHING RETURNING context_pk"))
_VALID_CERTIFICATES = text(
    "SELECT c.completed_at FROM certificates c JOIN learners l ON l.id = c.learner_id "
    "WHERE l.issuer = :issuer AND l.sub = :sub AND c.module_id = :module_id AND c.status = 'valid'")


def add_for_person(session, issuer: str, sub: str, module_id: str, counters: Counters) -> None:
    if counters:
        _execute(session, _FOR_PERSON, _both_grains(counters, issuer=issuer, sub=sub, module_id=module_id))


def enrolment_ctes(progress_cte: str) -> list[tuple[str, str]]:
    """``enrolled`` as data-modifying CTEs of one PostgreSQL statement (the launch's, ``launch_record``): for
    each row the CTE ``progress_cte`` inserted (column ``module_id``), the same counters as ``enrolled`` on the
    local ``:month`` and ``:day``, for course 0 and the person's courses, under the person's organisation."""
    person_org = _ORG_OF_PERSON.replace(':org_key', 'NULL').replace('learners l ', 'learners lr ').replace('l.', 'lr.')
    # The levels of ``levels`` as SQL columns, one CTE each: their keys differ, so no row is upserted twice.
    level_columns = [(f"'{m}'" if m == ALL_MODULES else m, str(o))
                     for m, o in levels("enrolment.module_id", person_org, "enrolled")]
    ctes = []
    for grain, period in (("m", ":month"), ("d", ":day")):
        for level, (module_column, org_column) in enumerate(level_columns):
            sql = _typed(
                f"INSERT INTO progress_rollups ({_KEY}, n, total) "
                f"SELECT :issuer, courses.context_pk, {module_column}, {org_column}, "
                f"'{grain}', CAST({period} AS VARCHAR), 'enrolled', 0, 1, 0.0 FROM {progress_cte} enrolment "
                "CROSS JOIN LATERAL (SELECT 0 AS context_pk UNION ALL SELECT pc.context_pk FROM progress_courses pc "
                "WHERE pc.issuer = :issuer AND pc.sub = :sub AND pc.module_id = enrolment.module_id) courses " + _ADD)
            ctes.append((f"enrolled_{grain}_{level}", sql.replace("progress_rollups", TABLES[grain])))
    return ctes


def enrolled(session, issuer: str, sub: str, module_id: str, at: datetime) -> None:
    """A new ``module_progress`` row (launch or first event): the enrolment counts."""
    add_for_person(session, issuer, sub, module_id, {("enrolled", local_day(at), 0): [1, 0.0]})


def record_changes(session, issuer: str, sub: str, module_id: str, before: tuple, row,
                   resource_link_pk: int | None) -> None:
    """After an event (or a recompute) in its transaction: remember the event's course, then write the delta of
    the person's facts. Most events change no fact: then this costs the one course statement only."""
    if resource_link_pk is not None:
        new_course = session.execute(_JOIN_COURSE, {"issuer": issuer, "sub": sub, "module_id": module_id,
                                                    "link": resource_link_pk}).scalar()
        if new_course is not None:  # first event from this course: the person's facts so far count there too
            so_far = row_counters(*before)
            for (completed_at,) in session.execute(_VALID_CERTIFICATES, {"issuer": issuer, "sub": sub,
                                                                         "module_id": module_id}):
                _add(so_far, ("certificates", local_day(completed_at), 0), 1, 0.0)
            if so_far:
                _execute(session, _FOR_PERSON_IN_COURSE, _both_grains(
                    so_far, issuer=issuer, sub=sub, module_id=module_id, context_pk=new_course))
    add_for_person(session, issuer, sub, module_id, difference(row_counters(*before), row_counters(*facts(row))))


def certificate(session, issuer: str, sub: str, module_id: str, completed_at: datetime, sign: int) -> None:
    """A certificate became valid (+1) or was revoked (-1)."""
    add_for_person(session, issuer, sub, module_id, {("certificates", local_day(completed_at), 0): [sign, 0.0]})


def _add(counters: Counters, key, n: int, total: float) -> None:
    entry = counters.setdefault(key, [0, 0.0])
    entry[0] += n
    entry[1] += total


# ---------------------------------------------------------------- contributions computed from the rows


_STREAM = {"stream_results": True, "yield_per": 5000}  # a server-side cursor on PostgreSQL: memory stays bounded


def contributions(conn, people: str = "", params: Mapping | None = None) -> dict:
    """The counters the rows of some people contribute, keyed (issuer, context_pk, module_id, org_key, fact,
    day, bucket) → [n, total]. ``people`` is a SQL condition on ``learners l`` (empty: everybody); the
    organisation is the person's current one."""
    where = f"WHERE {people}" if people else ""
    params = dict(params or {})
    out: dict = defaultdict(lambda: [0, 0.0])
    courses: dict[tuple, list[int]] = defaultdict(list)
    for issuer, sub, module_id, context_pk in conn.execute(text(
            "SELECT pc.issuer, pc.sub, pc.module_id, pc.context_pk FROM progress_courses pc "
            f"JOIN learners l ON l.issuer = pc.issuer AND l.sub = pc.sub {where}"), params):
        courses[(issuer, sub, module_id)].append(context_pk)

    def add(issuer, sub, module_id, org, counters: Counters) -> None:
        for ctx in (ALL_COURSES, *courses.get((issuer, sub, module_id), ())):
            for (fact, day, bucket_), (n, total) in counters.items():
                for key_module, org_key in levels(module_id, org, fact):
                    entry = out[(issuer, ctx, key_module, org_key, fact, day, bucket_)]
                    entry[0] += n
                    entry[1] += total

    org = "COALESCE(lo.organisation_id, 0)"
    result = conn.execute(text(
        f"SELECT mp.issuer, mp.sub, mp.module_id, {org}, mp.enrolled_at, mp.started_at, mp.completed_at, "
        "mp.passed_at, mp.quiz_score FROM module_progress mp "
        "JOIN learners l ON l.issuer = mp.issuer AND l.sub = mp.sub "
        f"LEFT JOIN learner_organisations lo ON lo.learner_id = l.id {where}"), params,
        execution_options=_STREAM)
    for issuer, sub, module_id, org_key, *row in result:
        add(issuer, sub, module_id, org_key, row_counters(*row))
    result = conn.execute(text(
        f"SELECT l.issuer, l.sub, c.module_id, {org}, c.completed_at FROM certificates c "
        "JOIN learners l ON l.id = c.learner_id LEFT JOIN learner_organisations lo ON lo.learner_id = l.id "
        f"{where + ' AND' if where else 'WHERE'} c.status = 'valid'"), params,
        execution_options=_STREAM)
    for issuer, sub, module_id, org_key, completed_at in result:
        add(issuer, sub, module_id, org_key, {("certificates", local_day(completed_at), 0): [1, 0.0]})
    return out


def _write(conn, counters: Mapping, sign: int = 1, org_key: int | None = None) -> None:
    params: dict[str, list[dict]] = {"m": [], "d": []}
    for (issuer, ctx, module_id, org, fact, day, bucket_), (n, total) in counters.items():
        for grain, period in (("m", day[:7]), ("d", day)):
            params[grain].append({"issuer": issuer, "context_pk": ctx, "module_id": module_id,
                                  "org_key": org if org_key is None else org_key, "grain": grain, "period": period,
                                  "fact": fact, "bucket": bucket_, "n": sign * n, "total": sign * total})
    _execute(conn, _EXPLICIT, params)


def rebuild(conn) -> int:
    """Every counter recomputed from the rows (the migration's backfill; after direct SQL imports). Also fills
    ``progress_courses`` from the events. Returns the number of counters written. The table is empty before the
    insert, so both grains are summed here and written without conflicts (COPY on PostgreSQL)."""
    for table in TABLES.values():
        conn.execute(text(f"DELETE FROM {table}"))
    conn.execute(text(
        "INSERT INTO progress_courses (issuer, sub, module_id, context_pk) "
        "SELECT DISTINCT e.issuer, e.sub, e.module_id, rl.context_pk FROM progress_events e "
        "JOIN lti_resource_link rl ON rl.id = e.resource_link_pk WHERE rl.context_pk IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM progress_courses pc WHERE pc.issuer = e.issuer AND pc.sub = e.sub "
        "AND pc.module_id = e.module_id AND pc.context_pk = rl.context_pk)"))
    rows: dict[str, dict] = {grain: defaultdict(lambda: [0, 0.0]) for grain in TABLES}
    for (issuer, ctx, module_id, org, fact, day, bucket_), (n, total) in contributions(conn).items():
        for grain, period in (("m", day[:7]), ("d", day)):
            entry = rows[grain][(issuer, ctx, grain, period, module_id, org, fact, bucket_)]
            entry[0] += n
            entry[1] += total
    columns = "issuer, context_pk, grain, period, module_id, org_key, fact, bucket, n, total"
    names = [c.strip() for c in columns.split(",")]
    for grain, table in TABLES.items():
        if conn.dialect.name == "postgresql":
            with conn.connection.driver_connection.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for key, (n, total) in rows[grain].items():
                        copy.write_row((*key, n, total))
            conn.execute(text(f"ANALYZE {table}"))  # the planner's figures for the filled table (range scans)
            continue
        statement = text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in names)})")
        batch = []
        for key, (n, total) in rows[grain].items():
            batch.append(dict(zip(names, (*key, n, total))))
            if len(batch) >= 5000:
                conn.execute(statement, batch)
                batch = []
        if batch:
            conn.execute(statement, batch)
    return sum(len(r) for r in rows.values())


# ---------------------------------------------------------------- moves (rare: once per person or organisation)


def _person(learner_id: int) -> tuple[str, dict]:
    return "l.id = :learner_id", {"learner_id": learner_id}


def remove_person(session: Session, learner_id: int) -> None:
    """Before a person's rows are deleted (Art. 17): their counters go."""
    conn = session.connection()
    _write(conn, contributions(conn, *_person(learner_id)), sign=-1)


def move_person(session: Session, learner_id: int, old_org: int | None, new_org: int | None) -> None:
    """A person chose another organisation: their counters move with them (called before the change)."""
    if (old_org or 0) == (new_org or 0):
        return
    conn = session.connection()
    counters = {key: value for key, value in contributions(conn, *_person(learner_id)).items()
                if key[3] != EVERY_ORGANISATION}  # the counters of every organisation stay where they are
    _write(conn, counters, sign=-1, org_key=old_org or NO_ORGANISATION)
    _write(conn, counters, sign=1, org_key=new_org or NO_ORGANISATION)


def organisation_deleted(session: Session, org_id: int) -> None:
    """The organisation's counters become "keine Angabe" (its learners' links are set to NULL)."""
    conn = session.connection()
    for table in TABLES.values():
        conn.execute(text(
            f"INSERT INTO {table} ({_KEY}, n, total) SELECT issuer, context_pk, module_id, 0, grain, period, "
            f"fact, bucket, n, total FROM {table} WHERE org_key = :org AND 1 = 1 "
            + _ADD.replace("progress_rollups", table)), {"org": org_id})
        conn.execute(text(f"DELETE FROM {table} WHERE org_key = :org"), {"org": org_id})


def rename_sub(session: Session, issuer: str, old: str, new: str) -> None:
    """Retention replaces a person's sub: their course memberships follow (the counters hold no sub)."""
    session.execute(text("UPDATE progress_courses SET sub = :new WHERE issuer = :issuer AND sub = :old"),
                    {"issuer": issuer, "old": old, "new": new})


# ---------------------------------------------------------------- reading (the dashboard)


def _periods(since: date | None, until: date | None) -> list[tuple[str, str, str, int]]:
    """(grain, first, last, sign) ranges of periods whose signed sum covers the local days since..until: whole
    months from the month rows; a partial first or last month from the day rows — its own days, or, when fewer,
    the whole month minus the days outside the period (sign -1): at most about half a month of days per end."""
    if since is None and until is None:
        return [("m", "0000-00", "9999-99", 1)]

    def next_month(day: date) -> date:
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)

    one = timedelta(days=1)
    # Whole months: [first_full, end_full) — first_full the first day of the first whole month in the period.
    first_full = None if since is None else (since if since.day == 1 else next_month(since))
    end_full = None if until is None else (next_month(until) if (until + one).day == 1 else until.replace(day=1))
    if first_full is not None and end_full is not None and first_full >= end_full:
        return [("d", since.isoformat(), until.isoformat(), 1)]
    ranges = [("m", first_full.isoformat()[:7] if first_full else "0000-00",
               (end_full - one).isoformat()[:7] if end_full else "9999-99", 1)]
    if since is not None and since != first_full:
        inside, outside = (first_full - since).days, since.day - 1
        if outside < inside:  # the month minus its days before ``since``
            ranges += [("m", since.isoformat()[:7], since.isoformat()[:7], 1),
                       ("d", since.replace(day=1).isoformat(), (since - one).isoformat(), -1)]
        else:
            ranges.append(("d", since.isoformat(), (first_full - one).isoformat(), 1))
    if until is not None and end_full <= until:
        inside, outside = until.day, (next_month(until) - until).days - 1
        if outside < inside:  # the month minus its days after ``until``
            ranges += [("m", until.isoformat()[:7], until.isoformat()[:7], 1),
                       ("d", (until + one).isoformat(), (next_month(until) - one).isoformat(), -1)]
        else:
            ranges.append(("d", end_full.isoformat(), until.isoformat(), 1))
    return ranges


def read(conn, platforms: Iterable[str], modules: Iterable[str], context_pk: int | None, organisation,
         since: date | None, until: date | None) -> dict:
    """The dashboard's sums for the filters, without the staff's contributions: ``module`` / ``org`` / ``month``
    → key → {fact: n} for the counted facts, ``score`` → module → [n, total], ``duration`` → module → class →
    [n, seconds]. One statement: the database sums each dimension (UNION ALL of four groupings), so the answer
    is a few hundred rows however many counters there are.

    Which level answers what (``levels``): with an organisation filter everything comes from that organisation's
    own counters. Without it, modules, months, scores and durations come from the counters of every organisation
    (``EVERY_ORGANISATION``) and the breakdown by organisation from the all-modules counters (``ALL_MODULES``), or
    from the chosen modules' own counters when modules are filtered."""
    platforms, modules = list(platforms), list(modules)
    params: dict = {"ctx": context_pk or ALL_COURSES}
    base = ["context_pk = :ctx", "issuer IN (" + ", ".join(f":p{i}" for i in range(len(platforms))) + ")"]
    params.update({f"p{i}": p for i, p in enumerate(platforms)})
    module_cond = "module_id IN (" + ", ".join(f":m{i}" for i in range(len(modules))) + ")"
    params.update({f"m{i}": m for i, m in enumerate(modules)})
    org_key = None
    if organisation == "none":
        org_key = NO_ORGANISATION
    elif organisation is not None:
        org_key = int(organisation)
    counted = "fact IN (" + ", ".join(f"'{f}'" for f in COUNTED) + ")"
    if org_key is not None:
        params["org"] = org_key
        main = base + ["org_key = :org", module_cond if modules else f"module_id <> '{ALL_MODULES}'"]
        by_org = None  # the same counters
    else:
        main = base + [f"org_key = {EVERY_ORGANISATION}"] + ([module_cond] if modules else [])
        by_org = base + ["org_key >= 0", counted, module_cond if modules else f"module_id = '{ALL_MODULES}'"]

    def source(conditions: list[str], name: str) -> str:
        parts = []
        for i, (grain, low, high, sign) in enumerate(_periods(since, until)):
            signed = "n, total" if sign > 0 else "-n AS n, -total AS total"
            # The grain, though each table holds one: it precedes the period in the primary key, so without it
            # the index only narrows to the course and every period of it is read (1 s instead of 0.1 s at 1M rows).
            parts.append(f"SELECT module_id, org_key, period, fact, bucket, {signed} FROM {TABLES[grain]} "
                         f"WHERE {' AND '.join(conditions)} AND grain = '{grain}' AND period >= :lo{i} "
                         f"AND period <= :hi{i}")
            params.update({f"lo{i}": low, f"hi{i}": high})
        return f"{name} AS MATERIALIZED ({' UNION ALL '.join(parts)})"

    ctes = [source(main, "r")] + ([source(by_org, "o")] if by_org else [])
    sql = (f"WITH {', '.join(ctes)} "
           f"SELECT 'module', module_id, fact, 0, SUM(n), SUM(total) FROM r WHERE fact <> '{DURATION}' "
           "GROUP BY module_id, fact "
           f"UNION ALL SELECT 'org', CAST(org_key AS VARCHAR(20)), fact, 0, SUM(n), SUM(total) FROM "
           f"{'o' if by_org else 'r'} WHERE {counted} GROUP BY org_key, fact "
           "UNION ALL SELECT 'month', substr(period, 1, 7), fact, 0, SUM(n), SUM(total) FROM r "
           f"WHERE {counted} GROUP BY substr(period, 1, 7), fact "
           "UNION ALL SELECT 'duration', module_id, fact, bucket, SUM(n), SUM(total) FROM r "
           f"WHERE fact = '{DURATION}' GROUP BY module_id, fact, bucket")
    out = {"module": defaultdict(dict), "org": defaultdict(dict), "month": defaultdict(dict),
           "score": defaultdict(lambda: [0, 0.0]), "duration": defaultdict(lambda: defaultdict(lambda: [0, 0.0]))}

    def add(dim: str, key, fact: str, bucket_: int, n: int, total: float) -> None:
        if fact == SCORE:
            entry = out["score"][key]
        elif fact == DURATION:
            entry = out["duration"][key][bucket_]
        else:
            facts_ = out[dim][key]
            facts_[fact] = facts_.get(fact, 0) + n
            return
        entry[0] += n
        entry[1] += total

    for dim, key, fact, bucket_, n, total in conn.execute(text(sql), params):
        add(dim, int(key) if dim == "org" else key, fact, bucket_, int(n), float(total or 0.0))
    # Staff are few: subtract what their rows contribute, at the same levels and with the same filters.
    staff = ("l.role IN ('trainer', 'coordinator') AND l.issuer IN ("
             + ", ".join(f":p{i}" for i in range(len(platforms))) + ")")
    low_day = since.isoformat() if since else "0000-00-00"
    high_day = until.isoformat() if until else "9999-99-99"

    def chosen(module_id: str) -> bool:
        return module_id in modules if modules else module_id != ALL_MODULES

    for (issuer, ctx, module_id, org, fact, day, bucket_), (n, total) in contributions(
            conn, staff, {f"p{i}": p for i, p in enumerate(platforms)}).items():
        if ctx != params["ctx"] or not low_day <= day <= high_day:
            continue
        if org_key is not None:
            dims = (("module", module_id), ("org", org), ("month", day[:7])) if org == org_key and chosen(
                module_id) else ()
        elif org == EVERY_ORGANISATION:
            dims = (("module", module_id), ("month", day[:7])) if chosen(module_id) else ()
        else:
            in_breakdown = fact in COUNTED and (module_id in modules if modules else module_id == ALL_MODULES)
            dims = (("org", org),) if in_breakdown else ()
        for dim, key in dims:
            if fact in (SCORE, DURATION):
                if dim == "module":
                    add("module", module_id, fact, bucket_, -n, -total)
            else:
                add(dim, key, fact, bucket_, -n, -total)
    return out


def median_seconds(histogram: Mapping[int, list]) -> float | None:
    """The median of a duration histogram (class → [n, sum of seconds]): the mean of the class holding the middle
    value (exact when the durations of that class are equal, else within the class's 25 %)."""
    classes = sorted((b, n, total) for b, (n, total) in histogram.items() if n > 0)
    count = sum(n for _, n, _ in classes)
    if not count:
        return None

    def at(position: int) -> float:
        seen = 0
        for _, n, total in classes:
            seen += n
            if position <= seen:
                return total / n
        return classes[-1][2] / classes[-1][1]

    if count % 2:
        return at((count + 1) // 2)
    return (at(count // 2) + at(count // 2 + 1)) / 2
