"""Demo data for `make demo` (idempotent): prints a login for every role."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand

from onedoor.home.demo import PASSWORD, seed_demo
from onedoor.meetings.models import Conference, MemberUnit


class Command(BaseCommand):
    help = "载入演示数据。Load demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Demo cases are due into a year whose official holidays are not entered yet: the
        # calendar's warning for each such count (a log line for operators) is said once here.
        guessed = _Count()
        calendar = logging.getLogger("onedoor.deadlines.workdays")
        calendar.addFilter(guessed)
        try:
            people, created = seed_demo()
        finally:
            calendar.removeFilter(guessed)
        self.stdout.write(f"演示案件 {created} 件已登记" if created else "演示数据已存在")
        self.stdout.write(f"演示账号（密码均为 {PASSWORD}）：")
        convenors = set(Conference.objects.values_list("convenor_id", flat=True))
        liaisons = set(MemberUnit.objects.values_list("liaison_id", flat=True))
        for user in people.values():
            staff = user.staff
            where = staff.agency or staff.division
            title = "联席会议召集人" if user.pk in convenors else staff.title
            if user.pk in liaisons:
                title += "、联席会议联络员"
            name = user.get_full_name()
            self.stdout.write(f"  {user.username:20s} {name} · {title} · {where}")
        if guessed.seen:
            self.stdout.write(
                "提示：演示案件的期限跨入法定节假日尚未录入的年份，这些日期暂按周一至周五计算；"
                "督办看板会提醒管理员在“日历调整”中录入。"
            )


class _Count(logging.Filter):
    """Counts the records it keeps from being logged."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        self.seen += 1
        return False
