"""Platform registrations and their deployments, kept in the database.

A registration is one (issuer, client_id) pair with the platform's endpoints. Deployments of a
known registration that the tool has not seen before are recorded as ``pending`` on their first
valid launch and refused until an administrator approves them (``vamos lti approve-deployment``).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Deployment, Registration, ToolKey, utcnow


def add_platform(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_ids: list[str] | tuple[str, ...] = (),
    auth_audience: str | None = None,
    name: str = "",
) -> Registration:
    """Create the registration, or update its endpoints; listed deployments become active."""
    reg = find_registration(session, issuer, client_id)
    if reg is None:
        reg = Registration(issuer=issuer, client_id=client_id)
        session.add(reg)
    reg.name = name or reg.name or issuer
    reg.auth_login_url = auth_login_url
    reg.auth_token_url = auth_token_url
    reg.key_set_url = key_set_url
    reg.auth_audience = auth_audience or None
    session.flush()
    for deployment_id in deployment_ids:
        approve_deployment(session, reg, deployment_id)
    return reg


def find_registration(session: Session, issuer: str, client_id: str | None = None) -> Registration | None:
    """By issuer and client_id; without client_id only if the issuer has exactly one registration."""
    query = select(Registration).where(Registration.issuer == issuer)
    if client_id:
        return session.scalars(query.where(Registration.client_id == client_id)).first()
    found = list(session.scalars(query.limit(2)))
    return found[0] if len(found) == 1 else None


def get_registration(session: Session, registration_id: str) -> Registration | None:
    return session.get(Registration, registration_id)


def list_registrations(session: Session) -> list[Registration]:
    return list(session.scalars(select(Registration).order_by(Registration.created_at)))


def find_deployment(session: Session, reg: Registration, deployment_id: str) -> Deployment | None:
    return session.scalars(
        select(Deployment).where(Deployment.registration_id == reg.id, Deployment.deployment_id == deployment_id)
    ).first()


def record_pending(session: Session, reg: Registration, deployment_id: str) -> Deployment:
    dep = find_deployment(session, reg, deployment_id)
    if dep is None:
        dep = Deployment(registration_id=reg.id, deployment_id=deployment_id, status=Deployment.PENDING)
        session.add(dep)
        session.flush()
    return dep


def approve_deployment(session: Session, reg: Registration, deployment_id: str) -> Deployment:
    dep = find_deployment(session, reg, deployment_id)
    if dep is None:
        dep = Deployment(registration_id=reg.id, deployment_id=deployment_id)
        session.add(dep)
    if dep.status != Deployment.ACTIVE or dep.approved_at is None:
        dep.status = Deployment.ACTIVE
        dep.approved_at = utcnow()
    session.flush()
    return dep


def list_deployments(session: Session, status: str | None = None) -> list[Deployment]:
    query = select(Deployment).order_by(Deployment.created_at)
    if status:
        query = query.where(Deployment.status == status)
    return list(session.scalars(query))


@dataclass(frozen=True)
class ToolUrls:
    login: str
    login_for_registration: str
    launch: str
    jwks: str


def tool_urls(base_url: str, reg: Registration | None = None) -> ToolUrls:
    """The URLs an administrator pastes into the platform's tool configuration."""
    base = base_url.rstrip("/")
    return ToolUrls(
        login=f"{base}/lti/login",
        login_for_registration=f"{base}/lti/login/{reg.id}" if reg else f"{base}/lti/login/<registration-id>",
        launch=f"{base}/lti/launch",
        jwks=f"{base}/jwks",
    )


def to_pylti1p3(reg: Registration, key: ToolKey | None):
    """The registration as a pylti1p3 ``Registration``, for its service clients (AGS, NRPS,
    deep linking responses) in later features."""
    from pylti1p3.registration import Registration as PyltiRegistration

    out = (
        PyltiRegistration()
        .set_issuer(reg.issuer)
        .set_client_id(reg.client_id)
        .set_auth_login_url(reg.auth_login_url)
        .set_auth_token_url(reg.auth_token_url)
        .set_key_set_url(reg.key_set_url)
    )
    if reg.auth_audience:
        out.set_auth_audience(reg.auth_audience)
    if key is not None:
        out.set_tool_private_key(key.private_pem)
    return out
