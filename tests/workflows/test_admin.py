"""The engine's tables in the platform administrator's /admin/: in Chinese, useful columns,
read-only (they change only through workflows.engine), the serialized state never shown."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from onedoor.directory.models import Staff
from tests.cases.conftest import register
from tests.personas import make_staff

pytestmark = pytest.mark.django_db


def test_the_engine_tables_read_in_chinese_and_cannot_be_changed(one_door: None) -> None:
    root = get_user_model().objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(root)
    index = client.get("/admin/").content.decode()
    assert "一门受理平台管理" in index
    for name in ("流程定义", "流程实例", "待办任务", "流程事件", "故障"):
        assert name in index
    alice = make_staff("alice2", Staff.Role.WINDOW, "130302001")
    case = register(alice, "yiliao")
    instances = client.get("/admin/workflows/processinstance/").content.decode()
    assert "对象" in instances and "连续失败次数" in instances and str(case.pk) in instances
    tasks = client.get("/admin/workflows/humantask/").content.decode()
    assert "候选办理组" in tasks and "受理审查" in tasks
    detail = client.get(f"/admin/workflows/processinstance/{case.process_id}/change/")
    assert detail.status_code == 200 and "serialized" not in detail.content.decode()
    assert client.get("/admin/workflows/processinstance/add/").status_code == 403
    assert (
        client.post(f"/admin/workflows/processinstance/{case.process_id}/delete/").status_code
        == 403
    )
