"""Open edX REST client and report rows for coordinators of an Open edX instance.

The client talks to the LMS with an OAuth2 application of a service user (client credentials, JWT) and reads:

| what | endpoint | paging |
|---|---|---|
| token | ``POST /oauth2/access_token`` (grant_type=client_credentials, token_type=jwt) | – |
| courses (only without ``--course``) | ``GET /api/courses/v1/courses/?org=…`` | ``{results, pagination: {next}}`` |
| enrollments | ``GET /api/enrollment/v1/enrollments?course_id=…`` | ``{next, previous, results}`` (cursor) |
| grades | ``GET /api/grades/v1/courses/{course_id}/`` | ``{next, previous, results}`` (cursor) |
| lesson completion | ``GET /api/courses/v1/blocks/?course_id=…&username=…&requested_fields=completion`` | none |
| certificate | ``GET /api/certificates/v0/certificates/{username}/courses/{course_id}/`` (404 = none) | none |

Sources (edx-platform): ``lms/djangoapps/grades/rest_api/v1/{views,utils}.py``,
``openedx/core/djangoapps/enrollments/{views,serializers,paginators}.py``,
``lms/djangoapps/course_api/blocks/views.py`` and ``transformers/block_completion.py``,
``lms/djangoapps/certificates/apis/v0/{urls,views}.py``, ``docs/references/auth_code_samples.rst``.
edx-completion's own API (``/api/completion/v1/``) only offers a batch *write* and a per-subsection read for the
requesting user, so lesson completion is read through the Course Blocks API, which reports each block's
``completion`` for any learner to staff.

Safety rules: the token is only ever sent to the origin of the base URL (``next`` links and redirects elsewhere are
refused); the client secret and the token never appear in exceptions or log messages; log messages name the
endpoint, never a learner; every request has a timeout; transient failures are retried a bounded number of times.
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import quote, urljoin, urlsplit

import requests

from .olx import DEFAULT_ORG

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
LESSON_BLOCK_TYPE = "vamos_lesson"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OpenEdxError(RuntimeError):
    """A request to Open edX failed for good; the message is safe to show (no secret, no token, no learner)."""


class _JwtAuth(requests.auth.AuthBase):
    """``Authorization: JWT <token>``. Passing auth explicitly also keeps requests from applying ~/.netrc."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"JWT {self._token}"
        return request

    def __repr__(self) -> str:
        return "_JwtAuth(***)"


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme, 0)


class OpenEdxClient:
    """A small, careful client for the LMS REST APIs used by the reports.

    ``backoff`` is the first retry delay in seconds (doubled per attempt, with jitter, capped at ``max_backoff``);
    ``sleep`` and ``clock`` can be replaced in tests.
    """

    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 timeout: float | tuple[float, float] = (5.0, 60.0), max_attempts: int = 5, backoff: float = 1.0,
                 max_backoff: float = 60.0, max_retry_after: float = 300.0, page_size: int = 100,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the Open edX URL must start with https:// (or http:// for a local test instance)")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("the Open edX URL must not contain credentials, a query or a fragment")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._origin = _origin(self.base_url)
        self._client_id = client_id
        self._client_secret = client_secret
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.page_size = page_size
        self.session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._token: str | None = None
        self._token_valid_until = 0.0

    def __repr__(self) -> str:
        return f"OpenEdxClient({self.base_url!r})"

    # -- plumbing ---------------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def _check_origin(self, url: str) -> None:
        if _origin(url) != self._origin:
            scheme, host, port = _origin(url)
            raise OpenEdxError(f"refusing to send the access token to another origin ({scheme}://{host}:{port}); "
                               f"expected {self.base_url}")

    def _delay(self, attempt: int, response: requests.Response | None = None) -> float:
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        delay = base / 2 + random.uniform(0, base / 2)  # "equal jitter": never zero, never in lockstep
        retry_after = _retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay

    def _request(self, method: str, url: str, what: str, *, params: Mapping[str, Any] | None = None,
                 data: Mapping[str, str] | None = None, authenticated: bool = True) -> requests.Response:
        self._check_origin(url)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            kwargs: dict[str, Any] = {"params": params, "data": data, "timeout": self.timeout,
                                      "allow_redirects": False, "headers": {"Accept": "application/json"}}
            if authenticated:
                kwargs["auth"] = _JwtAuth(self._access_token())
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                kind = "timeout" if isinstance(exc, requests.Timeout) else "connection error"
                if attempt >= self.max_attempts:
                    raise OpenEdxError(f"{what}: {kind}, gave up after {attempt} attempts "
                                       f"(is {self.base_url} reachable?)") from None
                delay = self._delay(attempt)
                log.warning("%s: %s, retry %d/%d in %.1f s", what, kind, attempt, self.max_attempts - 1, delay)
                self._sleep(delay)
                continue
            status = response.status_code
            if status == 401 and authenticated and not refreshed:
                refreshed = True  # token revoked or expired early: fetch a new one, once
                self._token = None
                attempt -= 1
                log.info("%s: token rejected (HTTP 401), fetching a new one", what)
                continue
            if status in RETRY_STATUSES:
                if attempt >= self.max_attempts:
                    raise OpenEdxError(f"{what}: HTTP {status}, gave up after {attempt} attempts")
                delay = self._delay(attempt, response)
                log.warning("%s: HTTP %d, retry %d/%d in %.1f s", what, status, attempt, self.max_attempts - 1, delay)
                self._sleep(delay)
                continue
            return response

    def _access_token(self) -> str:
        now = self._clock()
        if self._token and now < self._token_valid_until:
            return self._token
        response = self._request("POST", self.url("/oauth2/access_token"), "token request", authenticated=False, data={
            "grant_type": "client_credentials", "client_id": self._client_id,
            "client_secret": self._client_secret, "token_type": "jwt"})
        body = _json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            reason = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else ""
            detail = f": {reason[:80]}" if reason else ""
            raise OpenEdxError(f"token request refused (HTTP {response.status_code}{detail}); "
                               "check the client id and secret of the OAuth application")
        try:
            expires_in = float(body.get("expires_in", 300))
        except (TypeError, ValueError):
            expires_in = 300.0
        self._token = str(body["access_token"])
        self._token_valid_until = now + max(0.0, expires_in - min(60.0, expires_in / 10))
        return self._token

    def get_json(self, url: str, what: str, params: Mapping[str, Any] | None = None, *,
                 missing_ok: bool = False) -> Any:
        response = self._request("GET", url, what, params=params)
        status = response.status_code
        if status == 404 and missing_ok:
            return None
        if 300 <= status < 400:
            raise OpenEdxError(f"{what}: unexpected redirect (HTTP {status}); give the LMS base URL exactly as it is "
                               "served (scheme and host), redirects are not followed")
        if status == 401:
            raise OpenEdxError(f"{what}: not authorised (HTTP 401) even with a fresh token; is the OAuth application's "
                               "user active?")
        if status == 403:
            raise OpenEdxError(f"{what}: forbidden (HTTP 403); the OAuth application's user needs global staff access "
                               "(is_staff)")
        if status != 200:
            raise OpenEdxError(f"{what}: HTTP {status}{_developer_message(response)}")
        body = _json_or_none(response)
        if body is None:
            raise OpenEdxError(f"{what}: the answer is not JSON (is {self.base_url} the LMS?)")
        return body

    def paged(self, path: str, what: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Results of every page, following ``next`` (top level: cursor/page-number paging of DRF;
        or ``pagination.next``: edx-drf-extensions' namespaced paging) — only on the base URL's origin."""
        url: str | None = self.url(path)
        page_params = params
        seen: set[str] = set()
        while url:
            body = self.get_json(url, what, page_params)
            if isinstance(body, list):  # unpaged answer (older releases or a single-user filter)
                yield from body
                return
            results = body.get("results") if isinstance(body, dict) else None
            if not isinstance(results, list):
                raise OpenEdxError(f"{what}: unexpected answer (no 'results' list)")
            yield from results
            pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
            following = body.get("next") or pagination.get("next")
            if not following:
                return
            following = urljoin(url, following)
            self._check_origin(following)
            if following in seen:
                raise OpenEdxError(f"{what}: the 'next' links go round in a circle")
            seen.add(following)
            url, page_params = following, None  # the next link carries the query

    # -- endpoints ----------------------------------------------------------------------------------------------

    def courses(self, org: str) -> Iterator[str]:
        """Course ids of an organisation (Courses API); only used when no ``--course`` is given."""
        for course in self.paged("/api/courses/v1/courses/", "course list", {"org": org, "page_size": self.page_size}):
            course_id = course.get("id") or course.get("course_id")
            if isinstance(course_id, str):
                yield course_id

    def course_enrollments(self, course_id: str) -> Iterator[dict[str, Any]]:
        """``{created, mode, is_active, user, course_id}`` per enrollment (admin enrollments list)."""
        return self.paged("/api/enrollment/v1/enrollments", f"enrollments of {course_id}",
                          {"course_id": course_id, "page_size": self.page_size})

    def course_grades(self, course_id: str) -> Iterator[dict[str, Any]]:
        """``{username, email, course_id, passed, percent, letter_grade}`` per active enrollment."""
        return self.paged(f"/api/grades/v1/courses/{_course_path(course_id)}/", f"grades of {course_id}",
                          {"page_size": self.page_size})

    def certificate(self, username: str, course_id: str) -> dict[str, Any] | None:
        """The learner's certificate in the course, or None (HTTP 404)."""
        path = f"/api/certificates/v0/certificates/{quote(username, safe='')}/courses/{_course_path(course_id)}/"
        body = self.get_json(self.url(path), f"certificate lookup in {course_id}", missing_ok=True)
        return body if isinstance(body, dict) else None

    def lesson_progress(self, username: str, course_id: str,
                        block_type: str = LESSON_BLOCK_TYPE) -> tuple[int, int]:
        """(lessons done, lessons total) of a learner: blocks of ``block_type`` and their completion."""
        body = self.get_json(self.url("/api/courses/v1/blocks/"), f"lesson completion in {course_id}", {
            "course_id": course_id, "username": username, "depth": "all",
            "requested_fields": "completion", "block_types_filter": block_type})
        blocks = body.get("blocks", {}) if isinstance(body, dict) else body
        items = blocks.values() if isinstance(blocks, dict) else blocks
        lessons = [b for b in items if isinstance(b, dict) and b.get("type") == block_type]
        done = sum(1 for b in lessons if isinstance(b.get("completion"), (int, float)) and b["completion"] >= 1.0)
        return done, len(lessons)


def _course_path(course_id: str) -> str:
    return quote(course_id, safe=":+")


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _developer_message(response: requests.Response) -> str:
    body = _json_or_none(response)
    if isinstance(body, dict):
        for key in ("developer_message", "detail", "error_code"):
            if isinstance(body.get(key), str):
                return f" ({body[key][:120]})"
    return ""


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# -- report rows ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseProgress:
    """What a progress display needs: which course (1-based of total) and how many learners are done in it."""
    course_index: int
    course_total: int
    course_id: str
    learners: int


def module_from_course_key(course_id: str, org: str | None = None) -> str | None:
    """``course-v1:VAMOs+<module-id>+<run>`` → module id (the OLX export's ``course`` part), else None."""
    if not course_id.startswith("course-v1:"):
        return None
    parts = course_id[len("course-v1:"):].split("+")
    if len(parts) != 3 or not all(parts):
        return None
    if org is not None and parts[0].lower() != org.lower():
        return None
    return parts[1]


def parse_api_datetime(value: Any) -> datetime | None:
    """DRF / Open edX timestamps ("2023-08-17T14:10:48.476967Z", "2015-12-03T13:14:28+0000") as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def certificate_code(certificate: Mapping[str, Any]) -> str:
    """The certificate's verify_uuid: the last path segment of its ``download_url`` (``/certificates/<uuid>``)."""
    url = certificate.get("download_url")
    if not isinstance(url, str) or not url:
        return ""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def rows_from_openedx(client: OpenEdxClient, course_ids: Iterable[str] | None = None, *,
                      learner_label: Callable[[str], str],
                      organisations: Mapping[str, tuple[str, str]] | None = None,
                      modules: Iterable[str] | None = None, org: str = DEFAULT_ORG,
                      since: date | None = None, until: date | None = None, tz: tzinfo = timezone.utc,
                      lesson_block_type: str = LESSON_BLOCK_TYPE,
                      progress: Callable[[CourseProgress], None] | None = None) -> Iterator[dict[str, Any]]:
    """Completion report rows (keys of ``reports.COMPLETION_COLUMNS`` plus ``bundesland``, ``course_id``,
    ``certificate_at``) for the VAMOs courses of an Open edX instance, one per active enrollment.

    A learner is included when the enrollment (start) or the certificate (completion) falls into
    ``since``..``until`` (inclusive, dates in ``tz``). Memory: the grades of one course (username → percent) are
    held while its enrollments stream; rows themselves are yielded one by one.
    """
    wanted = set(modules or ())
    if course_ids is None:
        course_ids = client.courses(org)
        explicit = False
    else:
        explicit = True
    courses = []
    for course_id in course_ids:
        module = module_from_course_key(course_id, None if explicit else org)
        if module is None:
            if explicit:
                raise OpenEdxError(f"'{course_id}' is not a course-v1 key (course-v1:ORG+MODULE+RUN)")
            continue
        if not wanted or module in wanted:
            courses.append((course_id, module))
    organisations = organisations or {}
    for index, (course_id, module) in enumerate(courses, start=1):
        grades = {}
        for grade in client.course_grades(course_id):
            if isinstance(grade, dict) and isinstance(grade.get("username"), str):
                percent = grade.get("percent")
                grades[grade["username"]] = (float(percent) if isinstance(percent, (int, float)) else None,
                                             bool(grade.get("passed")))
        learners = 0
        if progress:
            progress(CourseProgress(index, len(courses), course_id, 0))
        for enrollment in client.course_enrollments(course_id):
            username = enrollment.get("user")
            if not isinstance(username, str) or not enrollment.get("is_active", True):
                continue  # unenrolled learners: Open edX hides their grades too
            if enrollment.get("course_id") not in (None, course_id):
                continue
            started = parse_api_datetime(enrollment.get("created"))
            started_local = started.astimezone(tz) if started else None
            if until and started_local and started_local.date() > until:
                continue
            certificate = client.certificate(username, course_id)
            certified_at = None
            code = ""
            if certificate and certificate.get("status") == "downloadable" and certificate.get("is_passing", True):
                created = parse_api_datetime(certificate.get("created_date"))
                certified_at = created.astimezone(tz).date() if created else None
                code = certificate_code(certificate)
            if not (_in_period(started_local.date() if started_local else None, since, until)
                    or _in_period(certified_at, since, until)):
                continue
            done, total = client.lesson_progress(username, course_id, lesson_block_type)
            percent, _passed = grades.get(username, (None, False))
            organisation, bundesland = organisations.get(username, ("", ""))
            learners += 1
            yield {
                "learner": learner_label(username),
                "organisation": organisation,
                "bundesland": bundesland,
                "module": module,
                "course_id": course_id,
                "started_at": started_local.replace(tzinfo=None) if started_local else None,
                "lessons_done": done,
                "lessons_total": total,
                "quiz_score": round(percent * 100, 1) if percent is not None else None,
                "completed_at": certified_at,
                "certificate_code": code or None,
                "certificate_at": certified_at if code else None,
            }
            if progress:
                progress(CourseProgress(index, len(courses), course_id, learners))


def _in_period(day: date | None, since: date | None, until: date | None) -> bool:
    if day is None:
        return False
    return (since is None or day >= since) and (until is None or day <= until)
