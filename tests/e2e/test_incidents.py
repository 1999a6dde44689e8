"""An administrator finds an incident on /engine/ and retries it after the data was fixed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.conftest import TEST_BPMN
from tests.e2e.support import Screenshot, log_in
from workflows import engine
from workflows.definitions import deploy_files
from workflows.models import HumanTask, Incident
from workflows.runtime import dump_state
from workflows.timers import sweep_batch


def test_an_incident_is_listed_and_retried_from_the_engine_overview(
    page: Page, screenshot: Screenshot, django_user_model: Any
) -> None:
    deploy_files([TEST_BPMN / "timer_script.bpmn"])
    django_user_model.objects.create_superuser("root", password="inc-pw")
    # Started five hours ago: its one-hour timer is due, and its script lacks "rate".
    with time_machine.travel(timezone.now() - timedelta(hours=5), tick=False):
        instance = engine.start_process(
            "timer_script", subject_type="test", subject_id=1, data={"goal": 2, "step": 1}
        )
    for hours in (7, 14, 21):  # three sweeps, each past the last one's back-off
        sweep_batch(now=timezone.now() + timedelta(hours=hours))
    incident = Incident.objects.get(instance=instance)

    log_in(page, "root", "inc-pw")
    page.goto("/engine/")
    row = page.get_by_role("row").filter(has_text="计算补助")
    expect(row).to_contain_text("连续 3 次失败")
    expect(row).to_contain_text("“rate”")
    expect(page.get_by_text("待处理故障 1 个")).to_be_visible()
    row.get_by_text("技术详情").click()
    expect(row).to_contain_text("NameError")
    screenshot("engine-incident")

    # The data fixed (as a county's IT office would, by hand), then one click.
    instance.refresh_from_db()
    workflow = engine.load(instance)
    for task in workflow.get_tasks():
        task.data["rate"] = 2
    instance.serialized = dump_state(workflow)
    instance.save(update_fields=["serialized"])
    row.get_by_role("button", name=f"重试故障 {incident.pk}").click()
    expect(page.get_by_role("status")).to_contain_text("已重试：流程已继续")
    expect(page.get_by_text("没有待处理的故障。")).to_be_visible()
    screenshot("engine-incident-retried")
    incident.refresh_from_db()
    assert incident.state == Incident.State.RESOLVED
    assert HumanTask.objects.filter(instance=instance, bpmn_id="check", state="open").exists()
