"""The timer sweep as a Celery task, for deployments that run workers beside the web processes.

celery beat sends `workflows.sweep_due_timers` every WORKFLOWS_SWEEP_INTERVAL seconds; any
number of workers may run it at once. Nothing here makes that safe: the sweeper does, by
claiming instances with FOR UPDATE SKIP LOCKED (workflows.timers). A sweep that finds every
due row held by a peer simply ends; the peer fires those timers.

The embedded default needs no Celery: `manage.py run_timers` loops over the same sweeper.
"""

from __future__ import annotations

import time
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from .timers import SweepResult, sweep_batch


def sweep_until_done(*, budget: float, batch_size: int | None = None) -> tuple[SweepResult, int]:
    """Sweep batch after batch until nothing due is left or `budget` seconds have passed.

    Returns the totals and the number of batches. The budget is checked between batches, so a
    sweep overruns it by at most one batch.
    """
    deadline = time.monotonic() + budget
    total = SweepResult()
    batches = 0
    while True:
        result = sweep_batch(batch_size=batch_size)
        total += result
        batches += 1
        if result.claimed == 0 or time.monotonic() >= deadline:
            return total, batches


@shared_task(bind=True, name="workflows.sweep_due_timers", acks_late=True)
def sweep_due_timers(
    self: Task, budget: float | None = None, batch_size: int | None = None
) -> dict[str, Any]:
    """Fire due BPMN timers; return what this sweep did and which worker did it."""
    result, batches = sweep_until_done(
        budget=budget if budget is not None else settings.WORKFLOWS_SWEEP_BUDGET,
        batch_size=batch_size,
    )
    return {
        "worker": self.request.hostname,
        "claimed": result.claimed,
        "fired": result.fired,
        "failed": result.failed,
        "batches": batches,
    }
