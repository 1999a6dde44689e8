"""The registry through which the engine reaches domain code.

A BPMN service task names an operator (`spiffworkflow:serviceTaskOperator id="deadline.remind"`);
the domain registers a handler for that name when its app is ready. The handler runs inside
the engine's transaction; side effects outside the database belong in `transaction.on_commit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import ProcessInstance


@dataclass(frozen=True)
class ServiceCall:
    """What a handler is told about the call: the parameters and where it comes from."""

    operator: str
    params: dict[str, Any]
    instance: ProcessInstance
    bpmn_id: str
    lane: str
    now: datetime


Handler = Callable[[ServiceCall], dict[str, Any]]

_handlers: dict[str, Handler] = {}


def register(operator: str) -> Callable[[Handler], Handler]:
    """Decorator: make `fn` the handler of service tasks whose operator is `operator`."""

    def decorate(fn: Handler) -> Handler:
        _handlers[operator] = fn
        return fn

    return decorate


def get(operator: str) -> Handler | None:
    return _handlers.get(operator)


def registered() -> frozenset[str]:
    return frozenset(_handlers)


def unregister(operator: str) -> None:
    _handlers.pop(operator, None)
