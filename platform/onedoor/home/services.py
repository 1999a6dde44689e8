"""The engine overview's actions: one function each, every change audited.

An incident opens in the sweeper (workflows.incidents, which knows nothing of OneDoor): its
signal is recorded here as an audit event, on the case's timeline when the process is a
case's. An administrator's retry clears it and runs the step at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.cases.models import SUBJECT_CASE, Case
from workflows import incidents, migration
from workflows.definitions import DeployResult, deploy_documents
from workflows.models import Incident, ProcessDefinition, ProcessInstance
from workflows.timers import sweep_instance


def _case_of(instance: ProcessInstance) -> Case | None:
    if instance.subject_type != SUBJECT_CASE or not instance.subject_id.isdigit():
        return None
    return Case.objects.filter(pk=int(instance.subject_id)).first()


def _facts(incident: Incident) -> dict[str, Any]:
    instance = incident.instance
    return {
        "incident": incident.pk,
        "instance": instance.pk,
        "process": f"{instance.subject_type}:{instance.subject_id}",
        "step": incident.step_name or incident.bpmn_id,
        "attempts": incident.attempts,
        "message": incident.message,
    }


def record_incident_opened(sender: Any, incident: Incident, instance: ProcessInstance, **_: Any):
    """incident_opened's receiver: the sweeper set an instance aside (no actor: the system)."""
    log_action(
        "process.incident_opened", actor=None, case=_case_of(instance), data=_facts(incident)
    )


@dataclass(frozen=True)
class RetryOutcome:
    incident: Incident

    @property
    def moved_on(self) -> bool:
        """The step ran and the process moved on."""
        return self.incident.state == Incident.State.RESOLVED

    @property
    def failed_again(self) -> bool:
        """The step ran and failed: the incident is open again."""
        return self.incident.state == Incident.State.OPEN

    # Neither: a sweeper got to the instance first, and runs it now.


def retry_incident(incident: Incident, *, actor: User) -> RetryOutcome:
    """Clear an open incident (audited) and run the instance's due work at once.

    A second submit, or a retry of an incident a colleague retried, raises IncidentNotOpen
    and changes nothing. Should the step fail again, the sweeper's own path reopens the
    incident (and audits that)."""
    with transaction.atomic():
        retried = incidents.retry(incident.pk, actor=actor)
        log_action(
            "process.incident_retried",
            actor=actor,
            case=_case_of(retried.instance),
            data=_facts(retried),
        )
    sweep_instance(retried.instance_id)
    retried.refresh_from_db()
    return RetryOutcome(incident=retried)


def deploy_uploaded(
    filename: str, content: bytes, *, actor: User, replace: bool = False
) -> list[DeployResult]:
    """Deploy an uploaded BPMN file as deploy_processes does (workflows.definitions, the same
    checks), each new version audited with its file and content hash. A second submit of
    the same file stores nothing and audits nothing (its versions come back unchanged)."""
    with transaction.atomic():
        results = deploy_documents([(filename, content)], {}, replace=replace, actor=actor)
        for result in results:
            if not result.created:
                continue
            d = result.definition
            log_action(
                "process.deployed",
                actor=actor,
                data={
                    "process": d.process_id,
                    "version": d.version,
                    "file": d.filename,
                    "hash": d.content_hash,
                },
            )
    return results


# Instances moved per batch; each in its own transaction, so one that cannot move (or a
# colleague's step under its lock) holds up only itself.
MIGRATION_BATCH = 20


@dataclass(frozen=True)
class MigrationOutcome:
    instance_id: int
    moved: bool
    reasons: list[str]


def migrate_instances(
    instance_ids: list[int], target: ProcessDefinition, *, actor: User
) -> list[MigrationOutcome]:
    """Move the chosen running instances to `target`, batch by batch, each in its own
    transaction under its row lock (workflows.migration), audited on its case's timeline.
    An instance that cannot move stays on its version and says why."""
    outcomes: list[MigrationOutcome] = []
    for start in range(0, len(instance_ids), MIGRATION_BATCH):
        for pk in instance_ids[start : start + MIGRATION_BATCH]:
            try:
                with transaction.atomic():
                    check = migration.migrate_instance(pk, target, actor=actor)
                    instance = check.instance
                    log_action(
                        "process.migrated",
                        actor=actor,
                        case=_case_of(instance),
                        data={
                            "instance": instance.pk,
                            "process": target.process_id,
                            "from": check.source_version,
                            "to": target.version,
                            "waiting": check.waiting_after,
                        },
                    )
            except migration.CannotMigrate as exc:
                outcomes.append(MigrationOutcome(pk, False, exc.check.reasons))
            except ProcessInstance.DoesNotExist:
                outcomes.append(MigrationOutcome(pk, False, [_("no such process instance")]))
            else:
                outcomes.append(MigrationOutcome(pk, True, []))
    return outcomes
