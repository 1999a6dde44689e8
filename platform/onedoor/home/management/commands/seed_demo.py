"""Demo data for `make demo`: an administrator and one-door cases in several states."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from workflows import engine
from workflows.models import HumanTask, ProcessInstance

DEMO_PASSWORD = "onedoor-demo"  # noqa: S105  (printed by make demo; demo data only)


def _complete(instance: ProcessInstance, bpmn_id: str, actor: Any, **data: Any) -> None:
    task = HumanTask.objects.filter(
        instance=instance, bpmn_id=bpmn_id, state=HumanTask.State.OPEN
    ).first()
    if task is None:
        raise RuntimeError(f"{bpmn_id} is not open on instance {instance.pk}")
    engine.complete_task(task.task_id, actor=actor, data=data)


class Command(BaseCommand):
    help = "载入演示数据。Load demo data (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        if ProcessInstance.objects.filter(subject_type="demo").exists():
            self.stdout.write("demo data already loaded")
        else:
            self._cases(admin)
        self.stdout.write(f"login: admin / {DEMO_PASSWORD}")

    def _cases(self, admin: Any) -> None:
        township = "130302001"
        start = lambda n: engine.start_process(  # noqa: E731
            "one_door", subject_type="demo", subject_id=n, data={"township": township}, actor=admin
        )
        start(1)  # waiting for acceptance
        refused = start(2)
        _complete(
            refused, "review_application", admin, accepted=False, refusal_reason="不属于本乡镇户籍"
        )
        split = start(3)
        _complete(split, "review_application", admin, accepted=True)
        referred = start(4)
        _complete(referred, "review_application", admin, accepted=True)
        _complete(
            referred,
            "split_case",
            admin,
            referrals=[
                {"item": "医疗救助", "agency": "health", "handle_days": 10},
                {"item": "教育救助", "agency": "education", "handle_days": 5},
            ],
        )
        _complete(referred, "sign_for_referral", admin, decision="sign")
        returned = start(5)
        _complete(returned, "review_application", admin, accepted=True)
        _complete(
            returned, "split_case", admin, referrals=[{"item": "住房救助", "agency": "civil"}]
        )
        _complete(
            returned, "sign_for_referral", admin, decision="return", reason="应由住建部门办理"
        )
