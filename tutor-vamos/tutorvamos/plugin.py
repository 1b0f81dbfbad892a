"""Tutor plugin ``vamos``: the VAMOs XBlocks in the Open edX images, with what certificates need.

Everything is rendered by ``tutor config save`` (no Docker needed for that):

- image: ``vamos-lms[openedx]`` (no LTI stack) and the fonts the certificate PDF needs;
- LMS settings: ``XBLOCK_SETTINGS["vamos"]`` (signing key file, key id, verification URL) and the issuer
  settings the core reads from ``VAMOS_CERT_*`` environment variables;
- the signing key: generated once into the Tutor configuration and written to
  ``env/apps/openedx/config/vamos-signing-key.pem``, which Tutor mounts read-only at ``/openedx/config`` in the
  LMS and CMS containers (docker compose) and ships in the ``openedx-config`` ConfigMap (Kubernetes).
"""
from __future__ import annotations

import os

from tutor import hooks

from . import __version__

KEY_PATH = "/openedx/config/vamos-signing-key.pem"

hooks.Filters.CONFIG_DEFAULTS.add_items([
    ("VAMOS_VERSION", __version__),
    # Any pip requirement: a version from your index, a wheel URL, or a VCS URL of your fork.
    ("VAMOS_PIP_REQUIREMENT", "vamos-lms[openedx]=={{ VAMOS_VERSION }}"),
    ("VAMOS_CERT_SIGNING_KEY_ID", "openedx-{{ VAMOS_VERSION }}"),
    # The public verification page (e.g. the LTI tool's /verify/); the certificate code is appended.
    ("VAMOS_CERT_VERIFY_URL", ""),
    ("VAMOS_CERT_ORG_NAME", "Verbandsakademie für Migrant*innenorganisationen (VAMOs)"),
    ("VAMOS_CERT_ISSUER_ID", ""),
    ("VAMOS_CERT_ISSUER_URL", ""),
    ("VAMOS_CERT_SIGNATORY_NAME", ""),
    ("VAMOS_CERT_SIGNATORY_ROLE", ""),
    ("VAMOS_CERT_FONT_PACKAGES", "fonts-dejavu-core fonts-noto-core"),
])
# Generated once by `tutor config save` and kept in config.yml: back it up, it signs every credential.
hooks.Filters.CONFIG_UNIQUE.add_items([
    ("VAMOS_CERT_SIGNING_KEY", "{{ 2048|rsa_private_key }}"),
])

hooks.Filters.ENV_TEMPLATE_ROOTS.add_item(os.path.join(os.path.dirname(__file__), "templates"))

hooks.Filters.ENV_PATCHES.add_items([
    # Fonts for certificate PDFs (Latin incl. Turkish/Polish diacritics, Cyrillic, Greek; Arabic script).
    ("openedx-dockerfile-minimal", """# VAMOs: fonts for certificate PDFs
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt,sharing=locked \\
    apt update && apt install -y --no-install-recommends {{ VAMOS_CERT_FONT_PACKAGES }}"""),
    # The blocks and the core only: no Flask, SQLAlchemy, gunicorn, psycopg or redis in the LMS/CMS image.
    ("openedx-dockerfile-post-python-requirements", """# VAMOs XBlocks
RUN --mount=type=cache,target=/openedx/.cache/pip,sharing=shared \\
    $PIP_COMMAND install '{{ VAMOS_PIP_REQUIREMENT }}'"""),
    ("openedx-lms-common-settings", f"""# VAMOs XBlocks: certificate settings (vamos_xblocks.certificate)
import os
XBLOCK_SETTINGS.setdefault("vamos", {{}}).update({{
    "signing_key_file": "{KEY_PATH}",  # values through tojson: valid Python string literals whatever they hold
    "signing_key_id": {{{{ VAMOS_CERT_SIGNING_KEY_ID|tojson }}}},
    "verify_base_url": {{{{ VAMOS_CERT_VERIFY_URL|tojson }}}},
}})
for _name, _value in {{
    "VAMOS_CERT_ORG_NAME": {{{{ VAMOS_CERT_ORG_NAME|tojson }}}},
    "VAMOS_CERT_ISSUER_ID": {{{{ VAMOS_CERT_ISSUER_ID|tojson }}}},
    "VAMOS_CERT_ISSUER_URL": {{{{ VAMOS_CERT_ISSUER_URL|tojson }}}},
    "VAMOS_CERT_SIGNATORY_NAME": {{{{ VAMOS_CERT_SIGNATORY_NAME|tojson }}}},
    "VAMOS_CERT_SIGNATORY_ROLE": {{{{ VAMOS_CERT_SIGNATORY_ROLE|tojson }}}},
}}.items():
    if _value:
        os.environ.setdefault(_name, _value)"""),
])
