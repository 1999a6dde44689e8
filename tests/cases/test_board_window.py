"""The board shows the window's own late steps (those with a clock in the BPMN: 受理审查), per
township, to the county."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from onedoor.cases import services

from .conftest import register, task_of

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_review_left_for_days_shows_on_the_countys_board(alice, dave, erin, zoe) -> None:
    with time_machine.travel(datetime.combine(date(2026, 11, 2), time(10), SHANGHAI), tick=False):
        waiting = register(alice, "yiliao", seq=1)
        reviewed = register(alice, "yiliao", seq=2)
        services.review_application(
            task_of(reviewed, "review_application"), actor=alice, accepted=True
        )
    review = task_of(waiting, "review_application")
    assert review.due_at is not None
    with time_machine.travel(review.due_at + timedelta(days=7), tick=False):
        page = client_for(dave).get("/board/").content.decode()
        assert "窗口环节逾期" in page
        assert f'href="/cases/{waiting.pk}/"' in page and "受理审查" in page
        # Reviewed in time: its next step has no clock, so it is not late.
        assert f'href="/cases/{reviewed.pk}/"' not in page
        assert "文化路街道" in page and "个工作日" in page
        assert f'href="/cases/{waiting.pk}/"' in client_for(erin).get("/board/").content.decode()
        # Another county's coordinator sees none of it.
        assert waiting.reference not in client_for(zoe).get("/board/").content.decode()
        # Narrowed to another township, the list is empty of Alice's steps.
        other = client_for(dave).get("/board/", {"window": "130302101"}).content.decode()
        assert waiting.reference not in other and "东港镇" in other
        narrowed = client_for(dave).get("/board/", {"window": "130302001"}).content.decode()
        assert waiting.reference in narrowed and "仅显示" in narrowed


def test_steps_not_yet_due_are_not_on_the_board(alice, dave) -> None:
    case = register(alice, "yiliao", seq=3)
    page = client_for(dave).get("/board/").content.decode()
    assert case.reference not in page and "没有逾期的窗口环节" in page
