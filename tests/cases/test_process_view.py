"""A case on its process diagram: the marks come from the projections, each user sees the part
of the case they may see, and the diagram is the version the case runs on."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onedoor.cases import services
from onedoor.cases.models import Case, Referral
from onedoor.directory.models import Agency
from tests.conftest import ONE_DOOR, TEST_BPMN
from workflows.definitions import deploy_files
from workflows.models import HumanTask

from .conftest import refer_all, register, task_of

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def state_of(user: Any, case: Case) -> dict[str, Any]:
    response = client_for(user).get(f"/cases/{case.pk}/process/")
    assert response.status_code == 200
    body = response.content.decode()
    start = body.index('<script id="process-state" type="application/json">')
    payload = body[body.index(">", start) + 1 : body.index("</script>", start)]
    return json.loads(payload)


@pytest.fixture
def two_referrals(alice: Any, bob: Any) -> Case:
    """Alice's case, referred to Bob's agency (medical) and to education."""
    case = register(alice, "yiliao", "edu_compulsory")
    refer_all(case, alice)
    return case


def _referral(case: Case, kind: str) -> Referral:
    return case.referrals.get(agency__kind=kind)


def test_the_window_sees_done_and_waiting_steps_with_who_and_when(
    two_referrals: Case, alice: Any, bob: Any
) -> None:
    medical = _referral(two_referrals, "medical")
    services.sign_referral(
        task_of(two_referrals, "sign_for_referral", medical.agency.code), actor=bob, decision="sign"
    )
    state = state_of(alice, two_referrals)
    review = state["elements"]["review_application"]
    assert review["state"] == "done" and "alice" in review["lines"][0]
    assert state["elements"]["split_case"]["state"] == "done"
    assert state["elements"][state["subprocess"]]["state"] == "waiting"
    by_agency = {r["id"]: r["elements"] for r in state["referrals"]}
    assert set(by_agency) == set(two_referrals.referrals.values_list("pk", flat=True))
    medical_steps = by_agency[medical.pk]
    assert medical_steps["sign_for_referral"]["state"] == "done"
    assert "bob" in medical_steps["sign_for_referral"]["lines"][0]
    handle = medical_steps["handle_referral"]
    assert handle["state"] == "waiting"
    assert "县医疗保障局" in handle["lines"][0] or medical.agency.name in handle["lines"][0]
    education = _referral(two_referrals, "education")
    assert by_agency[education.pk]["sign_for_referral"]["state"] == "waiting"
    assert "handle_referral" not in by_agency[education.pk]
    # Lanes are shown by role, in the reader's language.
    assert state["lanes"]["window"] == "窗口工作人员"


def test_an_overdue_step_and_its_timer_are_marked_and_a_supervised_one_is_escalated(
    two_referrals: Case, alice: Any
) -> None:
    medical = _referral(two_referrals, "medical")
    sign = task_of(two_referrals, "sign_for_referral", medical.agency.code)
    HumanTask.objects.filter(pk=sign.pk).update(due_at=timezone.now() - timedelta(days=1))
    steps = {r["id"]: r["elements"] for r in state_of(alice, two_referrals)["referrals"]}
    assert steps[medical.pk]["sign_for_referral"]["state"] == "overdue"
    # The timer whose time is the step's own due date (signing_overdue) is lit with it.
    assert steps[medical.pk]["signing_overdue"]["state"] == "overdue"
    Referral.objects.filter(pk=medical.pk).update(escalation_level=1)
    state = state_of(alice, two_referrals)
    steps = {r["id"]: r["elements"] for r in state["referrals"]}
    assert steps[medical.pk]["sign_for_referral"]["state"] == "escalated"
    assert state["elements"][state["subprocess"]]["state"] == "escalated"
    education = _referral(two_referrals, "education")
    assert steps[education.pk]["sign_for_referral"]["state"] == "waiting"


def test_an_agency_sees_its_own_referral_only(two_referrals: Case, bob: Any) -> None:
    state = state_of(bob, two_referrals)
    medical = _referral(two_referrals, "medical")
    assert [r["id"] for r in state["referrals"]] == [medical.pk]
    # The window's own steps are not the agency's business, as on the case page.
    assert "review_application" not in state["elements"]
    body = client_for(bob).get(f"/cases/{two_referrals.pk}/process/").content.decode()
    assert "edu_compulsory" not in body and "教育局" not in body


def test_after_a_transfer_the_new_agency_does_not_see_what_the_first_one_did(
    two_referrals: Case, alice: Any, bob: Any, carol: Any
) -> None:
    medical = _referral(two_referrals, "medical")
    services.sign_referral(
        task_of(two_referrals, "sign_for_referral", medical.agency.code),
        actor=bob,
        decision="transfer",
        reason="不属本部门",
        transfer_to=Agency.objects.get(kind="education"),
    )
    steps = {r["id"]: r["elements"] for r in state_of(carol, two_referrals)["referrals"]}
    sign = steps[medical.pk]["sign_for_referral"]
    assert sign["state"] == "waiting" and all("bob" not in line for line in sign["lines"])
    window = {r["id"]: r["elements"] for r in state_of(alice, two_referrals)["referrals"]}
    lines = window[medical.pk]["sign_for_referral"]["lines"]
    assert any("bob" in line for line in lines) and len(lines) == 2


def test_the_diagram_is_the_version_the_case_runs_on(
    two_referrals: Case, alice: Any, tmp_path: Any
) -> None:
    url = f"/cases/{two_referrals.pk}/process/diagram.bpmn"
    response = client_for(alice).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response.content == ONE_DOOR.read_bytes()
    # A new version (here without a diagram) changes nothing for the running case...
    deploy_files([TEST_BPMN / "one_door_transfer_approval.bpmn"], replace=True)
    assert client_for(alice).get(url).content == ONE_DOOR.read_bytes()
    # ...and a case started on it says it has no diagram, and still lists its steps.
    newer = register(alice, "yiliao", seq=2)
    page = client_for(alice).get(f"/cases/{newer.pk}/process/").content.decode()
    assert "该流程版本没有流程图" in page and "data-process-canvas" not in page
    assert "受理审查" in page
    assert (
        b"approve_transfer"
        in client_for(alice).get(f"/cases/{newer.pk}/process/diagram.bpmn").content
    )


def test_the_diagram_is_cached_by_its_content_hash(two_referrals: Case, alice: Any) -> None:
    url = f"/cases/{two_referrals.pk}/process/diagram.bpmn"
    client = client_for(alice)
    response = client.get(url)
    assert response["Content-Security-Policy"].startswith("sandbox")
    etag = response["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_the_case_page_loads_the_diagram_and_htmx_gets_the_section_alone(
    two_referrals: Case, alice: Any
) -> None:
    client = client_for(alice)
    page = client.get(f"/cases/{two_referrals.pk}/").content.decode()
    assert f'hx-get="/cases/{two_referrals.pk}/process/"' in page
    assert "bpmn-navigated-viewer.production.min.js" in page
    section = client.get(f"/cases/{two_referrals.pk}/process/", headers={"HX-Request": "true"})
    body = section.content.decode()
    assert body.lstrip().startswith('<section class="process"') and "<html" not in body
    assert "HX-Request" in section["Vary"]


def test_unknown_cases_are_not_found(alice: Any) -> None:
    client = client_for(alice)
    assert client.get("/cases/999999/process/").status_code == 404
    assert client.get("/cases/999999/process/diagram.bpmn").status_code == 404
    assert client.post("/cases/999999/process/").status_code in {404, 405}


def test_the_county_sees_every_referral_and_the_window_steps(
    two_referrals: Case, dave: Any, erin: Any, victor: Any
) -> None:
    for user in (dave, erin, victor):
        state = state_of(user, two_referrals)
        assert len(state["referrals"]) == 2, user
        assert state["elements"]["review_application"]["state"] == "done", user
