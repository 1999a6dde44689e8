"""The embedded sweeper (`manage.py run_timers`) outlives whatever one sweep meets: a locked
SQLite file, a broken query, a bug; it logs, waits and sweeps again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from workflows.management.commands import run_timers
from workflows.timers import SweepResult


@pytest.fixture
def sweeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Scripted sweeps: each entry is raised (an exception) or returned (a result)."""
    script: list[Any] = []
    waits: list[float] = []

    def sweep(**kwargs: Any) -> SweepResult:
        outcome = script.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    monkeypatch.setattr(run_timers, "fire_due_timers", sweep)
    monkeypatch.setattr(run_timers, "pause", lambda stop, seconds: waits.append(seconds))
    yield script


def test_the_sweeper_retries_a_locked_database_and_survives_any_error(
    sweeps: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    sweeps += [
        OperationalError("database is locked"),
        RuntimeError("a bug in a handler"),
        OperationalError("database is locked"),
        SweepResult(claimed=2, fired=3),
    ]
    out = StringIO()
    with caplog.at_level(logging.WARNING, logger="workflows"):
        call_command("run_timers", "--once", "--interval", "5", stdout=out)
    assert "fired 3 timer(s)" in out.getvalue()
    assert sweeps == []
    logged = [r.getMessage() for r in caplog.records]
    assert sum("database is locked" in m for m in logged) == 2
    assert any("a bug in a handler" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_once_gives_up_after_repeated_failures_with_the_error(sweeps: list[Any]) -> None:
    sweeps += [RuntimeError("the database is gone")] * run_timers.ONCE_ATTEMPTS
    with pytest.raises(CommandError, match="the database is gone"):
        call_command("run_timers", "--once", stdout=StringIO())
