"""Shared fixtures: one RSA tool key per session, a module from the core fixture, certificate data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.core.conftest import ModuleFolder
from vamos_core.certificates import CertificateData, IssuerSettings, ModuleInfo, SigningKey, new_code
from vamos_core.loader import load_module

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "certificates"
BERLIN_WINTER = timezone(timedelta(hours=1))

# Long objectives like the shipped modules have, so the layout is tested with real lengths.
OBJECTIVES = (
    "Sie können die vier Sphären eines gemeinnützigen Vereins benennen und zehn typische Einnahmen "
    "Ihres Vereins richtig zuordnen.",
    "Sie können prüfen, ob Ihr Verein Zuwendungsbestätigungen ausstellen darf, und eine Bestätigung "
    "nach amtlichem Muster ausfüllen.",
    "Sie können für ein Vorhaben einen Finanzierungsmix aus mindestens drei Quellen entwerfen.",
    "Sie können Anteil-, Fehlbedarfs-, Festbetrags- und Vollfinanzierung unterscheiden.",
)


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningKey(private_pem=pem, kid="tool-key-2026-1")


@pytest.fixture(scope="session")
def jwks(signing_key) -> dict:
    """What the tool publishes at /jwks."""
    return {"keys": [signing_key.public_jwk()]}


@pytest.fixture(scope="session")
def module_info(tmp_path_factory) -> ModuleInfo:
    folder = ModuleFolder(tmp_path_factory.mktemp("content"))
    module = load_module(folder.root)
    info = ModuleInfo.from_module(module)
    assert info.hours == 1.5 and info.title == "Testmodul"
    return ModuleInfo(**{**info.__dict__, "objectives": OBJECTIVES, "title": "Finanzierung im Verein"})


@pytest.fixture(scope="session")
def issuer() -> IssuerSettings:
    return IssuerSettings(
        issuer_id="https://lernen.vamos.example/",
        issuer_url="https://www.vamos.example/",
        signatory_name="Dr. Maria Beispiel",
        signatory_role="Geschäftsführung",
    )


@pytest.fixture(scope="session")
def make_data(module_info, issuer):
    def make(name: str = "Jürgen Weiß", **overrides) -> CertificateData:
        code = overrides.pop("verification_code", None) or new_code()
        values = dict(
            learner_name=name,
            learner_pseudonym="urn:uuid:6f1c2a4e-8d0b-4c55-9e8a-2b1f0d3c4a5e",
            module=module_info,
            completed_at=datetime(2026, 11, 3, 16, 30, tzinfo=BERLIN_WINTER),
            verification_code=code,
            verify_url=f"https://lernen.vamos.example/verify/{code}",
            issuer=issuer,
            score=92.5,
        )
        values.update(overrides)
        return CertificateData(**values)

    return make
