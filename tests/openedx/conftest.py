"""Fixtures for the Open edX adapter: the core's test module as OLX (the content travels in the XML, as in an
imported course), and XBlock's test runtime with the services Open edX gives the blocks (i18n, user, settings)
and a record of every published event."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from webob import Request
from xblock.runtime import DictKeyValueStore, KvsFieldData, MemoryIdManager
from xblock.reference.user_service import UserService, XBlockUser
from xblock.test.tools import TestRuntime

from tests.browser_support import browser  # noqa: F401 - shared Playwright fixture
from tests.core.conftest import ModuleFolder

MODULE_ID = "testmodul"
REPO_CONTENT = Path(__file__).resolve().parents[2] / "course_content"


def _configure_django() -> None:
    """xblock.utils renders Django templates; a bare configuration is enough outside a Django project."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=[],
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": False}],
            USE_I18N=True,
            LANGUAGE_CODE="en",
        )
        django.setup()


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory) -> Path:
    """A content root holding the core's small test module (2 lessons, 2 questions, pass at 70 %)."""
    folder = ModuleFolder(tmp_path_factory.mktemp("openedx-content"))
    return folder.root.parent


@pytest.fixture(autouse=True)
def vamos_content(content_dir, monkeypatch):
    from vamos_xblocks import content

    monkeypatch.setenv("VAMOS_CONTENT_DIR", str(content_dir))
    monkeypatch.delenv("VAMOS_WORKBENCH_MODULE", raising=False)
    _configure_django()
    content.clear_cache()
    yield content_dir
    content.clear_cache()


class TranslationService:
    """Like Open edX's XBlockI18nService: the block package's own catalog in one language."""

    def __init__(self, language: str):
        from vamos_xblocks.i18n import translation

        self.translator = translation(language)

    def gettext(self, text):
        return self.translator.gettext(text)

    ugettext = gettext

    def ngettext(self, singular, plural, number):
        return self.translator.ngettext(singular, plural, number)


class SettingsService:
    def __init__(self, buckets: dict | None = None):
        self.buckets = buckets or {}

    def get_settings_bucket(self, block, default=None):
        key = getattr(block, "block_settings_key", type(block).__name__)
        return self.buckets.get(key, default if default is not None else {})


class CurrentUserService(UserService):
    def get_current_user(self):
        return self._user


class BlockRuntime(TestRuntime):
    """XBlock's TestRuntime with in-memory field data, our services and a list of published events."""

    def __init__(self, user_id: str = "alice", language: str = "en", full_name: str = "Alice Beispiel",
                 kvs: DictKeyValueStore | None = None, settings: dict | None = None, id_manager=None):
        self.kvs = kvs if kvs is not None else DictKeyValueStore()
        self.id_manager = id_manager or MemoryIdManager()
        user = XBlockUser(is_current_user=True, full_name=full_name, emails=[f"{user_id}@example.org"])
        user.opt_attrs["edx-platform.anonymous_user_id"] = f"anon-{user_id}"
        super().__init__(services={
            "field-data": KvsFieldData(self.kvs),
            "i18n": TranslationService(language),
            "user": CurrentUserService(user=user),
            "settings": SettingsService(settings),
        }, id_reader=self.id_manager, id_generator=self.id_manager)
        self._learner = user_id
        self.events: list[tuple[str, str, dict]] = []

    @property
    def user_id(self):  # the learner this runtime serves (XBlock deprecates the base property, not the idea)
        return self._learner

    def handler_url(self, block, handler_name, suffix="", query="", thirdparty=False):
        url = f"/handler/{block.scope_ids.usage_id}/{handler_name}/{suffix}?student={block.scope_ids.user_id}"
        return url + (f"&{query}" if query else "")

    def local_resource_url(self, block, uri):
        return f"/resource/{block.scope_ids.block_type}/{uri}"

    def resource_url(self, resource):
        return f"/static/{resource}"

    def publish(self, block, event_type, event_data):
        self.events.append((block.scope_ids.block_type, event_type, dict(event_data)))

    def published(self, event_type: str) -> list[dict]:
        return [data for _, kind, data in self.events if kind == event_type]

    # --- helpers for tests -------------------------------------------------------------------------------------

    def block(self, xml: str):
        return self.get_block(self.parse_xml_string(xml))

    def for_user(self, user_id: str, **kwargs) -> "BlockRuntime":
        """A runtime for another learner on the same storage (as the LMS serves two learners)."""
        return BlockRuntime(user_id=user_id, kvs=self.kvs, id_manager=self.id_manager, **kwargs)


def call(block, handler: str, body=None, method: str = "POST", suffix: str = "", raw: bytes | None = None):
    """Call a handler like the platform does; returns (status, parsed JSON or raw body)."""
    request = Request.blank("/", method=method)
    if raw is not None:
        request.body = raw
    elif body is not None:
        request.body = json.dumps(body).encode("utf-8")
    response = block.runtime.handle(block, handler, request, suffix)
    payload = response.body
    if response.content_type == "application/json":
        payload = json.loads(payload.decode("utf-8"))
    return response.status_code, payload


@pytest.fixture
def runtime() -> BlockRuntime:
    return BlockRuntime()


@pytest.fixture
def module(content_dir):
    from vamos_core.content import load_module

    return load_module(content_dir / MODULE_ID)


def xml_of(element) -> str:
    from xml.etree import ElementTree as ET

    return ET.tostring(element, encoding="unicode")


@pytest.fixture
def lesson_xml(module) -> str:
    from vamos_xblocks.workbench import lesson_element

    return xml_of(lesson_element(module, module.lessons[0]))


@pytest.fixture
def quiz_xml(module) -> str:
    from vamos_xblocks.workbench import quiz_element

    return xml_of(quiz_element(module))


@pytest.fixture
def module_xml(module) -> str:
    """The whole module as build-olx writes it: the module block with its lessons and the quiz as children."""
    from vamos_xblocks.workbench import module_element

    return xml_of(module_element(module))


class Course:
    """One course run holding the module: a parsed module block, shared by every learner's runtime."""

    def __init__(self, runtime: BlockRuntime, xml: str):
        self.runtime = runtime
        self.usage = runtime.parse_xml_string(xml)

    def module(self, runtime: BlockRuntime | None = None):
        # every request gets fresh block instances, as in the LMS
        return (runtime or self.runtime).get_block(self.usage)

    def lesson(self, lesson_id: str, runtime: BlockRuntime | None = None):
        return next(c for c in self.module(runtime).lesson_children() if c.lesson_id == lesson_id)

    def quiz(self, runtime: BlockRuntime | None = None):
        return self.module(runtime).quiz_child()

    def finish(self, answers: dict, runtime: BlockRuntime | None = None) -> None:
        for lesson_id in ("erste-lektion", "zweite-lektion"):
            assert call(self.lesson(lesson_id, runtime), "mark_done", {})[0] == 200
        assert call(self.quiz(runtime), "submit", {"answers": answers})[0] == 200


@pytest.fixture
def course(runtime, module_xml) -> Course:
    return Course(runtime, module_xml)

