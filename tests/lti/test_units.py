"""Small units: role mapping, the shared cache's single-use semantics, schema = migrations."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lti_tool.cache import make_cache
from lti_tool.db import Database
from lti_tool.models import Base
from lti_tool.roles import COORDINATOR, LEARNER, TRAINER, map_roles

from .conftest import make_config

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    "roles, expected",
    [
        ([LIS + "membership#Learner"], LEARNER),
        ([], LEARNER),
        (None, LEARNER),
        (["http://example.org/unknown#Role"], LEARNER),
        ([LIS + "membership#Instructor"], TRAINER),
        ([LIS + "membership#ContentDeveloper"], TRAINER),
        ([LIS + "membership#TeachingAssistant"], TRAINER),
        ([LIS + "membership/Instructor#TeachingAssistant"], TRAINER),  # LIS v2 sub-role
        ([LIS + "institution/person#Administrator", LIS + "membership#Learner"], COORDINATOR),
        ([LIS + "system/person#Administrator"], COORDINATOR),
        # Short context role names (LTI 1.3 core §A.2.2) as Moodle's NRPS sends them (mod/lti/locallib.php
        # lti_get_ims_role with $islti2 = true, used by mod/lti/service/memberships users_to_json).
        (["Learner"], LEARNER),
        (["Instructor"], TRAINER),
        (["ContentDeveloper"], TRAINER),
        (["TeachingAssistant"], TRAINER),
        (["Administrator"], COORDINATOR),
        ([LIS + "membership#Administrator"], COORDINATOR),
        (["Instructor", LIS + "person#Administrator"], COORDINATOR),  # Moodle's site administrator
        (["urn:lti:role:ims/lis/Instructor"], TRAINER),  # LTI 1.1 URN
        (["urn:lti:sysrole:ims/lis/Administrator"], COORDINATOR),
        (["Mentor"], LEARNER),
        (["http://example.org/x#Instructor"], LEARNER),  # someone else's vocabulary is not ours
    ],
)
def test_role_mapping(roles, expected):
    assert map_roles(roles) == expected


@pytest.fixture
def cache(tmp_path, backend):
    config = make_config(tmp_path, backend)
    db = Database(config.database_url)
    if config.auto_migrate:
        db.migrate()
    yield make_cache(config, db)
    db.dispose()


def test_cache_add_is_set_if_absent_and_pop_is_single_use(cache):
    assert cache.get("k") is None
    assert cache.add("k", {"a": 1}, 60) is True
    assert cache.add("k", {"a": 2}, 60) is False
    assert cache.get("k") == {"a": 1}
    assert cache.pop("k") == {"a": 1}
    assert cache.pop("k") is None
    cache.set("s", [1, 2], 60)
    cache.set("s", [3], 60)
    assert cache.get("s") == [3]


def test_cache_expired_entries_are_gone(cache):
    cache.set("old", 1, 1)
    import time

    time.sleep(1.1)
    assert cache.get("old") is None
    assert cache.pop("old") is None
    assert cache.add("old", 2, 60) is True


def test_concurrent_pop_has_exactly_one_winner(cache):
    for round_ in range(5):
        cache.set(f"state-{round_}", "value", 60)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(cache.pop, [f"state-{round_}"] * 8))
        assert results.count("value") == 1


def test_migrations_match_the_models(tmp_path, backend):
    config = make_config(tmp_path, backend)
    db = Database(config.database_url)
    db.migrate()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []
