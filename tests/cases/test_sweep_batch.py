"""A timer sweep over several late cases: every reminder and 督办 with its audit event and its
notifications, the whole batch's rows written in one statement per table, nothing twice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases import services
from onedoor.cases.models import Case, Referral
from onedoor.deadlines.workdays import add_working_days
from workflows.timers import fire_due_timers

from .conftest import refer_all, register, task_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def late_referrals(alice: Any, bob: Any, n: int) -> list[Referral]:
    """n medical referrals signed for on Monday 2026-11-02."""
    referrals = []
    for seq in range(1, n + 1):
        case = register(alice, "yiliao", seq=seq)
        refer_all(case, alice)
        services.sign_referral(task_of(case, "sign_for_referral"), actor=bob, decision="sign")
        referrals.append(Referral.objects.get(case=case))
    return referrals


def inserts_into(queries: CaptureQueriesContext, table: str) -> int:
    return sum(q["sql"].startswith(f'INSERT INTO "{table}"') for q in queries.captured_queries)


def test_one_sweep_raises_every_late_cases_reminder_and_notices_once(
    alice: Any, bob: Any, dave: Any, leader: Any, django_capture_on_commit_callbacks: Any
) -> None:
    monday = datetime.combine(date(2026, 11, 2), time(10), SHANGHAI)
    with time_machine.travel(monday, tick=False) as traveller:
        referrals = late_referrals(alice, bob, 3)
        due = referrals[0].handle_due_at
        assert due is not None
        # Past the reminder, the due date and level 2 (3 working days on): all fire at once.
        escalate_at = add_working_days(due.astimezone(SHANGHAI).date(), 3).day
        traveller.move_to(datetime.combine(escalate_at + timedelta(days=1), time(10), SHANGHAI))
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            result = fire_due_timers()
        assert (result.claimed, result.failed) == (3, 0)
        assert result.fired == 9  # reminder, overdue, escalation of each

        # One statement per table for the batch, however many cases and timers (the
        # notifications' once it commits).
        assert inserts_into(queries, "cases_supervisionnotice") == 1
        assert inserts_into(queries, "audit_auditevent") == 1
        assert inserts_into(queries, "notifications_notification") == 1

        case_type = ContentType.objects.get_for_model(Case)
        swept = Notification.objects.filter(
            target_content_type=ContentType.objects.get_for_model(Referral),
            data__action__in=["referral.reminder", "referral.overdue", "referral.escalated"],
        )
        for referral in referrals:
            referral.refresh_from_db()
            assert referral.escalation_level == 2
            notices = {n.level: n for n in referral.supervision_notices.filter(issued_by=None)}
            assert sorted(notices) == [1, 2]
            events = {e.action: e for e in AuditEvent.objects.filter(referral=referral)}
            assert events["referral.reminder"].case_id == referral.case_id
            assert events["referral.overdue"].data["notice"] == notices[1].pk
            assert events["referral.escalated"].data["notice"] == notices[2].pk
            told = swept.filter(target_object_id=str(referral.pk))
            assert sorted(told.values_list("recipient__username", "data__action")) == [
                ("bob", "referral.overdue"),
                ("bob", "referral.reminder"),
                ("dave", "referral.escalated"),
                ("dave", "referral.overdue"),
                ("lena", "referral.escalated"),
                ("lena", "referral.overdue"),
                ("lena", "referral.reminder"),
            ]
            note = told.get(recipient=bob, data__action="referral.overdue")
            # Raised by the platform itself: the case stands as actor; the link opens the
            # referral; the description names it.
            assert (note.actor_content_type, note.actor_object_id) == (
                case_type,
                str(referral.case_id),
            )
            assert note.data["url"] == f"/referrals/{referral.pk}/"
            assert note.description == str(referral)

        # Swept again (a timer re-armed on an overdue step fires at once): nothing is raised
        # twice.
        with django_capture_on_commit_callbacks(execute=True):
            fire_due_timers()
        assert AuditEvent.objects.filter(action="referral.overdue").count() == 3
        assert swept.count() == 21
