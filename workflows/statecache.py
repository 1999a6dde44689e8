"""Deserialized workflows kept between calls, so a busy instance is not rebuilt from JSON.

Rebuilding a one-door case from its stored JSON costs about a millisecond, a quarter of a
whole step. The engine instead keeps the BpmnWorkflow object it has just saved, keyed by
instance, and reuses it on the next call only when the row it has locked still holds the very
bytes it saved (a ~6 kB comparison, microseconds): whoever else wrote the state, another
process, a data migration, a clone or a restore, the entry no longer matches and the state is
rebuilt from storage as before. Revision numbers alone would trust every writer to bump them.

Why it is safe:
1. An entry is *taken* out of the cache, not shared: whoever takes it holds the instance's row
   lock, and nobody else can see the object while SpiffWorkflow mutates it in place.
2. It is put back only by `transaction.on_commit`, so a rolled-back step (an error, a refused
   message, a failed savepoint in the timer sweep) never leaves a dirty object behind: the
   taken entry is simply gone and the next call deserializes the committed state.
3. A put never replaces a newer revision with an older one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from uuid import UUID

from django.conf import settings
from django.db import connections, transaction
from SpiffWorkflow.bpmn import BpmnWorkflow

# (database alias, database name, instance id): ids repeat across databases (tests, bench).
Key = tuple[str, str, int]


@dataclass(frozen=True)
class CachedState:
    revision: int
    stored: bytes  # the serialized state as saved: the entry is valid while the row holds it
    workflow: BpmnWorkflow
    # The READY user tasks at save time, i.e. the instance's open HumanTask rows.
    ready: frozenset[UUID]


class WorkflowCache:
    """Least-recently-used workflows by instance; size 0 turns the cache off."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Key, CachedState] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(instance_id: int, using: str) -> Key:
        return (using, str(connections[using].settings_dict["NAME"]), instance_id)

    def take(self, instance_id: int, stored: bytes, *, using: str) -> CachedState | None:
        """Remove and return the entry if the locked row still holds its state, else None."""
        with self._lock:
            entry = self._items.pop(self.key(instance_id, using), None)
            if entry is not None and entry.stored == stored:
                self.hits += 1
                return entry
            self.misses += 1
            return None

    def keep_after_commit(self, instance_id: int, state: CachedState, *, using: str) -> None:
        """Cache `state` once the caller's transaction commits (never if it rolls back)."""
        if self.size <= 0:
            return
        key = self.key(instance_id, using)
        transaction.on_commit(lambda: self._put(key, state), using=using)

    def _put(self, key: Key, state: CachedState) -> None:
        with self._lock:
            current = self._items.get(key)
            if current is not None and current.revision > state.revision:
                return
            self._items[key] = state
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


# An open one-door case is ~160 kB in memory (87 tasks): 500 entries cost at most ~80 MB per
# process. Setting WORKFLOWS_STATE_CACHE_SIZE = 0 turns the cache off.
workflow_cache = WorkflowCache(getattr(settings, "WORKFLOWS_STATE_CACHE_SIZE", 500))
