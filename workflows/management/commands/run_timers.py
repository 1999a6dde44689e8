from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from workflows.timers import fire_due_timers


class Command(BaseCommand):
    help = "触发到期的流程定时器。Fire due BPMN timers (loops unless --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="sweep until nothing is due, then exit"
        )
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds to sleep when idle"
        )
        parser.add_argument("--batch", type=int, default=None, help="instances per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = False

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        while not stop:
            result = fire_due_timers(batch_size=options["batch"])
            if result.claimed:
                self.stdout.write(
                    f"claimed {result.claimed} instance(s), fired {result.fired} timer(s), "
                    f"{result.failed} failed"
                )
            if options["once"]:
                return
            time.sleep(options["interval"])
            close_old_connections()  # drop a connection the database closed while we slept
