"""督办 at a level the coordinator chooses, with remarks drafted from where the clock stands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases import supervision
from onedoor.cases.models import Referral
from tests.cases.test_views import alices_case, client_for

__all__ = ["alices_case"]  # the fixture, shared with the page tests


def _form_of(page: str) -> str:
    start = page.index("/supervise/")
    return page[start : page.index("</form>", start)]


def test_the_remarks_are_a_reminder_before_the_limit_and_a_demand_after_it(
    alices_case, dave
) -> None:
    referral = Referral.objects.select_related("township__parent").get(case=alices_case)
    now = timezone.now()
    assert referral.due_at is not None and referral.due_at > now
    before = client_for(dave).get(f"/referrals/{referral.pk}/").content.decode()
    form = _form_of(before)
    assert "尚未签收" in form and "超过办理时限" not in form
    assert 'name="level" value="1"' in form and 'name="level" value="2"' in form
    late = referral.due_at + timedelta(days=8)
    days = supervision.working_days_late(referral, late)
    assert 4 <= days < 8  # eight calendar days: the weekends are not counted
    assert f"已超过办理时限{days}个工作日" in supervision.drafted_remarks(referral, late)


def test_a_level_2_notice_reaches_the_agency_and_its_leader_and_is_recorded_at_level_2(
    alices_case, bob, leader, dave, django_capture_on_commit_callbacks
) -> None:
    referral = Referral.objects.get(case=alices_case)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(dave).post(
            f"/referrals/{referral.pk}/supervise/",
            {"text": "请分管领导督促落实", "level": "2", "notices_seen": "0"},
            follow=True,
        )
    assert "及其分管领导发出二级督办" in response.content.decode()
    notice = referral.supervision_notices.get()
    assert notice.level == 2 and notice.text == "请分管领导督促落实"
    event = AuditEvent.objects.get(referral=referral, action="referral.supervised_leader")
    assert event.data["level"] == 2
    for officer in (bob, leader):
        assert Notification.objects.filter(
            recipient=officer, data__action="referral.supervised_leader"
        ).exists()


def test_no_level_below_the_process_escalation_and_a_stale_choice_sends_nothing(
    alices_case, dave
) -> None:
    referral = Referral.objects.get(case=alices_case)
    Referral.objects.filter(pk=referral.pk).update(escalation_level=2)
    page = client_for(dave).get(f"/referrals/{referral.pk}/").content.decode()
    assert 'name="level" value="1"' not in page
    response = client_for(dave).post(
        f"/referrals/{referral.pk}/supervise/",
        {"text": "请办理", "level": "1", "notices_seen": "0"},
        follow=True,
    )
    assert "已升级为二级督办" in response.content.decode()
    assert not referral.supervision_notices.exists()
    # Not sent at all (a page drawn before levels): the lowest level it may take.
    client_for(dave).post(
        f"/referrals/{referral.pk}/supervise/", {"text": "请办理", "notices_seen": "0"}
    )
    assert referral.supervision_notices.get().level == 2


@pytest.mark.parametrize("level", ["9", "0", "a\x00b", "99999999999999999999", "x" * 5000])
def test_a_hostile_level_is_answered_and_sends_nothing(alices_case, dave, level: str) -> None:
    referral = Referral.objects.get(case=alices_case)
    response = client_for(dave).post(
        f"/referrals/{referral.pk}/supervise/",
        {"text": "请办理", "level": level, "notices_seen": "0"},
        follow=True,
    )
    assert response.status_code in {200, 400}
    assert not referral.supervision_notices.exists()
