from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, close_old_connections, connections

from workflows.timers import fire_due_timers

log = logging.getLogger(__name__)

# A failing sweep is tried again after this long, doubling up to BACKOFF_MAX; a locked SQLite
# file (the web server is writing) after LOCKED_RETRY: it is free again within moments.
BACKOFF_MAX = 60.0
LOCKED_RETRY = 0.5
# --once gives up after this many failed sweeps in a row (a loop never does).
ONCE_ATTEMPTS = 5


def is_database_locked(exc: BaseException) -> bool:
    """SQLite's answer when another process holds the write lock past the busy timeout."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


def pause(stop: threading.Event, seconds: float) -> None:
    """Sleep between sweeps, ended early by a stop signal."""
    stop.wait(seconds)


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
        # Set by SIGTERM or SIGINT (Ctrl-C at `make demo`): the sweep in progress finishes,
        # and a sleep between sweeps ends at once rather than after its interval.
        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        interval: float = options["interval"]
        failures = 0
        while not stop.is_set():
            # The loop survives any error: the demo's sweeper is the only one, and a sweeper
            # that exits leaves every reminder and 督办 unfired with nobody noticing.
            try:
                result = fire_due_timers(batch_size=options["batch"])
            except Exception as exc:
                failures += 1
                if is_database_locked(exc):
                    delay = LOCKED_RETRY
                    log.warning("timer sweep: database is locked; trying again in %.1f s", delay)
                else:
                    delay = min(interval * 2 ** (failures - 1), BACKOFF_MAX)
                    log.exception(
                        "timer sweep failed (%d in a row); trying again in %.1f s", failures, delay
                    )
                # A connection the error left broken is opened afresh for the next sweep.
                for connection in connections.all(initialized_only=True):
                    if not connection.in_atomic_block:
                        connection.close()
                if options["once"] and failures >= ONCE_ATTEMPTS:
                    raise CommandError(f"timer sweep failed {failures} times: {exc}") from exc
                pause(stop, delay)
                continue
            failures = 0
            if result.claimed:
                self.stdout.write(
                    f"claimed {result.claimed} instance(s), fired {result.fired} timer(s), "
                    f"{result.failed} failed"
                )
            if options["once"]:
                return
            pause(stop, interval)
            close_old_connections()  # drop a connection the database closed while we slept
