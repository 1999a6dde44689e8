"""In-process caches of the time-limit rules and the working calendars.

Every clock start (`deadline.start_step`) needs the rule in force for its item and step and the
calendar overrides around today; read from the database each time that was four or five
queries per clock. Both change only when an administrator edits them, so each process keeps
them in memory:

1. an edit saved or deleted in this process (admin, seed, shell) empties the caches at once,
   and again when its transaction commits, so this process never computes with the old value;
2. inside the transaction that made an edit nothing is cached until it ends, since it could
   still roll back;
3. other processes learn of an edit when their copy expires, DEADLINES_CACHE_SECONDS after
   it was read (0 turns the caches off).

Bulk updates that send no signals (`QuerySet.update`, `bulk_create`, raw SQL) are seen only
through (3); `flush` is seen at once (post_migrate).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save

from onedoor.catalogue.models import Item

from .models import CalendarDay, CalendarYear, TimeLimitRule
from .workdays import WorkingCalendar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Which outermost transaction of this thread has saved an edit not yet committed (or None).
_pending = threading.local()


def _caching_allowed() -> bool:
    block = getattr(_pending, "block", None)
    if block is None:
        return True
    connection = transaction.get_connection()
    if connection.in_atomic_block and connection.atomic_blocks[0] is block:
        return False
    # That transaction has ended. Committed: on_commit has emptied the caches already;
    # rolled back: nothing read inside it was kept. Emptying again costs one reload.
    _pending.block = None
    clear()
    return True


class TimedCache(Generic[K, V]):
    """Values by key, each kept DEADLINES_CACHE_SECONDS after it was loaded, at most `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        # Bumped by clear(): a load that started before an edit must not store what it read.
        self._generation = 0

    def get(self, key: K, load: Callable[[], V]) -> V:
        ttl = settings.DEADLINES_CACHE_SECONDS
        if ttl <= 0 or not _caching_allowed():
            return load()
        now = time.time()
        hit = self._entries.get(key)
        # Wall-clock time, compared both ways: a clock set back (or a test travelling in
        # time) expires the entry instead of keeping it for ever.
        if hit is not None and 0 <= now - hit[0] < ttl:
            return hit[1]
        generation = self._generation
        value = load()
        with self._lock:
            if generation == self._generation:
                self._entries[key] = (now, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()


# Every rule of the platform, by (step, item code or None for the general rule), newest
# first: the table holds a few rules per item of the catalogue.
RuleIndex = dict[tuple[str, str | None], list[TimeLimitRule]]
_rules: TimedCache[str, RuleIndex] = TimedCache(size=1)
# One calendar per (county, day it was loaded around): one load per county and day.
_calendars: TimedCache[tuple[str, date], WorkingCalendar] = TimedCache(size=512)
_hand_years: TimedCache[str, frozenset[int]] = TimedCache(size=1)


def _load_rules() -> RuleIndex:
    index: RuleIndex = {}
    rules = TimeLimitRule.objects.select_related("item").order_by("-effective_from", "-pk")
    for rule in rules:
        index.setdefault((rule.step, rule.item.code if rule.item else None), []).append(rule)
    return index


def rule_in_force(step: str, item_code: str | None, on: date) -> TimeLimitRule | None:
    """The rule for a step on a day: the item's own if it has one in force, else the general one
    (what `TimeLimitRule.objects.applicable` answers, from memory). Read-only: shared."""
    index = _rules.get("all", _load_rules)
    for code in (item_code, None) if item_code else (None,):
        for rule in index.get((step, code), ()):
            if rule.effective_from <= on and (rule.effective_to is None or rule.effective_to >= on):
                return rule
    return None


def working_calendar(start: date, county: str = "") -> WorkingCalendar:
    """`WorkingCalendar.load(start, county)`, from memory. Read-only: shared."""
    return _calendars.get((county, start), lambda: WorkingCalendar.load(start, county))


def hand_entered_years() -> frozenset[int]:
    """The years an administrator has entered by hand (CalendarYear)."""
    return _hand_years.get(
        "all", lambda: frozenset(CalendarYear.objects.values_list("year", flat=True))
    )


def clear() -> None:
    """Forget every cached rule and calendar (the next lookups read the database)."""
    _rules.clear()
    _calendars.clear()
    _hand_years.clear()


def _flushed(**kwargs: Any) -> None:
    clear()


def _edited(sender: type[Any], using: str = "default", **kwargs: Any) -> None:
    clear()
    connection = transaction.get_connection(using)
    if connection.in_atomic_block:
        _pending.block = connection.atomic_blocks[0]
        transaction.on_commit(clear, using=using)


# Items too: the rules are found by item code.
for _model in (TimeLimitRule, CalendarDay, CalendarYear, Item):
    post_save.connect(_edited, sender=_model, dispatch_uid=f"deadlines.cache.{_model.__name__}")
    post_delete.connect(_edited, sender=_model, dispatch_uid=f"deadlines.cache.{_model.__name__}")
# `flush` (and so every transactional test's teardown) empties the tables without a signal per
# row, then sends post_migrate.
post_migrate.connect(_flushed, dispatch_uid="deadlines.cache.flushed")
