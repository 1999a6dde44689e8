"""Errors the engine room raises to its callers, with messages fit to show a user.

Messages are translated when the error is raised, in the language of the request at hand
(the timer sweeper, outside any request, writes the default language into `last_error`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from SpiffWorkflow.exceptions import SpiffWorkflowException


class EngineError(Exception):
    """Base class: the message is written for the person who tried the action."""


class ProcessNotDeployed(EngineError):
    pass


class TaskNotFound(EngineError):
    def __init__(self, task_id: Any) -> None:
        super().__init__(_("Task %(task)s does not exist") % {"task": task_id})


class TaskAlreadyCompleted(EngineError):
    """A colleague completed the task first; nothing was changed."""

    def __init__(self, task_name: str, completed_by: str, completed_at: datetime | None) -> None:
        self.completed_by = completed_by
        self.completed_at = completed_at
        when = completed_at.isoformat(timespec="seconds") if completed_at else ""
        super().__init__(
            _("“%(task)s” was already completed by %(who)s at %(when)s; nothing was changed")
            % {"task": task_name, "who": completed_by, "when": when}
        )


class TaskNotAvailable(EngineError):
    """The task is no longer waiting for anyone (cancelled, or a timer moved the process on)."""

    def __init__(self, task_name: str) -> None:
        super().__init__(
            _("“%(task)s” is no longer open: the process has moved on. Please reload the page")
            % {"task": task_name}
        )


class InvalidTaskData(EngineError):
    pass


class MessageNotExpected(EngineError):
    def __init__(self, message_name: str) -> None:
        super().__init__(
            _("The process is not waiting for the message “%(message)s”")
            % {"message": message_name}
        )


class ProcessFailed(EngineError):
    """The engine could not advance the process (a script, expression or handler failed)."""


class InstanceNotFound(EngineError):
    def __init__(self, instance_id: Any) -> None:
        super().__init__(_("Process instance %(id)s does not exist") % {"id": instance_id})


class IncidentNotFound(EngineError):
    def __init__(self, incident_id: Any) -> None:
        super().__init__(_("Incident %(id)s does not exist") % {"id": str(incident_id)[:40]})


class IncidentNotOpen(EngineError):
    """Retried by a colleague already, or the process moved on: nothing was changed."""

    def __init__(self, incident: Any) -> None:
        if incident.retried_at is not None:
            who = incident.retried_by.get_username() if incident.retried_by else _("System")
            message = _(
                "This incident was already retried by %(who)s at %(when)s; nothing was changed"
            ) % {"who": who, "when": localtime(incident.retried_at).isoformat(timespec="seconds")}
        else:
            message = _("This incident is no longer open; nothing was changed")
        super().__init__(message)


_ELEMENT_REPR = re.compile(
    r"<Element \{[^}]*\}(\w+) at 0x[0-9a-fA-F]+>|<Element (\w+) at 0x[0-9a-fA-F]+>"
)
_OBJECT_REPR = re.compile(r"<([^<>]*?) at 0x[0-9a-fA-F]+>")


def clean_message(message: str) -> str:
    """A message without Python reprs: an lxml element by its tag, other objects by kind."""
    message = _ELEMENT_REPR.sub(lambda m: m.group(1) or m.group(2), message)
    return _OBJECT_REPR.sub(lambda m: m.group(1).split(" ")[0].strip("<"), message)


def causes(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from or while handling, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe_failure(exc: BaseException) -> str:
    """What went wrong in a step, for the person who sees it: the BPMN element, the line of
    its script, and the reason (a sandbox refusal in its own words, else the error's kind and
    message), with no traceback and no Python reprs."""
    from .guards import SandboxError  # the sandbox's words win over SpiffWorkflow's wrapping

    chain = causes(exc)
    refusal = next((e for e in chain if isinstance(e, SandboxError)), None)
    original = chain[-1]
    spec = getattr(exc, "task_spec", None)
    if refusal is not None:
        reason = str(refusal)
    elif original is not exc and not isinstance(original, SpiffWorkflowException):
        detail = str(original)
        reason = f"{type(original).__name__}: {detail}" if detail else type(original).__name__
        notes = getattr(exc, "notes", None)
        if notes:
            reason += " (" + "; ".join(str(n).strip() for n in notes) + ")"
    elif isinstance(original, SpiffWorkflowException):
        reason = str(original) or type(original).__name__
    else:  # raised inside SpiffWorkflow itself, such as a TypeError on missing data
        reason = (
            f"{type(original).__name__}: {original}" if str(original) else type(original).__name__
        )
    where = ""
    if spec is not None:
        label = getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name
        ident = getattr(spec, "bpmn_id", None) or spec.name
        where = f"“{label}”" + (f" ({ident})" if ident != label else "")
    line = getattr(exc, "line_number", None)
    if where and line:
        message = _("%(where)s, line %(line)s: %(reason)s") % {
            "where": where,
            "line": line,
            "reason": reason,
        }
    elif where:
        message = _("%(where)s: %(reason)s") % {"where": where, "reason": reason}
    else:
        message = reason
    return clean_message(message).replace("Traceback", "traceback")
