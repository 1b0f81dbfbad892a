"""End-to-end launches through lti1p3platform over real HTTP (both storage backends)."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from lti_tool.models import Deployment, LtiContext, LtiUser, ResourceLink

from .conftest import error_code, run_cli, unverified_claims


@pytest.mark.parametrize(
    "user, label",
    [("lernende", "Lernende"), ("trainer", "Trainerin oder Trainer"), ("koordination", "Koordination")],
)
def test_launch_lands_on_the_linked_module(lti_env, user, label):
    login = lti_env.start_login(user=user)
    response = lti_env.launch(login)

    assert response.status_code == 200
    assert "/module/testmodul" in response.url
    assert "<h1>Testmodul Vereinsarbeit</h1>" in response.text
    assert f"Angemeldet als: {label}" in response.text
    assert "Einführung in die Vereinsarbeit" in response.text


def test_launch_records_user_context_and_link_without_names(lti_env):
    login = lti_env.start_login(user="lernende")
    claims = unverified_claims(login.id_token)
    assert claims["name"]  # the platform sends a name …
    assert lti_env.launch(login).status_code == 200

    with lti_env.db.session() as s:
        users = list(s.scalars(select(LtiUser)))
        links = list(s.scalars(select(ResourceLink)))
        contexts = list(s.scalars(select(LtiContext)))
    assert [u.sub for u in users] == ["lernende"]
    assert [(link.resource_link_id, link.module_id) for link in links] == [("link-testmodul", "testmodul")]
    assert [c.context_id for c in contexts] == ["demo-kurs-1"]
    # … and the tool keeps none of it: no column holds the name.
    assert claims["name"] not in repr([vars(u) for u in users])


def test_replayed_launch_is_refused(lti_env):
    login = lti_env.start_login()
    first = lti_env.launch(login)
    assert first.status_code == 200
    # An attacker who captured id_token, state and the state cookie posts them again.
    replay = login.session.post(
        login.action,
        data={"id_token": login.id_token, "state": login.state},
        cookies={f"vamos_lti_state_{login.state}": login.state},
    )
    assert replay.status_code == 401
    assert error_code(replay) == "unknown_state"
    assert lti_env.count(LtiUser) == 1


def test_launch_without_the_browsers_state_cookie_is_refused(lti_env):
    # In a frame: refused at once, and the page advises a new window.
    login = lti_env.start_login()
    login.session.cookies.clear()
    response = lti_env.launch(login, headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 401
    assert error_code(response) == "state_mismatch"
    assert "neuen Fenster" in response.text
    # In a window: the tool first tries its same-origin relay (a Lax cookie would come along) …
    login = lti_env.start_login()
    login.session.cookies.clear()
    relay = lti_env.launch(login, headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "cross-site"})
    assert relay.status_code == 200 and 'name="vamos_relay"' in relay.text
    # … and refused without the cookie there too, without advising the new window it is already in.
    refused = login.session.post(login.action, data={"id_token": login.id_token, "state": login.state,
                                                     "vamos_relay": "1"},
                                 headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "same-origin"})
    assert refused.status_code == 401 and error_code(refused) == "state_mismatch"
    assert "neuen Fenster" not in refused.text and "im Rahmen" not in refused.text
    assert lti_env.count(LtiUser) == 0


def test_link_without_module_learner_and_trainer(lti_env):
    learner = lti_env.launch(lti_env.start_login(user="lernende", link="link-ohne-modul"))
    assert learner.status_code == 200 and "/start" in learner.url
    assert "noch kein Lernmodul zugeordnet" in learner.text
    trainer = lti_env.launch(lti_env.start_login(user="trainer", link="link-ohne-modul"))
    assert "Testmodul Vereinsarbeit" in trainer.text and "Alle Module" in trainer.text


def test_learner_cannot_open_other_modules_but_session_survives_without_cookie(lti_env):
    login = lti_env.start_login(user="lernende")
    page = lti_env.launch(login)
    sid = page.url.split("ls=")[1]

    # No cookies at all (as in a third-party iframe): the session id in the URL is enough.
    again = requests.get(f"{lti_env.tool_url}/module/testmodul", params={"ls": sid})
    assert again.status_code == 200 and "Testmodul Vereinsarbeit" in again.text
    assert requests.get(f"{lti_env.tool_url}/module/testmodul").status_code == 401
    assert requests.get(f"{lti_env.tool_url}/module/anderes", params={"ls": sid}).status_code == 404


def test_unknown_deployment_is_pending_until_approved(lti_env):
    lti_env.platform.deployment_id = "neue-einbindung"
    login = lti_env.start_login()
    refused = lti_env.launch(login)
    assert refused.status_code == 403
    assert error_code(refused) == "pending_deployment"
    assert "Freischaltung ausstehend" in refused.text
    with lti_env.db.session() as s:
        pending = s.scalars(select(Deployment).where(Deployment.deployment_id == "neue-einbindung")).one()
        assert pending.status == Deployment.PENDING
    assert lti_env.count(LtiUser) == 0

    # The administrator approves on the command line.
    assert run_cli(
        lti_env, "lti", "approve-deployment", "--issuer", lti_env.platform.issuer,
        "--client-id", lti_env.platform.client_id, "--deployment-id", "neue-einbindung",
    ) == 0

    assert lti_env.launch(lti_env.start_login()).status_code == 200


@pytest.mark.parametrize("roles, label", [
    (["Instructor"], "Trainerin oder Trainer"),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], "Trainerin oder Trainer"),
    (["TeachingAssistant"], "Trainerin oder Trainer"),
    (["Learner"], "Lernende"),
    (["Administrator"], "Koordination"),
])
def test_launch_accepts_short_and_full_role_names(lti_env, roles, label):
    """LTI 1.3 core §A.2.2 allows short context role names in the launch too (issue 15)."""
    from .test_bad_payloads import forge

    login = lti_env.start_login(user="lernende")
    token = forge(lti_env, login, lambda c: c.update({"https://purl.imsglobal.org/spec/lti/claim/roles": roles}), None)
    response = lti_env.launch(login, id_token=token)
    assert response.status_code == 200 and f"Angemeldet als: {label}" in response.text
