"""DEVELOPMENT AID ONLY — a tiny local LMS ("Demo-Lernplattform") for trying the tool.

Built on ``lti1p3platform``, a real LTI 1.3 platform implementation: it signs id_tokens with its
own RSA key, publishes its JWKS, runs the OIDC flow and answers LTI Platform Storage messages.
``vamos demo`` starts it next to the tool; the end-to-end tests launch through it. It has no
authentication of its own and must never be deployed.
"""
from .platform import DemoPlatform, DemoUser, DEMO_USERS, create_demo_platform_app  # noqa: F401
