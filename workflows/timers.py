"""The timer sweeper: fires due BPMN timers, never twice, however many sweepers run.

Each batch is one transaction that claims instances whose next_timer_at has passed with
FOR UPDATE SKIP LOCKED: a row another sweeper holds is skipped, not waited for (another
worker got there first), and PostgreSQL re-checks next_timer_at on the locked row, so an
instance a concurrent sweeper has just advanced is not claimed again. A savepoint per
instance keeps one broken case from blocking the rest: its failure is recorded on the
instance and its next attempt backs off; after WORKFLOWS_INCIDENT_AFTER failures in a row it
is parked with an incident (workflows.incidents) until an administrator retries it.

1. Claim up to WORKFLOWS_TIMER_BATCH due instances (one statement).
2. Per instance, in its savepoint: load (state cache or stored state), fire every due timer
   and run what follows (the domain's handlers collect their rows, StepContext.collect), save
   state, task rows and journal (one statement), project.
3. Write the rows the batch's handlers collected, a few statements for the whole batch (the
   督办, audit events and notifications of twenty cases at once), and commit.
4. Should step 3 fail, the batch rolls back and is swept again writing each instance's rows
   in its own savepoint, so the one case whose rows cannot be written is recorded as failed
   instead of holding up the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import incidents
from .handlers import StepContext
from .models import ProcessEvent, ProcessInstance
from .stepping import Step, advance, load_locked, persist

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)


@dataclass
class SweepResult:
    claimed: int = 0
    fired: int = 0
    failed: int = 0

    def __iadd__(self, other: SweepResult) -> SweepResult:
        self.claimed += other.claimed
        self.fired += other.fired
        self.failed += other.failed
        return self


def retry_delay(failures: int) -> timedelta:
    return min(RETRY_BASE * (2 ** max(failures - 1, 0)), RETRY_MAX)


def sweep_batch(
    *,
    batch_size: int | None = None,
    now: datetime | None = None,
    batch_writes: bool = True,
    instance_id: int | None = None,
) -> SweepResult:
    """Claim one batch of instances with due timers and advance each. Returns what it did.

    With `batch_writes` the rows the handlers collect are written once for the batch;
    without, with each instance (the fallback when a batch's rows cannot be written).
    With `instance_id`, that instance alone (if it is due)."""
    now = now or timezone.now()
    size = batch_size or settings.WORKFLOWS_TIMER_BATCH
    result = SweepResult()
    try:
        with transaction.atomic():
            due = ProcessInstance.objects.select_for_update(skip_locked=True).filter(
                next_timer_at__lte=now, state=ProcessInstance.State.RUNNING
            )
            if instance_id is not None:
                due = due.filter(pk=instance_id)
            claimed = list(due.order_by("next_timer_at")[:size])
            result.claimed = len(claimed)
            writes = StepContext(deferred=True)
            shared: dict[Any, Any] = {}  # what handlers read, for the whole batch
            for instance in claimed:
                failures = instance.failure_count  # persist resets the attribute
                context = StepContext(deferred=True, cache=shared, batch=claimed)
                step = Step(context=context, caller_writes=batch_writes)
                try:
                    with transaction.atomic():
                        loaded = load_locked(instance)
                        advance(instance, loaded.workflow, step)
                        persist(instance, loaded, step, now=now, events=[])
                except Exception as exc:
                    result.failed += 1
                    shared.clear()
                    _record_failure(instance, exc, now, failures=failures + 1)
                    continue
                result.fired += len(step.fired_timers)
                # Only now, its savepoint released: a failed step's rows are never written.
                writes.absorb(step.context)
            writes.write()
    except Exception:
        if not batch_writes:
            raise
        log.exception("writing a sweep batch's rows failed; sweeping it instance by instance")
        return sweep_batch(batch_size=size, now=now, batch_writes=False, instance_id=instance_id)
    return result


def sweep_instance(instance_id: int, *, now: datetime | None = None) -> SweepResult:
    """Advance one instance now if it is due (an incident just retried), as a sweep would."""
    return sweep_batch(batch_size=1, now=now, instance_id=instance_id)


def _record_failure(
    instance: ProcessInstance, exc: Exception, now: datetime, *, failures: int
) -> None:
    """The failure on the instance and in its journal; at the threshold, the instance is
    parked (no next_timer_at: no sweep claims it) and its incident opened."""
    log.exception("timer sweep failed for instance %s", instance.pk)
    parked = failures >= incidents.threshold()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    ProcessInstance.objects.filter(pk=instance.pk).update(
        failure_count=failures,
        last_error=error,
        last_error_at=now,
        next_timer_at=None if parked else now + retry_delay(failures),
    )
    ProcessEvent.objects.create(
        instance=instance,
        kind=ProcessEvent.Kind.FAILED,
        data={"error": error, "attempt": failures},
        at=now,
    )
    incidents.record_failure(instance, exc, attempts=failures, now=now)


def fire_due_timers(
    *, batch_size: int | None = None, max_batches: int | None = None
) -> SweepResult:
    """Sweep batch after batch until no due instance is left (or max_batches)."""
    total = SweepResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        result = sweep_batch(batch_size=batch_size)
        total += result
        batches += 1
        if result.claimed == 0:
            break
    return total
