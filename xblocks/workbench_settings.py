"""Django settings for the XBlock SDK workbench with the VAMOs blocks (``make workbench``).

The SDK's own settings with three changes: state (SQLite database, log) lives in ``VAMOS_WORKBENCH_DIR``
(default ``instance/workbench``), only the VAMOs scenarios are listed, and the interface language is
``VAMOS_WORKBENCH_LANGUAGE`` (default ``de``) through our i18n service, which reads the shipped catalogs.
"""
# pylint: disable=wildcard-import,unused-wildcard-import
import os
from pathlib import Path

from workbench.settings import *  # noqa: F401,F403
from workbench.settings import LOGGING, WORKBENCH

from vamos_core.languages import ENDONYMS, INTERFACE_LANGUAGES

STATE_DIR = Path(os.environ.get("VAMOS_WORKBENCH_DIR", "instance/workbench")).resolve()
STATE_DIR.mkdir(parents=True, exist_ok=True)

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(STATE_DIR / "workbench.db")}}
LOGGING["handlers"]["logfile"]["filename"] = str(STATE_DIR / "workbench.log")
DJFS = {"type": "osfs", "directory_root": str(STATE_DIR / "djpyfs"), "url_root": "/static/djpyfs"}

LANGUAGE_CODE = os.environ.get("VAMOS_WORKBENCH_LANGUAGE", "de")
LANGUAGES = [(code, ENDONYMS[code]) for code in INTERFACE_LANGUAGES]

# Hide the SDK's sample blocks from the scenario list (they stay installed: vertical_demo holds a whole module).
EXCLUDED_XBLOCKS = {
    "allscopes_demo", "attempts_scoreboard_demo", "debugchild", "equality_demo", "filethumbs", "helloworld_demo",
    "html_demo", "problem_demo", "sequence_demo", "sidebar_demo", "slider_demo", "textinput_demo", "thumbs",
    "vertical_demo", "view_counter_demo",
}

WORKBENCH = dict(WORKBENCH)
WORKBENCH["services"] = dict(WORKBENCH.get("services", {}), i18n="vamos_xblocks.i18n.WorkbenchI18nService")


def _workbench_signing_key() -> str:
    """A throw-away RSA key for certificates issued in the workbench (never use it anywhere else)."""
    path = STATE_DIR / "workbench-signing-key.pem"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        path.chmod(0o600)
    return str(path)


# Certificate settings of the module block (see vamos_xblocks.certificate).
XBLOCK_SETTINGS = {"vamos": {
    "signing_key_file": os.environ.get("VAMOS_CERT_SIGNING_KEY_FILE") or _workbench_signing_key(),
    "signing_key_id": os.environ.get("VAMOS_CERT_SIGNING_KEY_ID") or "workbench",
    "verify_base_url": os.environ.get("VAMOS_CERT_VERIFY_URL") or "http://127.0.0.1:8000/verify/",
}}
