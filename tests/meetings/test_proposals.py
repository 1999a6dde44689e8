"""Topics proposed by member units: Bob (medical's liaison) proposes, Dave (the office)
accepts it onto the candidates or declines it with a reason; Carol cannot propose a case of
Bob's; Zoe (another county) answers nothing."""

from __future__ import annotations

from typing import Any

import pytest
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases.services import ActionError
from onedoor.meetings import agenda, proposals
from onedoor.meetings.models import MemberUnit, Topic, TopicProposal
from onedoor.meetings.topics import candidates
from tests.cases.conftest import refer_all, register
from tests.cases.test_views import client_for

from .test_cycle import _plan

pytestmark = pytest.mark.django_db


def _keys(conference: Any) -> set[str]:
    return {c.key for c in candidates(conference)}


def test_a_liaison_proposes_and_the_office_accepts_it_onto_the_candidates(
    conference: Any, bob: Any, dave: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post(
            "/meetings/proposals/new/",
            {"kind": "policy", "title": "大病救助与医保衔接", "reason": "起付线以下费用无人承担"},
        )
    assert response.status_code == 302
    proposal = TopicProposal.objects.get()
    assert proposal.agency.kind == "medical" and proposal.proposed_by == bob
    assert AuditEvent.objects.filter(action="meeting.topic_proposed").exists()
    assert Notification.objects.filter(recipient=dave, verb__contains="proposed a topic").exists()
    assert "（1 件待答复）" in client_for(dave).get("/meetings/").content.decode()
    # Not a candidate until the office accepts it.
    assert proposal.key not in _keys(conference)
    page = client_for(dave).get("/meetings/proposals/").content.decode()
    assert "大病救助与医保衔接" in page and f"/meetings/proposals/{proposal.pk}/answer/" in page
    with django_capture_on_commit_callbacks(execute=True):
        client_for(dave).post(f"/meetings/proposals/{proposal.pk}/answer/", {"accept": "1"})
    assert Notification.objects.filter(recipient=bob, verb__contains="accepted").exists()
    found = next(c for c in candidates(conference) if c.key == proposal.key)
    assert found.sources == [Topic.Source.PROPOSED]
    assert len(found.reasons) == 1
    assert "起付线以下费用无人承担" in found.reasons[0] and str(proposal.agency) in found.reasons[0]
    # On the agenda with its reason; then no longer a candidate, even after the meeting.
    meeting = _plan(conference, dave)
    topic = agenda.add_topic(meeting, proposal.key, actor=dave)
    assert topic.sources == [Topic.Source.PROPOSED]
    assert "起付线以下费用无人承担" in topic.reasons[0]
    assert set(topic.units.values_list("kind", flat=True)) == {"medical"}
    assert proposal.key not in _keys(conference)
    # Answered once: a second answer changes nothing.
    with pytest.raises(ActionError):
        proposals.answer_proposal(proposal, actor=dave, accept=False, reason="重复")


def test_the_office_declines_with_a_reason(conference: Any, bob: Any, dave: Any) -> None:
    unit = MemberUnit.objects.get(liaison=bob)
    proposal = proposals.propose_topic(
        unit, actor=bob, kind="policy", title="提高救助标准", reason="物价上涨"
    )
    office = client_for(dave)
    office.post(f"/meetings/proposals/{proposal.pk}/answer/", {"accept": "0", "reason": ""})
    proposal.refresh_from_db()
    assert proposal.answered_at is None
    office.post(
        f"/meetings/proposals/{proposal.pk}/answer/", {"accept": "0", "reason": "属省级权限"}
    )
    proposal.refresh_from_db()
    assert proposal.answer == "属省级权限" and proposal.answered_by == dave
    assert AuditEvent.objects.filter(action="meeting.proposal_declined").exists()
    assert proposal.key not in _keys(conference)
    assert "属省级权限" in client_for(bob).get("/meetings/proposals/").content.decode()


def test_a_case_proposal_must_be_a_case_of_the_unit(
    conference: Any, alice: Any, bob: Any, carol: Any, dave: Any
) -> None:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    carols = MemberUnit.objects.get(liaison=carol)
    with pytest.raises(ActionError):
        proposals.propose_topic(
            carols, actor=carol, kind="case", title="x", reason="y", case_reference=case.reference
        )
    bobs = MemberUnit.objects.get(liaison=bob)
    with pytest.raises(ActionError):
        proposals.propose_topic(bobs, actor=bob, kind="case", title="x", reason="y")
    proposal = proposals.propose_topic(
        bobs,
        actor=bob,
        kind="case",
        title="张三医疗救助",
        reason="自付过高",
        case_reference=case.reference,
    )
    assert proposal.case == case
    proposals.answer_proposal(proposal, actor=dave, accept=True, reason="")
    found = next(c for c in candidates(conference) if c.key == proposal.key)
    assert found.case == case
    # Carol sees none of Bob's unit's proposals.
    assert "张三医疗救助" not in client_for(carol).get("/meetings/proposals/").content.decode()


def test_only_the_liaison_proposes_and_only_the_office_answers(
    conference: Any, bob: Any, carol: Any, dave: Any, zoe: Any, erin: Any
) -> None:
    data = {"kind": "policy", "title": "t", "reason": "r"}
    for user in (dave, erin, zoe):
        assert client_for(user).post("/meetings/proposals/new/", data).status_code == 403
    assert not TopicProposal.objects.exists()
    proposal = proposals.propose_topic(
        MemberUnit.objects.get(liaison=bob), actor=bob, kind="policy", title="t", reason="r"
    )
    for user, status in ((bob, 403), (carol, 404), (zoe, 404), (erin, 403)):
        response = client_for(user).post(
            f"/meetings/proposals/{proposal.pk}/answer/", {"accept": "1"}
        )
        assert response.status_code == status, user
    # A unit whose liaison is someone else: its other officers do not propose.
    MemberUnit.objects.filter(liaison=bob).update(liaison=None)
    assert client_for(bob).post("/meetings/proposals/new/", data).status_code == 403
    proposal.refresh_from_db()
    assert proposal.answered_at is None and TopicProposal.objects.count() == 1
