"""Configuration from the environment (documented in docs/lti.md).

Every setting has a safe development default, so ``vamos serve`` and ``vamos demo`` run on a
fresh machine; production sets at least VAMOS_SECRET_KEY, VAMOS_DATABASE_URL and VAMOS_REDIS_URL.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_instance_dir() -> Path:
    return Path(os.environ.get("VAMOS_INSTANCE_DIR") or Path.cwd() / "instance")


def _persistent_dev_secret(instance_dir: Path) -> str:
    """A development secret kept in the instance folder, so several local processes share it."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        value = secrets.token_urlsafe(48)
        fh.write(value)
    return value


@dataclass
class ToolConfig:
    """Settings of one tool process. Field names map to env vars ``VAMOS_<NAME>`` (upper case)."""

    instance_dir: Path = field(default_factory=default_instance_dir)
    database_url: str = ""  # default: SQLite file in instance_dir
    redis_url: str = ""  # empty: the launch cache lives in the SQL database
    redis_prefix: str = "vamos:lti:"
    secret_key: str = ""  # empty: a development secret kept in instance_dir
    base_url: str = ""  # public URL of the tool, used by the CLI to print tool URLs
    proxy_fix: int = 0  # number of trusted reverse proxies setting X-Forwarded-*
    hsts_max_age: int = 31_536_000  # Strict-Transport-Security on HTTPS responses (one year); 0: off
    auto_migrate: bool | None = None  # default: on for SQLite, off otherwise
    jwt_leeway: int = 60  # seconds of clock skew tolerated for exp/iat
    max_token_age: int = 600  # an id_token issued longer ago than this is refused
    login_state_ttl: int = 600  # seconds between OIDC login and launch
    session_ttl: int = 8 * 3600  # lifetime of a learner's launch session
    jwks_refetch_interval: int = 60  # at most one JWKS refetch per (platform, kid) and cause in this window
    jwks_refetch_spacing: int = 5  # and at most one refetch per platform every so many seconds
    jwks_cache_ttl: int = 3600
    key_overlap_hours: int = 72  # old tool keys stay published this long after rotation
    verify_rate_limit: int = 30  # lookups of /verify/<code> per client address and window
    verify_rate_window: int = 600  # seconds
    score_worker: str = "inline"  # inline: a thread in the web process sends scores; off: `vamos lti sync-scores`
    score_retry_base: float = 10.0  # seconds before the first retry of a failed score post; doubles each time
    score_retry_max: float = 3600.0  # longest wait between retries (scores are retried until they arrive)
    score_http_timeout: float = 10.0  # seconds per request to a platform's token, line item or score endpoint
    score_poll_interval: float = 5.0  # seconds the worker sleeps when the outbox has nothing due
    auto_approve_registrations: bool = False  # dynamic registrations are active at once (else pending)
    # Coordination (docs/lti.md, "Koordination"): the launch claim presetting a learner's organisation
    # ("claim" or "claim#key"; empty: off), names in learner-level exports (same switch as `vamos report`),
    # and the retention period after which learner-level data is pseudonymised (`vamos lti retention`).
    organisation_claim: str = "https://purl.imsglobal.org/spec/lti/claim/custom#organisation"
    report_allow_names: bool = False
    retention_days: int = 730
    # xAPI to a learning record store (docs/xapi.md): off while xapi_lrs_url is empty. The actor is an account on
    # xapi_home_page (default base_url) named by a keyed hash; the key defaults to one derived from secret_key.
    xapi_lrs_url: str = ""  # the LRS's xAPI endpoint, e.g. https://lrs.example.org/xAPI/
    xapi_lrs_username: str = ""
    xapi_lrs_password: str = field(default="", repr=False)
    xapi_lrs_password_file: str = ""  # read at start (instead of VAMOS_XAPI_LRS_PASSWORD in the environment)
    xapi_home_page: str = ""
    xapi_activity_base: str = ""  # empty: vamos_core.xapi.DEFAULT_ACTIVITY_BASE (the same in every channel)
    xapi_pseudonym_key: str = field(default="", repr=False)
    xapi_worker: str = "inline"  # inline: a thread in the web process sends statements; off: `vamos lti sync-xapi`
    xapi_retry_base: float = 10.0
    xapi_retry_max: float = 3600.0
    xapi_http_timeout: float = 10.0
    xapi_poll_interval: float = 5.0
    # Prepare at process start what a process's first requests would otherwise pay for: the certificate fonts
    # (vamos_core.certificates.warm_up: the learner whose quiz completes a module first in that process would wait
    # a second) and the compiled templates. Off in the test suite (hundreds of short-lived apps).
    warm_up: bool = True
    content_dir: str = ""  # empty: vamos_core's default (VAMOS_CONTENT_DIR or packaged content)
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "ToolConfig":
        env = os.environ if environ is None else environ
        values: dict = {}
        for f in fields(cls):
            raw = env.get("VAMOS_" + f.name.upper())
            if raw is None or raw == "":
                continue
            if f.name == "instance_dir":
                values[f.name] = Path(raw)
            elif f.type in ("bool | None", "bool", bool):
                values[f.name] = _bool(raw, False)
            elif f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type in ("float", float):
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        values.update(overrides)
        config = cls(**values)
        config.finish()
        return config

    def finish(self) -> None:
        self.instance_dir = Path(self.instance_dir)
        if not self.database_url:
            self.instance_dir.mkdir(parents=True, exist_ok=True)
            self.database_url = f"sqlite:///{(self.instance_dir / 'vamos_lti.sqlite3').resolve()}"
        if not self.secret_key:
            self.secret_key = _persistent_dev_secret(self.instance_dir)
        if self.auto_migrate is None:
            self.auto_migrate = self.is_sqlite
        self.base_url = self.base_url.rstrip("/")
        if self.score_worker not in ("inline", "off"):
            raise ValueError("VAMOS_SCORE_WORKER must be inline or off")
        if self.xapi_worker not in ("inline", "off"):
            raise ValueError("VAMOS_XAPI_WORKER must be inline or off")
        if self.xapi_lrs_password_file and not self.xapi_lrs_password:
            self.xapi_lrs_password = Path(self.xapi_lrs_password_file).read_text(encoding="utf-8").strip()
        if self.xapi_lrs_url and not (self.xapi_home_page or self.base_url):
            raise ValueError("VAMOS_XAPI_LRS_URL needs VAMOS_BASE_URL (or VAMOS_XAPI_HOME_PAGE): the learners' "
                             "pseudonymous xAPI accounts live on the tool's home page")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
