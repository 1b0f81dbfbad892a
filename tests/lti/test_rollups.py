"""The dashboard's rollups equal the row-level truth (``reports.dashboard_from_rows``) after random sequences of
everything that changes the facts, on both backends: events of several learners in several modules from links of
two courses (and none), on days that cross months and the change to summer time, quiz scores that rise and fall,
certificates issued and revoked, organisations chosen and deleted, a learner who becomes a trainer, Art. 17
erasure and retention — each through the tool's own functions, as the routes call them.

Medians come from duration classes 25 % wide (``lti_tool.rollups``): equal within that; counts and averages equal.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from unittest import mock

import pytest
from sqlalchemy import select

from lti_tool import certificates, dsgvo, organisations, progress
from lti_tool import reports as queries
from lti_tool import rollups
from lti_tool.models import Deployment, Learner, LtiContext, ModuleProgress, Organisation, ProgressEvent, \
    Registration, ResourceLink

from .test_learner import ALL_ON_ONE, ONE_PER_PAGE, app  # noqa: F401 - the fixture (real modules)

ISSUER = "https://lms.example.org"


class Clock:
    """``lti_tool.models.utcnow`` reads ``datetime.now`` of its module: this replaces it with a moving time."""

    now = datetime(2026, 1, 30, 22, 30)

    class Fake(datetime):
        @classmethod
        def now(cls, tz=None):
            return Clock.now.replace(tzinfo=timezone.utc)


def _links(db) -> list[int | None]:
    with db.session() as s:
        reg = Registration(issuer=ISSUER, client_id="c", auth_login_url="x", auth_token_url="x", key_set_url="x")
        s.add(reg)
        s.flush()
        dep = Deployment(registration_id=reg.id, deployment_id="d")
        s.add(dep)
        s.flush()
        courses = [LtiContext(deployment_pk=dep.id, context_id=f"kurs-{i}") for i in range(2)]
        s.add_all(courses)
        s.flush()
        links = [ResourceLink(deployment_pk=dep.id, context_pk=c.id, resource_link_id=f"link-{c.id}-{j}")
                 for c in courses for j in range(2)]
        links.append(ResourceLink(deployment_pk=dep.id, context_pk=None, resource_link_id="ohne-kurs"))
        s.add_all(links)
        s.flush()
        return [link.id for link in links] + [None]


def _filters(db, rng: random.Random) -> list[queries.Filters]:
    with db.session() as s:
        orgs = list(s.scalars(select(Organisation.id)))
        courses = list(s.scalars(select(LtiContext.id)))
    days = [date(2026, 1, 1) + timedelta(days=rng.randrange(0, 200)) for _ in range(6)]
    out = [queries.Filters(platforms=[ISSUER]), queries.Filters(platforms=[ISSUER], modules=[ALL_ON_ONE]),
           queries.Filters(platforms=[ISSUER], organisation="none"),
           queries.Filters(platforms=[ISSUER], since=date(2026, 3, 1), until=date(2026, 3, 31)),
           # both ends read as a whole month minus its few days outside the period (rollups._periods)
           queries.Filters(platforms=[ISSUER], since=date(2026, 2, 3), until=date(2026, 4, 28)),
           queries.Filters(platforms=[ISSUER], since=min(days[:2]), until=max(days[:2])),
           queries.Filters(platforms=[ISSUER], since=days[2]), queries.Filters(platforms=[ISSUER], until=days[3]),
           queries.Filters(platforms=[ISSUER, "https://anderes.example.org"], modules=[ONE_PER_PAGE],
                           since=min(days[4:]), until=max(days[4:]))]
    out += [queries.Filters(platforms=[ISSUER], organisation=o) for o in orgs]
    out += [queries.Filters(platforms=[ISSUER], context_pk=c) for c in courses]
    out += [queries.Filters(platforms=[ISSUER], context_pk=courses[0], organisation=orgs[0] if orgs else "none",
                            since=min(days[:2]))]
    return out


def _comparable(data: queries.Dashboard):
    def counts(rows, key):
        return {r[key]: tuple(r[f] for f in queries.FACTS) for r in rows if any(r[f] for f in queries.FACTS)}

    return (counts(data.modules, "id"), counts(data.organisations, "id"), counts(data.bundeslaender, "name"),
            counts(data.months, "month"), tuple(data.total[f] for f in queries.FACTS))


def assert_equal_to_rows(db, rng):
    for filters in _filters(db, rng):
        rolled, truth = queries.dashboard(db, filters), queries.dashboard_from_rows(db, filters)
        assert _comparable(rolled) == _comparable(truth), filters
        for mine, theirs in [(rolled.total, truth.total)] + list(zip(
                sorted(rolled.modules, key=lambda r: r["id"]), sorted(truth.modules, key=lambda r: r["id"]))):
            for key, rel in (("average_score", 1e-9), ("median_days", 0.25)):
                if theirs.get(key) is None:
                    assert mine.get(key) is None, (filters, key)
                else:
                    assert mine[key] == pytest.approx(theirs[key], rel=rel), (filters, key)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_the_rows_after_random_event_sequences(app, seed):  # noqa: F811
    rng = random.Random(seed)
    db = app.extensions["vamos"].db
    tool = app.extensions["vamos"]
    links = _links(db)
    with db.session() as s:
        orgs = [Organisation(issuer=ISSUER, name=f"Verein {i}", type="e.V.", bundesland=b)
                for i, b in enumerate(("Berlin", "Bayern", "Berlin"))]
        s.add_all(orgs)
        s.flush()
        org_ids = [o.id for o in orgs]
    people = [progress.Learner(ISSUER, f"person-{i}") for i in range(3)]
    completions = 0
    modules = [tool.catalog.get(ALL_ON_ONE), tool.catalog.get(ONE_PER_PAGE)]
    settings = certificates.issuer_settings("https://tool.example.org")
    Clock.now = datetime(2026, 1, 30, 22, 30)
    with mock.patch("lti_tool.models.datetime", Clock.Fake):
        for step in range(70):
            Clock.now += timedelta(hours=rng.choice([0, 1, 5, 23, 70, 200]))
            person, module = rng.choice(people), rng.choice(modules)
            link = rng.choice(links)
            action = rng.random()
            if action < 0.35:
                lesson = rng.choice(module.lessons).id
                kind = rng.choice([ProgressEvent.LESSON_VIEWED, ProgressEvent.LESSON_COMPLETED])
                progress.record(db, person, module, kind, person.key(kind, module.id, lesson), lesson_id=lesson,
                                resource_link_pk=link)
            elif action < 0.45:  # a diligent learner: every lesson done, then the quiz passed
                for lesson in module.lessons:
                    progress.record(db, person, module, ProgressEvent.LESSON_COMPLETED,
                                    person.key("done", module.id, lesson.id), lesson_id=lesson.id,
                                    resource_link_pk=link)
                progress.record(db, person, module, ProgressEvent.QUIZ_ATTEMPT, person.key("quiz", str(step)),
                                data={"percent": 90.0}, resource_link_pk=link)
            elif action < 0.62:
                percent = rng.choice([20.0, 55.0, 70.0, 90.0, 100.0])
                progress.record(db, person, module, ProgressEvent.QUIZ_ATTEMPT, person.key("quiz", str(step)),
                                data={"percent": percent}, resource_link_pk=link)
            elif action < 0.72:
                with db.session() as s:
                    learner = s.scalars(select(Learner).where(Learner.sub == person.sub)).first()
                    if learner is not None:
                        organisations.choose(s, learner.id, rng.choice(org_ids + [None]))
            elif action < 0.8:
                row = progress.get_progress(db, person, module.id)
                if row is not None and row.completed:
                    certificates.ensure_issued(db, person, module, row, "Lea Lernende",
                                              lambda c: "https://tool.example.org/verify/" + c, settings)
            elif action < 0.85:
                with db.session() as s:
                    valid = s.scalars(select(certificates.Certificate.id).where(
                        certificates.Certificate.status == "valid")).all()
                if valid:
                    certificates.revoke(db, rng.choice(valid), "Test")
            elif action < 0.88:
                with db.session() as s:  # a learner launches as a trainer: no longer counted
                    for learner in s.scalars(select(Learner).where(Learner.sub == person.sub)):
                        learner.role = rng.choice(["trainer", "learner"])
            elif action < 0.91:
                progress.recompute(db, person, module)
            elif action < 0.94 and org_ids:
                with db.session() as s:
                    organisations.delete(s, org_ids.pop(rng.randrange(len(org_ids))))
            elif action < 0.97:
                with db.session() as s:
                    learner = s.scalars(select(Learner).where(Learner.sub == person.sub)).first()
                    if learner is not None:
                        dsgvo.erase(s, learner)
            else:
                with db.session() as s:
                    learner = s.scalars(select(Learner).where(Learner.sub == person.sub)).first()
                    if learner is not None:
                        dsgvo.pseudonymise(s, learner)
            with db.session() as s:
                completions += bool(s.scalar(select(ModuleProgress.id).where(ModuleProgress.completed).limit(1)))
            if step % 10 == 9:
                assert_equal_to_rows(db, rng)
    assert completions, "the sequence should complete a module at least once"
    assert_equal_to_rows(db, rng)
    assert_counters_are_the_rebuilds(db)


def counters(conn) -> dict:
    """Every counter that is not 0, keyed issuer, context_pk, grain, period, module_id, org_key, fact, bucket (the
    tables' column order)."""
    return {r[:8]: (r[8], round(r[9], 6)) for table in rollups.TABLES.values() for r in conn.exec_driver_sql(
        f"SELECT * FROM {table} WHERE n <> 0")}


def assert_counters_are_the_rebuilds(db) -> None:
    """The counters the write paths kept are exactly those the backfill computes from the rows, at every level."""
    with db.connection() as conn:
        before = counters(conn)
        rollups.rebuild(conn)
        assert counters(conn) == before and before


def test_periods_read_whole_months_and_partial_days():
    """Whole months from the month rows; a partial month from its own days, or — when fewer — as the whole month
    minus the days outside the period (sign -1)."""
    P = rollups._periods
    assert P(None, None) == [("m", "0000-00", "9999-99", 1)]
    assert P(date(2026, 4, 1), date(2026, 4, 30)) == [("m", "2026-04", "2026-04", 1)]
    assert P(date(2026, 3, 10), date(2026, 4, 15)) == [("d", "2026-03-10", "2026-04-15", 1)]
    # 10 March: 22 days inside, 9 outside → March minus 1–9 March; 15 June: 15 inside, 15 outside → the days.
    assert P(date(2026, 3, 10), date(2026, 6, 15)) == [
        ("m", "2026-04", "2026-05", 1), ("m", "2026-03", "2026-03", 1), ("d", "2026-03-01", "2026-03-09", -1),
        ("d", "2026-06-01", "2026-06-15", 1)]
    assert P(date(2026, 3, 20), date(2026, 6, 10)) == [
        ("m", "2026-04", "2026-05", 1), ("d", "2026-03-20", "2026-03-31", 1), ("d", "2026-06-01", "2026-06-10", 1)]
    assert P(None, date(2026, 2, 27)) == [
        ("m", "0000-00", "2026-01", 1), ("m", "2026-02", "2026-02", 1), ("d", "2026-02-28", "2026-02-28", -1)]
    assert P(date(2026, 12, 31), None) == [("m", "2027-01", "9999-99", 1), ("d", "2026-12-31", "2026-12-31", 1)]


def test_median_of_duration_classes():
    day = 86400.0
    histogram = {rollups.bucket(2 * day): [6, 12 * day], rollups.bucket(16 * day): [3, 48 * day]}
    assert rollups.median_seconds(histogram) == 2 * day
    assert rollups.median_seconds({}) is None
    assert rollups.bucket(59) == 0 and rollups.bucket(3600) == 1 and rollups.bucket(3600 * 1.25 ** 3 * 1.01) == 4


def test_rebuild_rollups_command(tmp_path, backend):
    """Rows written by SQL (an import) are not counted until ``vamos lti rebuild-rollups``; ``--check`` says so."""
    from lti_tool.app import create_app

    from .conftest import make_config, run_cli
    from .test_coordinator import seed

    app = create_app(make_config(tmp_path, backend))
    try:
        seed(app)
        db = app.extensions["vamos"].db
        with db.connection() as conn:
            conn.exec_driver_sql("DELETE FROM progress_rollups")
            conn.exec_driver_sql("DELETE FROM progress_rollups_daily")

        class Env:
            config = app.extensions["vamos"].config

        assert run_cli(Env, "lti", "rebuild-rollups", "--check") == 1
        assert run_cli(Env, "lti", "rebuild-rollups") == 0
        assert run_cli(Env, "lti", "rebuild-rollups", "--check") == 0
        assert queries.dashboard(db, queries.Filters(platforms=["https://lms-a.example.org"])).total["completed"] == 9
    finally:
        app.extensions["vamos"].db.dispose()


def test_migration_0012_adds_the_levels_to_existing_counters(tmp_path, backend):
    """An installation at 0011 has counters per module and organisation only; 0012 adds the every-organisation and
    all-modules levels as their sums: afterwards the tables hold exactly what the rows give (``rebuild``), and the
    downgrade returns to the 0011 counters."""
    from alembic import command

    from lti_tool.app import create_app
    from lti_tool.db import alembic_config

    from .conftest import make_config
    from .test_coordinator import seed

    app = create_app(make_config(tmp_path, backend))
    try:
        seed(app)
        db = app.extensions["vamos"].db
        with db.connection() as conn:
            head = counters(conn)
        assert any(key[4] == rollups.ALL_MODULES for key in head)
        assert any(key[5] == rollups.EVERY_ORGANISATION and key[6] == "completed" for key in head)
        with db.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0011")
        with db.connection() as conn:
            old = counters(conn)
        assert old and not any(key[4] == rollups.ALL_MODULES for key in old)
        assert all(key[6] == rollups.DURATION for key in old if key[5] == rollups.EVERY_ORGANISATION)
        db.migrate()
        with db.connection() as conn:
            assert counters(conn) == head
    finally:
        app.extensions["vamos"].db.dispose()
