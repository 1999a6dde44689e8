"""Where cases pile up: a process's open tasks per step, for a county, from the projections.

Alice registers two cases at 文化路街道 and refers one to the medical and education agencies;
Dave (coordinator) and Adam (administrator) of 海港区 see them on the one-door diagram, step by
step; Zoe, another county's coordinator, sees none of them; Alice and Erin may not open it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from onedoor.directory.models import Agency, Division, Staff
from onedoor.supervision.piles import LoadFilters, step_loads
from tests.cases.conftest import _staff, refer_all, register
from workflows.models import HumanTask, ProcessDefinition

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def adam(county: Division) -> Any:
    return _staff("adam", Staff.Role.ADMINISTRATOR, "130302")


@pytest.fixture
def piled(alice: Any) -> dict[str, Any]:
    """Monday 2026-11-02 09:00 a case waits for review; Wednesday one is referred to two
    agencies and waits for their signatures."""
    with time_machine.travel("2026-11-02 09:00 +0800", tick=False):
        waiting = register(alice, "yiliao", seq=1)
    with time_machine.travel("2026-11-04 09:00 +0800", tick=False):
        referred = register(alice, "yiliao", "edu_compulsory", seq=2)
        refer_all(referred, alice)
    return {"waiting": waiting, "referred": referred}


def _load_state(body: str) -> dict[str, Any]:
    start = body.index('<script id="load-state" type="application/json">')
    return json.loads(body[body.index(">", start) + 1 : body.index("</script>", start)])


def test_the_coordinator_sees_open_tasks_per_step_with_working_days_waiting(
    piled: dict[str, Any], dave: Any
) -> None:
    county = Division.objects.get(code="130302")
    # Monday 9 November: review has waited 5 working days, signatures 3.
    now = timezone.make_aware(datetime(2026, 11, 9, 10, 0))
    loads = {s.bpmn_id: s for s in step_loads("one_door", county, LoadFilters(), now=now)}
    assert set(loads) == {"review_application", "sign_for_referral"}
    assert (loads["review_application"].open, loads["review_application"].oldest_days) == (1, 5)
    sign = loads["sign_for_referral"]
    assert (sign.open, sign.median_days, sign.oldest_days) == (2, 3, 3)
    # Their time limits have run out by then; at the referral, not the signatures'.
    assert sign.overdue == 2 and loads["review_application"].overdue == 1
    early = timezone.make_aware(datetime(2026, 11, 4, 12, 0))
    at_referral = step_loads("one_door", county, LoadFilters(), now=early)
    assert {s.bpmn_id: s.overdue for s in at_referral}["sign_for_referral"] == 0
    with time_machine.travel(now, tick=False):
        page = client_for(dave).get("/processes/one_door/")
    assert page.status_code == 200
    state = _load_state(page.content.decode())
    assert state["elements"]["sign_for_referral"]["open"] == 2
    assert state["elements"]["sign_for_referral"]["overdue"] == 2
    assert (
        "/processes/one_door/tasks/?step=sign_for_referral&amp;overdue=1" in page.content.decode()
    )


def test_filters_narrow_to_an_agency_a_township_and_the_days_tasks_opened(
    piled: dict[str, Any], dave: Any
) -> None:
    county = Division.objects.get(code="130302")
    medical = Agency.objects.get(code="130302-medical")
    by_agency = step_loads("one_door", county, LoadFilters(agency=medical))
    assert [(s.bpmn_id, s.open) for s in by_agency] == [("sign_for_referral", 1)]
    other = Division.objects.get(code="130302101")
    assert step_loads("one_door", county, LoadFilters(township=other)) == []
    ours = Division.objects.get(code="130302001")
    assert sum(s.open for s in step_loads("one_door", county, LoadFilters(township=ours))) == 3
    monday = datetime(2026, 11, 2).date()
    only_monday = step_loads("one_door", county, LoadFilters(start=monday, end=monday))
    assert [s.bpmn_id for s in only_monday] == ["review_application"]
    page = client_for(dave).get("/processes/one_door/?agency=130302-medical")
    assert _load_state(page.content.decode())["elements"].keys() == {"sign_for_referral"}


def test_each_count_links_to_the_list_of_those_tasks(piled: dict[str, Any], adam: Any) -> None:
    referred = piled["referred"]
    with time_machine.travel("2026-11-09 10:00 +0800", tick=False):
        listed = client_for(adam).get(
            "/processes/one_door/tasks/?step=sign_for_referral&overdue=1&agency=130302-medical"
        )
    assert listed.status_code == 200
    body = listed.content.decode()
    assert f'href="/cases/{referred.pk}/"' in body
    assert listed.context["page"].paginator.count == 1
    everything = client_for(adam).get("/processes/one_door/tasks/")
    assert everything.context["page"].paginator.count == 3
    # Oldest first: the review opened on Monday.
    assert everything.context["rows"][0]["task"].bpmn_id == "review_application"


def test_another_countys_coordinator_sees_none_of_these_tasks(
    piled: dict[str, Any], zoe: Any
) -> None:
    page = client_for(zoe).get("/processes/one_door/")
    assert page.status_code == 200
    assert _load_state(page.content.decode())["elements"] == {}
    assert client_for(zoe).get("/processes/one_door/tasks/").context["page"].paginator.count == 0
    # Filters name only their own county's townships and agencies.
    assert client_for(zoe).get("/processes/one_door/?agency=130302-medical").context["form"].errors


def test_bad_filters_are_answered_in_words_and_show_everything(
    piled: dict[str, Any], dave: Any
) -> None:
    page = client_for(dave).get(
        "/processes/one_door/?start=2026-12-01&end=2026-11-01&township=nowhere"
    )
    assert page.status_code == 200
    assert page.context["form"].errors
    assert page.context["total_open"] == 3
    assert client_for(dave).get("/processes/no_such_process/").status_code == 404
    assert client_for(dave).get("/processes/one_door/tasks/?page=999&step=x").status_code == 200


def test_a_versions_diagram_is_served_to_those_who_see_the_load(
    county: Division, dave: Any, alice: Any, erin: Any
) -> None:
    definition = ProcessDefinition.objects.filter(process_id="one_door").latest("version")
    url = f"/process-versions/{definition.pk}/diagram/"
    response = client_for(dave).get(url)
    assert response.status_code == 200 and b"bpmndi:BPMNDiagram" in response.content
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert client_for(dave).get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client_for(alice).get(url).status_code == 403
    assert client_for(erin).get(url).status_code == 403
    assert client_for(dave).get("/process-versions/999999/diagram/").status_code == 404
    assert HumanTask.objects.count() == 0


def test_the_embedded_demos_median_agrees_with_postgresqls(
    piled: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has no percentile_disc: the demo sorts in Python, to the same figures."""
    from types import SimpleNamespace

    from onedoor.supervision import piles

    county = Division.objects.get(code="130302")
    now = timezone.make_aware(datetime(2026, 11, 9, 10, 0))
    on_postgresql = step_loads("one_door", county, LoadFilters(), now=now)
    monkeypatch.setattr(piles, "connection", SimpleNamespace(vendor="sqlite"))
    assert step_loads("one_door", county, LoadFilters(), now=now) == on_postgresql
