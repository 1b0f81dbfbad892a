"""Report queries of the LTI tool: the coordinator dashboard (SQL aggregates) and the completion rows of the
exports (streamed from a server-side cursor). Writers, formula neutralisation, suppression and the funder
aggregation are the core's (``vamos_core.reports``, ``vamos_core.report_rows``); this module only reads.

Facts (``module_progress``): *enrolled* = the row was created (first launch of the module link or first event),
*started* = first progress event, *completed* / *passed* = first time the rule held; *certificates* = valid
certificates by completion date. Each count counts the fact in the period (like the funder report). Periods and
months are calendar days in Europe/Berlin on both databases (SQLite gets the same functions registered).
People who launched only as trainers or coordinators (``learners.role``) are not counted.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Float, Integer, String, and_, cast, exists, func, literal, or_, select, text
from sqlalchemy.sql import ColumnElement

from .models import Certificate, Learner, LearnerOrganisation, ModuleProgress, Organisation, ProgressEvent, \
    ResourceLink

LOCAL_TZ = ZoneInfo("Europe/Berlin")
NO_ORGANISATION = "keine Angabe"
STAFF_ROLES = ("trainer", "coordinator")
STREAM_BATCH = 2000


# ---------------------------------------------------------------- SQLite: the functions PostgreSQL has


def _local_month(value) -> str | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ)
    return f"{local.year:04d}-{local.month:02d}"


def _local_time(value) -> str | None:
    """A stored naive UTC time as naive local time, in SQLAlchemy's SQLite storage format."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return local(moment).strftime("%Y-%m-%d %H:%M:%S.%f")


class _Median:
    def __init__(self):
        self.values: list[float] = []

    def step(self, value):
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def register_sqlite_functions(dbapi_conn) -> None:
    dbapi_conn.create_function("vamos_local_month", 1, _local_month, deterministic=True)
    dbapi_conn.create_function("vamos_local_time", 1, _local_time, deterministic=True)
    dbapi_conn.create_aggregate("vamos_median", 1, _Median)


def _month(column, dialect: str):
    if dialect == "postgresql":
        return func.to_char(func.timezone("Europe/Berlin", func.timezone("UTC", column)), "YYYY-MM")
    return func.vamos_local_month(column)


def _local_timestamp(column, dialect: str):
    """The stored naive UTC time as naive local time (like ``local``), computed by the database."""
    if dialect == "postgresql":
        return func.timezone("Europe/Berlin", func.timezone("UTC", column), type_=DateTime)
    return func.vamos_local_time(column, type_=DateTime)


def _seconds_between(start, end, dialect: str):
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _median(expr, dialect: str):
    if dialect == "postgresql":
        return func.percentile_cont(0.5).within_group(expr)
    return func.vamos_median(expr)


# ---------------------------------------------------------------- filters


def utc_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Local calendar days since..until (inclusive) → naive UTC [low, high) as stored."""
    def utc(day: date) -> datetime:
        return datetime.combine(day, time(0), LOCAL_TZ).astimezone(timezone.utc).replace(tzinfo=None)

    return (utc(since) if since else None), (utc(until + timedelta(days=1)) if until else None)


def local(moment: datetime | None) -> datetime | None:
    """A stored naive UTC time as naive local time (Europe/Berlin) for reports."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ).replace(tzinfo=None)


@dataclass
class Filters:
    platforms: Sequence[str]  # issuers the coordinator may see (never empty for a coordinator)
    modules: Sequence[str] = ()  # empty: all
    context_pk: int | None = None  # a course: learners who worked on the module from a link of it
    organisation: int | str | None = None  # an organisation id, "none" (keine Angabe) or None (all)
    since: date | None = None
    until: date | None = None

    def describe(self) -> dict:
        """For the audit log: what was asked for (no personal data)."""
        return {"platforms": list(self.platforms), "modules": list(self.modules), "course": self.context_pk,
                "organisation": self.organisation, "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


def _people(filters: Filters, issuer_col, sub_col, module_col) -> list[ColumnElement]:
    """Conditions on the learners row (joined as ``Learner``) and its organisation link (outer joined)."""
    conditions: list[ColumnElement] = [issuer_col.in_(list(filters.platforms)),
                                       or_(Learner.role.is_(None), Learner.role.notin_(STAFF_ROLES))]
    if filters.modules:
        conditions.append(module_col.in_(list(filters.modules)))
    if filters.organisation == "none":
        conditions.append(LearnerOrganisation.organisation_id.is_(None))
    elif filters.organisation is not None:
        conditions.append(LearnerOrganisation.organisation_id == int(filters.organisation))
    if filters.context_pk is not None:
        conditions.append(exists(
            select(ProgressEvent.id)
            .join(ResourceLink, ProgressEvent.resource_link_pk == ResourceLink.id)
            .where(ProgressEvent.issuer == issuer_col, ProgressEvent.sub == sub_col,
                   ProgressEvent.module_id == module_col, ResourceLink.context_pk == filters.context_pk)
        ))
    return conditions


def _in_period(column, low: datetime | None, high: datetime | None) -> list[ColumnElement]:
    conditions = [column.is_not(None)]
    if low is not None:
        conditions.append(column >= low)
    if high is not None:
        conditions.append(column < high)
    return conditions


def _progress_from():
    return (select().select_from(ModuleProgress)
            .join(Learner, and_(Learner.issuer == ModuleProgress.issuer, Learner.sub == ModuleProgress.sub))
            .outerjoin(LearnerOrganisation, LearnerOrganisation.learner_id == Learner.id))


def _progress_conditions(filters: Filters) -> list[ColumnElement]:
    return _people(filters, ModuleProgress.issuer, ModuleProgress.sub, ModuleProgress.module_id)


def _certificate_conditions(filters: Filters) -> list[ColumnElement]:
    return [Certificate.status == Certificate.VALID,
            *_people(filters, Learner.issuer, Learner.sub, Certificate.module_id)]


# ---------------------------------------------------------------- dashboard

FACTS = ("enrolled", "started", "completed", "passed", "certificates")


@dataclass
class Dashboard:
    modules: list[dict] = field(default_factory=list)  # per module: counts, median_days, average_score
    total: dict = field(default_factory=dict)
    organisations: list[dict] = field(default_factory=list)  # per organisation: name, bundesland, counts
    bundeslaender: list[dict] = field(default_factory=list)
    months: list[dict] = field(default_factory=list)  # per month: counts (the chart shows "completed")


def _zero() -> dict[str, int]:
    return dict.fromkeys(FACTS, 0)


def dashboard(db, filters: Filters, module_titles: Mapping[str, str] | None = None) -> Dashboard:
    """Every figure of the dashboard from the rollups (``lti_tool.rollups``): one grouped read of a few thousand
    counters whatever the number of progress rows, plus the few staff people's rows to subtract."""
    from . import rollups

    with db.connection() as conn:
        sums = rollups.read(conn, filters.platforms, filters.modules, filters.context_pk, filters.organisation,
                            filters.since, filters.until)
        orgs = {o.id: o for o in conn.execute(select(Organisation.__table__).where(
            Organisation.issuer.in_(list(filters.platforms))))}

    def counts(by_key: dict) -> dict:
        out = {}
        for key, facts in by_key.items():
            if any(facts.get(f) for f in FACTS):
                out[key] = {f: facts.get(f, 0) for f in FACTS}
        return out

    overall: dict[int, list] = defaultdict(lambda: [0, 0.0])
    for histogram in sums["duration"].values():
        for bucket, (n, total) in histogram.items():
            overall[bucket][0] += n
            overall[bucket][1] += total
    scores = sums["score"]
    score_n = sum(n for n, _ in scores.values())
    return _assemble(counts(sums["module"]), {(k or None): v for k, v in counts(sums["org"]).items()},
                     counts(sums["month"]), {m: rollups.median_seconds(h) for m, h in sums["duration"].items()},
                     rollups.median_seconds(overall), {m: t / n for m, (n, t) in scores.items() if n},
                     sum(t for _, t in scores.values()) / score_n if score_n else None, orgs, module_titles)


def dashboard_from_rows(db, filters: Filters, module_titles: Mapping[str, str] | None = None) -> Dashboard:
    """The same figures computed from the rows in nine aggregate queries: the definition the rollups must equal
    (tests, ``vamos lti rebuild-rollups --check``); seconds on a million rows."""
    low, high = utc_bounds(filters.since, filters.until)
    dialect = db.engine.dialect.name
    groups: dict[tuple[str, int | None, str], dict[str, int]] = defaultdict(_zero)
    with db.session() as s:
        for fact in ("enrolled", "started", "completed", "passed"):
            column = getattr(ModuleProgress, f"{fact}_at")
            month = _month(column, dialect)
            query = (_progress_from()
                     .add_columns(ModuleProgress.module_id, LearnerOrganisation.organisation_id, month, func.count())
                     .where(*_progress_conditions(filters), *_in_period(column, low, high))
                     .group_by(ModuleProgress.module_id, LearnerOrganisation.organisation_id, month))
            for module_id, org_id, month_value, count in s.execute(query):
                groups[(module_id, org_id, month_value)][fact] += count
        month = _month(Certificate.completed_at, dialect)
        query = (select(Certificate.module_id, LearnerOrganisation.organisation_id, month, func.count())
                 .select_from(Certificate).join(Learner, Certificate.learner_id == Learner.id)
                 .outerjoin(LearnerOrganisation, LearnerOrganisation.learner_id == Learner.id)
                 .where(*_certificate_conditions(filters), *_in_period(Certificate.completed_at, low, high))
                 .group_by(Certificate.module_id, LearnerOrganisation.organisation_id, month))
        for module_id, org_id, month_value, count in s.execute(query):
            groups[(module_id, org_id, month_value)]["certificates"] += count

        # Median time to complete (first event → completion) and average counting score, per module and overall.
        duration = _seconds_between(ModuleProgress.started_at, ModuleProgress.completed_at, dialect)
        completed_in = [*_progress_conditions(filters), *_in_period(ModuleProgress.completed_at, low, high),
                        ModuleProgress.started_at.is_not(None)]
        started_in = [*_progress_conditions(filters), *_in_period(ModuleProgress.started_at, low, high),
                      ModuleProgress.quiz_score.is_not(None)]
        medians = dict(s.execute(_progress_from().add_columns(ModuleProgress.module_id, _median(duration, dialect))
                                 .where(*completed_in).group_by(ModuleProgress.module_id)).all())
        overall_median = s.execute(_progress_from().add_columns(_median(duration, dialect)).where(*completed_in)).scalar()
        averages = dict(s.execute(_progress_from().add_columns(ModuleProgress.module_id,
                                                               func.avg(cast(ModuleProgress.quiz_score, Float)))
                                  .where(*started_in).group_by(ModuleProgress.module_id)).all())
        overall_average = s.execute(_progress_from().add_columns(func.avg(cast(ModuleProgress.quiz_score, Float)))
                                    .where(*started_in)).scalar()
        orgs = {o.id: o for o in s.scalars(select(Organisation).where(
            Organisation.issuer.in_(list(filters.platforms))))}
    per_module: dict[str, dict] = defaultdict(_zero)
    per_org: dict[int | None, dict] = defaultdict(_zero)
    per_month: dict[str, dict] = defaultdict(_zero)
    for (module_id, org_id, month_value), counts in groups.items():
        for target in (per_module[module_id], per_org[org_id], per_month[month_value]):
            for fact in FACTS:
                target[fact] += counts[fact]
    return _assemble(per_module, per_org, per_month, medians, overall_median, averages, overall_average, orgs,
                     module_titles)


def _assemble(per_module, per_org, per_month, medians, overall_median, averages, overall_average, orgs,
              module_titles) -> Dashboard:
    """The dashboard's tables from counts per module, per organisation id (None: keine Angabe) and per month,
    medians in seconds and average scores per module and overall."""
    titles = module_titles or {}
    per_land: dict[str, dict] = defaultdict(_zero)
    total = _zero()
    for org_id, counts in per_org.items():
        org = orgs.get(org_id)
        for fact in FACTS:
            per_land[org.bundesland if org else ""][fact] += counts[fact]
    for counts in per_module.values():
        for fact in FACTS:
            total[fact] += counts[fact]

    def days(seconds) -> float | None:
        return None if seconds is None else float(seconds) / 86400.0

    result = Dashboard()
    for module_id in sorted(per_module, key=lambda m: titles.get(m, m).casefold()):
        result.modules.append({"id": module_id, "title": titles.get(module_id, module_id), **per_module[module_id],
                               "median_days": days(medians.get(module_id)),
                               "average_score": averages.get(module_id)})
    result.total = {**total, "median_days": days(overall_median), "average_score": overall_average}
    for org_id in sorted(per_org, key=lambda i: (i is None, orgs[i].name.casefold() if i in orgs else "")):
        org = orgs.get(org_id)
        name = org.name if org else NO_ORGANISATION
        result.organisations.append({"id": org_id, "name": name, "bundesland": org.bundesland if org else "",
                                     "label": f"{name} ({org.bundesland})" if org else name, **per_org[org_id]})
    for land in sorted(per_land, key=lambda x: (x == "", x)):
        result.bundeslaender.append({"name": land or NO_ORGANISATION, "label": land or NO_ORGANISATION,
                                     **per_land[land]})
    for month_value in sorted(per_month):
        result.months.append({"month": month_value, "label": month_value, **per_month[month_value]})
    return result


# ---------------------------------------------------------------- completion rows (exports, CLI)


def completion_query(filters: Filters, with_names: bool = False, dialect: str = "postgresql"):
    """The completion rows as the exports show them, one per learner and module, computed by the database (local
    times, lesson counts, "keine Angabe"): the rows are streamed and only put into dicts in Python. Columns in
    the order ``completion_rows`` unpacks."""
    low, high = utc_bounds(filters.since, filters.until)
    done = func.coalesce(ModuleProgress.lessons_done, "")
    name = func.nullif(Certificate.learner_name, "") if with_names else literal(None, String)
    query = (_progress_from()
             .add_columns(
                 Learner.pseudonym,
                 name,
                 func.coalesce(func.nullif(Organisation.name, ""), NO_ORGANISATION),
                 # The same "keine Angabe" as the dashboard, not an empty cell.
                 func.coalesce(func.nullif(Organisation.bundesland, ""), NO_ORGANISATION),
                 ModuleProgress.module_id,
                 _local_timestamp(ModuleProgress.started_at, dialect),
                 # a JSON list of ids: two quotes per id
                 (func.length(done, type_=Integer) - func.length(func.replace(done, '"', ""), type_=Integer)) // 2,
                 ModuleProgress.quiz_score,
                 _local_timestamp(ModuleProgress.completed_at, dialect),
                 func.coalesce(Certificate.verification_code, ""),
                 _local_timestamp(Certificate.completed_at, dialect))
             .outerjoin(Organisation, Organisation.id == LearnerOrganisation.organisation_id)
             .outerjoin(Certificate, and_(Certificate.learner_id == Learner.id,
                                          Certificate.module_id == ModuleProgress.module_id,
                                          Certificate.status == Certificate.VALID))
             .where(*_progress_conditions(filters)))
    if low is not None or high is not None:
        query = query.where(or_(
            and_(*_in_period(ModuleProgress.enrolled_at, low, high)),
            and_(*_in_period(ModuleProgress.started_at, low, high)),
            and_(*_in_period(ModuleProgress.completed_at, low, high)),
            and_(*_in_period(Certificate.completed_at, low, high)),
        ))
    return query.order_by(ModuleProgress.id)


def completion_rows(db, filters: Filters, lessons_total: Mapping[str, int] | None = None,
                    with_names: bool = False, batch: int = STREAM_BATCH,
                    module_titles: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """One dict per learner and module with the keys of ``vamos_core.reports.COMPLETION_COLUMNS`` plus
    ``bundesland`` and ``certificate_at`` (for ``report_rows.funder_rows``) and ``name``. ``learner`` is the
    learner's internal random id (also their credential subject): never exported as it is — the exports put a
    per-report pseudonym in its place (``report_rows.anonymise_rows`` / ``named_rows``). Streamed from a server-side cursor
    (PostgreSQL) in batches: memory stays bounded however many rows there are. Times are local (Berlin).
    ``with_names``: ``name`` is the name printed on the learner's certificate, where there is one.
    ``module_titles``: the module column shows titles people recognise (an unknown id stays as it is)."""
    totals = lessons_total or {}
    total_of = totals.get
    titles = module_titles or {}
    dialect = db.engine.dialect.name
    query = completion_query(filters, with_names, dialect)
    with db.engine.connect() as conn:
        if dialect == "postgresql":
            # Every row is read: plan for all of them (hash joins and one sort), not for the first tenth as
            # PostgreSQL does for cursors (nested loops over indexes: 1.4–1.8 times the server time of an export).
            conn.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
        for learner, name, organisation, land, module_id, started, done, score, completed, code, cert_at in result:
            yield {
                "learner": learner,
                "name": name,
                "organisation": organisation,
                "bundesland": land,
                "module": titles.get(module_id, module_id),
                "started_at": started,
                "lessons_done": done,
                "lessons_total": total_of(module_id),
                "quiz_score": score,
                "completed_at": completed,
                "certificate_code": code,
                "certificate_at": cert_at,
            }


def completion_count(session, filters: Filters) -> int:
    """How many rows ``completion_rows`` yields. Without a period the count needs no join beyond the learner: the
    outer joins of the completion query add no rows (organisations by key, at most one valid certificate per
    learner and module), and only the period filter reads a certificate."""
    if filters.since is None and filters.until is None:
        return session.scalar(_progress_from().add_columns(func.count()).where(*_progress_conditions(filters)))
    query = completion_query(filters, dialect=session.get_bind().dialect.name).order_by(None)
    return session.scalar(select(func.count()).select_from(query.subquery()))


def rows_from_lti(database_url: str, modules: Sequence[str] | None = None, since: date | None = None,
                  until: date | None = None, platforms: Sequence[str] | None = None, with_names: bool = False,
                  content_dir: str = "", progress=None, batch: int = STREAM_BATCH) -> Iterator[dict[str, Any]]:
    """The completion rows of the LTI tool's database, for ``vamos report`` and the benchmark: every platform
    unless ``platforms`` names some. ``progress((done, total))`` is called every 10,000 rows (the total costs one
    count query, made only when ``progress`` is given)."""
    from .catalog import load_tool_catalog
    from .db import Database

    db = Database(database_url)
    try:
        if not platforms:
            with db.session() as s:
                platforms = [p for (p,) in s.execute(select(ModuleProgress.issuer).distinct())]
        try:
            catalog = load_tool_catalog(content_dir)
            totals = {m.id: len(m.lessons) for m in catalog}
        except Exception:  # noqa: BLE001 - content missing on a reporting host: totals stay empty
            totals = {}
        from .authoring.directory import published_lesson_counts

        totals.update(published_lesson_counts(db))  # modules trainers published in the browser
        filters = Filters(platforms=list(platforms), modules=list(modules or ()), since=since, until=until)
        total = 0
        if progress is not None:
            with db.session() as s:
                total = completion_count(s, filters)
            progress((0, total))
        count = 0
        for row in completion_rows(db, filters, totals, with_names, batch):
            count += 1
            if progress is not None and count % 10000 == 0:
                progress((count, total))
            yield row
    finally:
        db.dispose()


def audit_cli_export(database_url: str, action: str, details: dict, row_count: int) -> None:
    """An export made with ``vamos report`` from this database, in the audit log (actor "cli")."""
    from .coordination import audit
    from .db import Database

    db = Database(database_url)
    try:
        with db.session() as s:
            audit(s, None, action, details, row_count)
    finally:
        db.dispose()


def months_between(first: str, last: str) -> list[str]:
    """Every month from first to last (``YYYY-MM``), so the chart shows months without completions too."""
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    out = []
    while (year, month) <= end and len(out) < 240:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


