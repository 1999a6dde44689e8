"""Errors the engine room raises to its callers, with messages fit to show a user.

Messages are translated when the error is raised, in the language of the request at hand
(the timer sweeper, outside any request, writes the default language into `last_error`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _


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
