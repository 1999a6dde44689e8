"""Incidents: an instance whose automatic work keeps failing is set aside for a person.

The sweeper (workflows.timers) tries a failing instance again with a growing delay; at the
WORKFLOWS_INCIDENT_AFTER-th failure in a row it opens an incident instead and parks the
instance (no next_timer_at), so no sweep fails it again and again. An administrator retries it
(`retry`): the incident is marked retried and the instance is due at once; the next attempt
either moves it on (the incident is resolved) or opens the incident again at once, without
a new series of attempts. An instance that moves on by any other way (a person completes one
of its tasks) resolves its incident too (`resolve_after_success`, from workflows.engine.persist).

Lock order as everywhere: the instance's row first, then the incident's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .errors import EngineError, IncidentNotFound, IncidentNotOpen, causes, clean_message
from .guards import SandboxError
from .models import Actor, Incident, ProcessEvent, ProcessInstance, actor_id
from .signals import incident_opened

DETAIL_LIMIT = 4000
ACTIVE = (Incident.State.OPEN, Incident.State.RETRIED)


def threshold() -> int:
    """Failures in a row that open an incident (at least 1)."""
    return max(int(getattr(settings, "WORKFLOWS_INCIDENT_AFTER", 3)), 1)


def failed_step(exc: BaseException) -> tuple[str, str]:
    """The BPMN id and name of the element the error names, or blanks."""
    for error in causes(exc):
        spec = getattr(error, "task_spec", None)
        if spec is not None:
            ident = getattr(spec, "bpmn_id", None) or spec.name or ""
            return ident[:200], (getattr(spec, "bpmn_name", None) or ident)[:200]
    return "", ""


def plain_reason(exc: BaseException) -> str:
    """Why the step failed, in words for the administrator (no Python in it)."""
    chain = causes(exc)
    refusal = next((e for e in chain if isinstance(e, SandboxError)), None)
    if refusal is not None:
        return str(refusal)
    specs = (getattr(e, "task_spec", None) for e in chain)
    spec = next((s for s in specs if s is not None), None)
    operator = getattr(spec, "operation_name", None)
    if operator:
        return _("the service “%(service)s” failed") % {"service": operator}
    original = chain[-1]
    if isinstance(original, NameError):
        name = getattr(original, "name", None) or "?"
        return _("a script or expression uses “%(name)s”, which the process data does not hold") % {
            "name": name
        }
    if isinstance(original, KeyError):
        key = original.args[0] if original.args else "?"
        return _("the process data has no “%(key)s”") % {"key": str(key)[:100]}
    if isinstance(original, ZeroDivisionError):
        return _("a script or expression divides by zero")
    if isinstance(original, (TypeError, ValueError, AttributeError, IndexError)):
        return _("a script or expression met data of the wrong kind")
    if isinstance(original, DatabaseError):
        return _("the database refused the step's changes")
    if isinstance(original, EngineError):
        return str(original)
    return _("an unexpected error in the process")


def technical_detail(exc: BaseException) -> str:
    """The error chain as raised, outermost first: kind and message, no frames or paths."""
    lines = []
    for error in causes(exc):
        kind = type(error)
        text = clean_message(str(error)).replace("Traceback", "traceback")
        line = getattr(error, "line_number", None)
        where = f" (line {line})" if line else ""
        lines.append(f"{kind.__module__}.{kind.__qualname__}{where}: {text}")
    return "\n".join(lines)[:DETAIL_LIMIT]


def _first_failure(instance: ProcessInstance, now: datetime) -> datetime:
    """When this run of failures began: the last failure that was the first in a row."""
    first = (
        ProcessEvent.objects.filter(
            instance=instance, kind=ProcessEvent.Kind.FAILED, data__attempt=1
        )
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
        .first()
    )
    return first or now


def record_failure(
    instance: ProcessInstance, exc: BaseException, *, attempts: int, now: datetime
) -> Incident | None:
    """After the sweeper recorded a failure: open (or reopen) the instance's incident once
    `attempts` reaches the threshold. The caller has parked the instance."""
    if attempts < threshold():
        return None
    bpmn_id, name = failed_step(exc)
    with translation.override(settings.LANGUAGE_CODE):
        reason = plain_reason(exc)
        values = {"count": attempts, "reason": reason}
        if name:
            message = _("“%(step)s” failed %(count)s times in a row: %(reason)s") % {
                "step": name,
                **values,
            }
        else:
            message = _("The automatic work failed %(count)s times in a row: %(reason)s") % values
    fields: dict[str, Any] = {
        "state": Incident.State.OPEN,
        "bpmn_id": bpmn_id,
        "step_name": name,
        "message": message[:2000],
        "detail": technical_detail(exc),
        "attempts": attempts,
        "last_failed_at": now,
    }
    incident = (
        Incident.objects.select_for_update()
        .filter(instance=instance, state__in=ACTIVE)
        .order_by("-pk")
        .first()
    )
    if incident is None:
        incident = Incident.objects.create(
            instance=instance, first_failed_at=_first_failure(instance, now), **fields
        )
    else:
        for key, value in fields.items():
            setattr(incident, key, value)
        incident.save(update_fields=list(fields))
    ProcessEvent.objects.create(
        instance=instance,
        kind=ProcessEvent.Kind.INCIDENT,
        bpmn_id=bpmn_id,
        data={"incident": incident.pk, "attempts": attempts, "message": incident.message},
        at=now,
    )
    incident_opened.send(sender=Incident, incident=incident, instance=instance)
    return incident


def retry(incident_id: Any, *, actor: Actor, now: datetime | None = None) -> Incident:
    """Clear an open incident: the instance is due at once, for the next sweep (or for
    `workflows.timers.sweep_instance`, to try it now). An incident that is no longer open
    (retried by a colleague, or the process moved on) is refused and nothing changes."""
    now = now or timezone.now()
    try:
        pk = int(incident_id)
        instance_id = Incident.objects.filter(pk=pk).values_list("instance_id", flat=True).get()
    except (Incident.DoesNotExist, ValueError, TypeError, OverflowError):
        raise IncidentNotFound(incident_id) from None
    with transaction.atomic():
        instance = ProcessInstance.objects.select_for_update().get(pk=instance_id)
        incident = (
            Incident.objects.select_for_update(of=("self",)).select_related("retried_by").get(pk=pk)
        )
        if incident.state != Incident.State.OPEN:
            raise IncidentNotOpen(incident)
        incident.state = Incident.State.RETRIED
        incident.retried_at = now
        incident.retried_by_id = actor_id(actor)
        incident.save(update_fields=["state", "retried_at", "retried_by"])
        if instance.state == ProcessInstance.State.RUNNING:
            ProcessInstance.objects.filter(pk=instance.pk).update(next_timer_at=now)
        ProcessEvent.objects.create(
            instance=instance,
            kind=ProcessEvent.Kind.RETRIED,
            bpmn_id=incident.bpmn_id,
            actor=incident.retried_by,
            data={"incident": incident.pk},
            at=now,
        )
    return incident


def resolve_after_success(instance: ProcessInstance, now: datetime) -> int:
    """The instance advanced: its open or retried incident is resolved."""
    return Incident.objects.filter(instance=instance, state__in=ACTIVE).update(
        state=Incident.State.RESOLVED, resolved_at=now
    )
