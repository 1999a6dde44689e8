"""A NUL byte anywhere in the input, and a database error a request still meets: a page in the
site's layout and the user's language, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from onedoor.cases import supervision
from onedoor.cases.models import Referral, SupervisionNotice

from .conftest import refer_all, register


def client_for(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url", ["/cases/?stage=%00", "/board/?agency=%00", "/audit/?action=a%00", "/admin/?q=%00"]
)
def test_a_nul_byte_in_a_filter_gets_a_clear_page(url: str, alice: Any, dave: Any) -> None:
    response = client_for(dave).get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "不允许的字符" in page and "督办看板" in page  # the message, in the layout


def test_a_nul_byte_in_a_form_changes_nothing(alice: Any, bob: Any, dave: Any) -> None:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    referral = Referral.objects.get(case=case)
    response = client_for(dave).post(
        f"/referrals/{referral.pk}/supervise/", {"text": "请\x00办理", "notices_seen": "0"}
    )
    assert response.status_code == 400
    assert not SupervisionNotice.objects.exists()


def test_a_database_error_is_answered_with_try_again_and_nothing_half_done(
    alice: Any, bob: Any, dave: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    referral = Referral.objects.get(case=case)
    real_log = supervision.log_action

    def deadlocked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("deadlock detected")

    # The notice row is written, then the audit write fails: the whole action rolls back.
    monkeypatch.setattr(supervision, "log_action", deadlocked)
    response = client_for(dave).post(
        f"/referrals/{referral.pk}/supervise/", {"text": "请办理", "notices_seen": "0"}
    )
    assert response.status_code == 503
    page = response.content.decode()
    assert "系统繁忙" in page and "请稍候再试" in page and "督办看板" in page
    assert not SupervisionNotice.objects.exists()
    monkeypatch.setattr(supervision, "log_action", real_log)
    # Sent again, it goes through once.
    again = client_for(dave).post(
        f"/referrals/{referral.pk}/supervise/", {"text": "请办理", "notices_seen": "0"}
    )
    assert again.status_code == 302
    assert SupervisionNotice.objects.count() == 1


def test_a_date_drill_down_beyond_any_year_in_the_admin_gets_a_page(county: Any) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="x")
    response = client_for(root).get("/admin/deadlines/calendarday/?day__year=99999999999999999999")
    assert response.status_code == 400
    assert "超出范围" in response.content.decode()


def test_a_page_outside_the_users_scope_is_a_chinese_404_in_the_layout(
    alice: Any, walter: Any
) -> None:
    case = register(alice, "yiliao")
    response = client_for(walter).get(f"/cases/{case.pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and "案件列表" in page  # the message, in the layout
    assert "case not found" not in page and "Not Found" not in page
    missing = client_for(walter).get("/no-such-page/")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()


def test_a_refused_page_is_a_chinese_403_with_the_reason_in_the_layout(alice: Any) -> None:
    response = client_for(alice).get("/board/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权" in page or "不能" in page or "仅" in page
    assert "督办看板" in page or "案件列表" in page  # the layout's navigation
    assert "403 Forbidden" not in page and "<h1>403" not in page


def test_a_server_error_is_a_chinese_500_page(rf: Any) -> None:
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("zh-hans"):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "系统出现错误" in page and "首页" in page
    assert "Server Error" not in page


def test_a_stale_form_token_gets_a_chinese_page(alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/cases/new/", {"statement": "x"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
