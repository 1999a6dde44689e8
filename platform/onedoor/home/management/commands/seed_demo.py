"""Demo data for `make demo` (idempotent): prints a login for every role."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onedoor.home.demo import PASSWORD, seed_demo
from onedoor.meetings.models import Conference, MemberUnit


class Command(BaseCommand):
    help = "载入演示数据。Load demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        people, created = seed_demo()
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
