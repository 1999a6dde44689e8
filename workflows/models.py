"""Process definitions, instances, and the projections queries read instead of blobs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Who acts on a process: a signed-in user, or nobody (the system: timers, the sweeper). The
# journal keeps the user's id (ProcessEvent.actor); the domain passes its own `User`.
Actor = AbstractBaseUser | AnonymousUser | None


def actor_id(actor: Actor) -> int | None:
    """The id the journal and the engine's own rows keep for who acted (None: the system)."""
    return actor.pk if actor is not None and actor.is_authenticated else None


class ProcessDefinition(models.Model):
    """One immutable version of one executable BPMN process.

    A new row is stored only when the content hash differs from the newest version's (so
    going back to an earlier file is a new version too); running instances keep
    the row they started on, new instances take the newest version of their process id.
    """

    process_id = models.CharField(_("Process id"), max_length=200)
    name = models.CharField(_("Name"), max_length=200, blank=True)
    version = models.PositiveIntegerField(
        _("Version"),
    )
    content_hash = models.CharField(_("Content hash"), max_length=64)
    filename = models.CharField(_("File"), max_length=300)
    # The BPMN document, and the DMN documents it was parsed with ({filename: xml}).
    source = models.TextField()
    dependencies = models.JSONField(default=dict, blank=True)
    deployed_at = models.DateTimeField(_("Deployed at"), auto_now_add=True)
    # Who deployed it from a page (blank: from the command line, deploy_processes).
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Deployed by"),
    )

    class Meta:
        verbose_name = _("Process definition")
        verbose_name_plural = _("Process definitions")
        constraints = [
            models.UniqueConstraint(
                fields=["process_id", "version"], name="definition_version_unique"
            ),
        ]
        ordering = ["process_id", "-version"]

    def __str__(self) -> str:
        return f"{self.process_id} v{self.version}"


class ProcessInstance(models.Model):
    """A running or finished process, with its SpiffWorkflow state serialized.

    The spec is not embedded in `state`: it is restored by reference from `definition`.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")

    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.PROTECT, verbose_name=_("Process definition")
    )
    subject_type = models.CharField(_("Subject type"), max_length=100)
    subject_id = models.CharField(_("Subject id"), max_length=100)
    state = models.CharField(
        _("State"), max_length=20, choices=State.choices, default=State.RUNNING
    )
    # zlib-compressed output of BpmnWorkflowSerializer.serialize_json, the spec left out
    # (older rows: tasks in workflows.compact's form).
    serialized = models.BinaryField()
    serializer_version = models.CharField(max_length=20)
    # Bumped on every save, so the state cache never puts an older workflow over a newer one.
    revision = models.PositiveIntegerField(default=1)
    next_timer_at = models.DateTimeField(_("Next timer at"), null=True, blank=True)
    failure_count = models.PositiveIntegerField(_("Failures in a row"), default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("Started at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(_("Completed at"), null=True, blank=True)
    # The top-level end event the process finished on (e.g. refused or closed).
    end_event = models.CharField(max_length=200, blank=True)
    end_event_name = models.CharField(_("Ended at the event"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Process instance")
        verbose_name_plural = _("Process instances")
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="instance_subject_idx"),
            # The timer sweep reads only instances with a waiting timer.
            models.Index(
                fields=["next_timer_at"],
                name="instance_timer_due_idx",
                condition=models.Q(next_timer_at__isnull=False),
            ),
            # The engine overview lists the instances whose automatic work is failing.
            models.Index(
                fields=["failure_count"],
                name="instance_failing_idx",
                condition=models.Q(failure_count__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.process_id}#{self.pk} ({self.subject_type}:{self.subject_id})"


class HumanTask(models.Model):
    """Projection: one row per user task that has become READY, kept in step with the engine."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", pgettext_lazy("task state", "Done")
        CANCELLED = "cancelled", _("Cancelled")

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("Instance")
    )
    task_id = models.UUIDField(unique=True)
    process_id = models.CharField(_("Process id"), max_length=200)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=100)
    bpmn_id = models.CharField(_("BPMN id"), max_length=200)
    name = models.CharField(_("Step"), max_length=200, blank=True)
    lane = models.CharField(_("Lane"), max_length=100, blank=True)
    # The BPMN id of the (multi-instance) subprocess the task runs in; blank at top level.
    scope = models.CharField(max_length=200, blank=True)
    scope_name = models.CharField(max_length=200, blank=True)
    candidate_group = models.CharField(_("Candidate group"), max_length=100, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("State"), max_length=20, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(
        _("Opened at"),
    )
    due_at = models.DateTimeField(_("Due"), null=True, blank=True)
    completed_at = models.DateTimeField(_("Completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Completed by"),
    )

    class Meta:
        verbose_name = _("Task")
        verbose_name_plural = _("Tasks")
        indexes = [
            # Inboxes: open tasks of a group (agency, township), by due date.
            models.Index(
                fields=["candidate_group", "due_at"],
                name="task_open_group_due_idx",
                condition=models.Q(state="open"),
            ),
            models.Index(
                fields=["lane", "due_at"],
                name="task_open_lane_due_idx",
                condition=models.Q(state="open"),
            ),
            models.Index(fields=["instance", "state"], name="task_instance_state_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="task_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.bpmn_id} [{self.state}]"


class ProcessEventQuerySet(models.QuerySet["ProcessEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("process events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("process events are append-only")


class ProcessEvent(models.Model):
    """The engine's own journal: append-only, one row per thing that happened to an instance."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Process started")
        TASK_COMPLETED = "task_completed", _("Task completed")
        TIMER_FIRED = "timer_fired", _("Timer fired")
        MESSAGE_RECEIVED = "message_received", _("Message received")
        COMPLETED = "completed", _("Process ended")
        FAILED = "failed", _("Failed")
        INCIDENT = "incident", _("Incident opened")
        RETRIED = "retried", _("Retried by an administrator")
        MIGRATED = "migrated", _("Moved to another version")

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.PROTECT, related_name="events", verbose_name=_("Instance")
    )
    kind = models.CharField(_("Kind"), max_length=30, choices=Kind.choices)
    bpmn_id = models.CharField(_("BPMN id"), max_length=200, blank=True)
    task_id = models.UUIDField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("By"),
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(
        _("At"),
    )

    objects = ProcessEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("Process event")
        verbose_name_plural = _("Process events")
        indexes = [models.Index(fields=["instance", "at"], name="event_instance_at_idx")]
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.bpmn_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("process events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("process events are append-only")


class Incident(models.Model):
    """An instance whose automatic work (a timer, the script, gateway or service step after
    it) failed WORKFLOWS_INCIDENT_AFTER times in a row: the sweeper leaves it alone until an
    administrator retries it (workflows.incidents)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        # An administrator retried it; the next attempt decides.
        RETRIED = "retried", _("Retried")
        # The instance advanced after it.
        RESOLVED = "resolved", _("Resolved")

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.PROTECT, related_name="incidents"
    )
    state = models.CharField(_("State"), max_length=20, choices=State.choices, default=State.OPEN)
    # The BPMN element that failed, when the error names one.
    bpmn_id = models.CharField(max_length=200, blank=True)
    step_name = models.CharField(_("Step"), max_length=200, blank=True)
    # For the administrator, in the platform's language; and the error chain as raised.
    message = models.TextField(
        _("Error"),
    )
    detail = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(
        _("Attempts"),
    )
    first_failed_at = models.DateTimeField(
        _("First failed at"),
    )
    last_failed_at = models.DateTimeField(
        _("Last failed at"),
    )
    retried_at = models.DateTimeField(null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Incident")
        verbose_name_plural = _("Incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["instance"],
                condition=models.Q(state="open"),
                name="incident_one_open_per_instance",
            ),
        ]
        indexes = [
            models.Index(
                fields=["first_failed_at"],
                name="incident_open_idx",
                condition=models.Q(state="open"),
            ),
        ]
        ordering = ["-first_failed_at", "-pk"]

    def __str__(self) -> str:
        return f"incident #{self.pk} ({self.instance_id}, {self.state})"
