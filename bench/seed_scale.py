"""A county-to-province data set for benchmarks: `manage.py seed_scale --cases 1000000`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onedoor.cases.models import Case
from onedoor.home.scale.build import Options, seed_scale


class Command(BaseCommand):
    help = (
        "生成压测数据（替换全部案件）。Generate a scale data set on PostgreSQL, replacing every "
        "case and household: counties, townships, villages, agencies, staff, and N cases cloned "
        "from real runs of bpmn/one_door.bpmn."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=10_000)
        parser.add_argument("--counties", type=int, default=0, help="0: one per 25,000 cases")
        parser.add_argument("--townships", type=int, default=8, help="per county")
        parser.add_argument("--villages", type=int, default=6, help="per township")
        parser.add_argument("--variants", type=int, default=4, help="real runs per scenario")
        parser.add_argument("--workers", type=int, default=2, help="processes writing with COPY")
        parser.add_argument("--chunk-size", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=20261122)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="required when the database already holds cases: they are all deleted",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Case.objects.exists() and not options["replace"]:
            raise CommandError("数据库中已有案件；加 --replace 以全部替换 (cases exist: --replace)")
        try:
            seed_scale(
                Options(
                    cases=options["cases"],
                    counties=options["counties"],
                    townships=options["townships"],
                    villages=options["villages"],
                    variants=options["variants"],
                    workers=options["workers"],
                    chunk_size=options["chunk_size"],
                    seed=options["seed"],
                ),
                say=self.stdout.write,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
