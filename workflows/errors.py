"""Errors the engine room raises to its callers, with messages fit to show a user."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class EngineError(Exception):
    """Base class: the message is written for the person who tried the action."""


class ProcessNotDeployed(EngineError):
    pass


class TaskNotFound(EngineError):
    def __init__(self, task_id: Any) -> None:
        super().__init__(f"任务不存在 (task {task_id} does not exist)")


class TaskAlreadyCompleted(EngineError):
    """A colleague completed the task first; nothing was changed."""

    def __init__(self, task_name: str, completed_by: str, completed_at: datetime | None) -> None:
        self.completed_by = completed_by
        self.completed_at = completed_at
        when = completed_at.isoformat(timespec="seconds") if completed_at else ""
        super().__init__(
            f"“{task_name}”已由 {completed_by} 于 {when} 完成，本次操作未作任何更改 "
            f"(already completed by {completed_by})"
        )


class TaskNotAvailable(EngineError):
    """The task is no longer waiting for anyone (cancelled, or a timer moved the process on)."""

    def __init__(self, task_name: str) -> None:
        super().__init__(
            f"“{task_name}”已不在待办状态，流程已发生变化，请刷新页面 (task is no longer open)"
        )


class InvalidTaskData(EngineError):
    pass


class MessageNotExpected(EngineError):
    def __init__(self, message_name: str) -> None:
        super().__init__(
            f"流程当前不在等待消息“{message_name}” (process is not waiting for '{message_name}')"
        )


class ProcessFailed(EngineError):
    """The engine could not advance the process (a script, expression or handler failed)."""
