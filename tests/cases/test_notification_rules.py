"""Notifications follow from audit codes, declared in one place (onedoor.notify.rules)."""

from __future__ import annotations

from typing import Any

import pytest
from notifications.models import Notification

from onedoor.audit.actions import log_action
from onedoor.audit.labels import ACTION_LABELS
from onedoor.cases.models import Referral
from onedoor.notify.rules import RULES

from .conftest import refer_all, register

pytestmark = pytest.mark.django_db


def test_every_code_that_notifies_is_an_audit_code_with_a_timeline_label() -> None:
    assert set(RULES) <= set(ACTION_LABELS)


def test_an_audit_event_tells_whom_its_code_declares_and_no_one_else(
    alice: Any,
    bob: Any,
    carol: Any,
    dave: Any,
    walter: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    referral = Referral.objects.get(case=case)
    with django_capture_on_commit_callbacks(execute=True):
        # Level-1 督办: the referral's agency and the county's coordinator hear of it.
        log_action("referral.overdue", actor=None, referral=referral)
        # A code no rule names tells no one.
        log_action("referral.signed", actor=bob, referral=referral)
    told = set(
        Notification.objects.filter(data__action__startswith="referral.").values_list(
            "recipient__username", "data__action"
        )
    )
    assert told == {("bob", "referral.overdue"), ("dave", "referral.overdue")}
