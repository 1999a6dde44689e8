"""The registry through which the engine reaches domain code.

A BPMN service task names an operator (`spiffworkflow:serviceTaskOperator id="deadline.remind"`);
the domain registers a handler for that name when its app is ready. The handler runs inside
the engine's transaction; side effects outside the database belong in `transaction.on_commit`.

A handler that writes rows can hand them to the step instead (`call.step.collect`): the engine
writes them when it saves the step, in the same transaction, so the six timers of a case a
sweep fires write their rows in a few statements rather than a few per timer (the sweeper
goes further: once per batch of instances). If the step fails, nothing it collected is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import ProcessInstance


Flush = Callable[[list[Any]], None]


class StepContext:
    """What the handlers called during one engine step share until the step is saved.

    `cache` holds what a handler read and a later one may reuse. It lives as long as the
    transaction: one step, or for the sweeper a whole batch, whose instances are `batch` (a
    handler may read for all of them at once). Read under row locks, it stays current: keep
    in it only what no other process changes without the instance's lock. The sweeper empties
    it when a step fails, since that step may have left it ahead of the database.
    `collect` batches writes. A context the engine does not save (a handler called outside a
    step) writes each item at once.
    """

    def __init__(
        self,
        *,
        deferred: bool = False,
        cache: dict[Any, Any] | None = None,
        batch: Sequence[ProcessInstance] = (),
    ) -> None:
        self.deferred = deferred
        self.cache: dict[Any, Any] = cache if cache is not None else {}
        self.batch = batch
        self._batches: dict[Flush, list[Any]] = {}

    def collect(self, flush: Flush, item: Any) -> None:
        """Add `item` to the batch that `flush(items)` writes when the step is saved."""
        if not self.deferred:
            flush([item])
            return
        self._batches.setdefault(flush, []).append(item)

    def absorb(self, other: StepContext) -> None:
        """Take over what `other` collected (a sweep batch gathers its steps' writes)."""
        for flush, items in other._batches.items():
            self._batches.setdefault(flush, []).extend(items)
        other._batches.clear()

    def write(self) -> None:
        """Write every batch, in the order their first items were collected (engine only)."""
        while self._batches:
            flush = next(iter(self._batches))
            flush(self._batches.pop(flush))


@dataclass(frozen=True)
class ServiceCall:
    """What a handler is told about the call: the parameters and where it comes from."""

    operator: str
    params: dict[str, Any]
    instance: ProcessInstance
    bpmn_id: str
    lane: str
    now: datetime
    step: StepContext = field(default_factory=StepContext)


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
