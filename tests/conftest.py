"""Shared fixtures: the run's baseline, fast password hashing, and the engine tests' helpers.

The people are in tests/personas.py (Alice works the window of 文化路街道, Bob is an officer
of the medical-security bureau, Carol of education, Dave coordinates 海港区, ...), registered
here as a plugin so every folder shares one meaning per name. The data they stand on (海港区,
the catalogue, the one-door process) is seeded once per run: tests/baseline.py.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
)
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from tests.baseline import (
    ONE_DOOR,
    baseline_present,
    empty_every_table,
    ensure_baseline,
    seed_baseline,
)
from workflows import engine, handlers, stepping
from workflows.definitions import deploy_files
from workflows.handlers import ServiceCall
from workflows.models import HumanTask, ProcessInstance
from workflows.runtime import EngineSubWorkflow, EngineWorkflow

pytest_plugins = ["tests.personas", "tests.demo_setup"]

__all__ = ["ONE_DOOR"]  # imported from here by the engine tests

TEST_BPMN = Path(__file__).parent / "workflows" / "bpmn"
TOWNSHIP = "130302001"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under pytest-xdist (`make pytest`), the tests of tests/scale go to one worker as one unit:
    the scale data set they stand on is seeded once per worker that runs any of them (~40 s).
    (xdist's own `--dist loadgroup` stopped grouping with pytest 9.2: pytest-xdist#1386.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ScaleTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "tests/scale" if nodeid.startswith("tests/scale/") else nodeid

    return ScaleTogether(config, log)


# The longest units of the run (the scale data set, make demo's setup, the bad-input walk):
# started first, so that the two workers of `make pytest` end together rather than one
# running a long test alone at the end.
LONGEST_FIRST = (
    "tests/scale/",
    "tests/test_demo.py",
    "tests/test_sqlite_live.py",
    "tests/cases/test_bad_input.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest first, after pytest-django's order (plain db tests, then transactional,
    then those without a database): none of the longest is transactional, so no test moves
    ahead of one that empties the tables; the demo's run in subprocesses, on SQLite."""

    def rank(item: pytest.Item) -> int:
        found = [i for i, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)]
        return found[0] if found else len(LONGEST_FIRST)

    items.sort(key=rank)


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """MD5 for the suite's passwords: PBKDF2 spends ~0.5 s on each user by design, which was
    most of the suite's setup. Logins still go through the real form and backends (tests/e2e);
    production settings keep PBKDF2."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """pytest-django's test database, with the baseline committed once (tests/baseline.py)."""
    with django_db_blocker.unblock():
        seed_baseline()


@pytest.fixture(scope="session", autouse=True)
def transactional_tests_emptied_by_delete() -> Iterator[None]:
    """A transactional test (transactional_db, live_server) ends with its rows deleted
    (tests/baseline.py, empty_every_table) rather than Django's `flush`: TRUNCATE of every table
    was ~1 s of each such test's teardown, the DELETEs are ~0.03 s. Django's
    TransactionTestCase, which pytest-django runs them as, empties the database in
    `_fixture_teardown`; TestCase, the plain `db` tests, rolls back and never calls it."""
    from django.test import TransactionTestCase

    def emptied(self: TransactionTestCase) -> None:
        empty_every_table()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", emptied)
        yield


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    """As pytest-django decides it: a django_db(transaction=True) or reset_sequences marker, or
    the transactional_db or live_server fixture."""
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        return True
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return False
    transaction = marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
    return bool(transaction or marker.kwargs.get("reset_sequences"))


@pytest.fixture(autouse=True)
def platform_language() -> Iterator[None]:
    """Each test starts in the platform's language, as every process does: a request in English
    earlier in the same worker (LocaleMiddleware activates the language a request asks for and
    leaves it active in the thread) must not turn a later command's or sweep's words English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def transactional_tests_start_empty(request: pytest.FixtureRequest) -> None:
    """A transactional test starts on empty tables, as it was written to: the first one empties
    the baseline (the others start after a flush). Autouse, so it runs before the test's own
    fixtures; those that need the baseline (county, one_door) seed it again."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        if baseline_present():
            empty_every_table()


class Recorder:
    """Calls of the test.record service handler, safe across threads."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []
        self.lock = threading.Lock()

    def __call__(self, call: ServiceCall) -> dict[str, Any]:
        if call.params.get("explode"):
            raise RuntimeError("handler exploded on purpose")
        with self.lock:
            self.calls.append((call.instance.pk, call.bpmn_id))
        return {"ok": True}


recorder = Recorder()
handlers.register("test.record")(recorder)


def _spiffworkflows_own_serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's serializer as its documentation configures it for Spiff-parsed
    workflows, told that the engine's workflow classes are its own (they only walk faster)."""
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    BpmnWorkflowConverter(EngineWorkflow, registry, BpmnWorkflow.__name__)
    BpmnSubWorkflowConverter(EngineSubWorkflow, registry, BpmnSubWorkflow.__name__)
    return BpmnWorkflowSerializer(registry)


spiffworkflows_own = _spiffworkflows_own_serializer()


@pytest.fixture(autouse=True)
def saved_states_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every state the engine saves, in every test, is SpiffWorkflow's own serialize_json of
    the workflow with the spec left out (the engine restores it by reference): the engine's
    converter re-implements the part of SpiffWorkflow's that it keeps, and this is where a
    difference after an upgrade would show."""
    plain = engine.dump_state

    def checked(workflow: Any) -> bytes:
        stored = plain(workflow)
        theirs = json.loads(spiffworkflows_own.serialize_json(workflow))
        del theirs["spec"], theirs["subprocess_specs"]
        assert json.loads(zlib.decompress(stored)) == theirs
        return stored

    # persist (workflows.stepping) serializes: checked where it looks dump_state up.
    monkeypatch.setattr(stepping, "dump_state", checked)


@pytest.fixture
def recorded() -> Iterator[Recorder]:
    with recorder.lock:
        recorder.calls.clear()
    yield recorder


@pytest.fixture
def one_door(db: None) -> None:
    """bpmn/one_door.bpmn deployed (part of the baseline, re-seeded if a flush emptied it)."""
    ensure_baseline()


def deploy_test_process(name: str) -> None:
    deploy_files([TEST_BPMN / name])


def open_tasks(instance: ProcessInstance, bpmn_id: str | None = None) -> list[HumanTask]:
    rows = HumanTask.objects.filter(instance=instance, state=HumanTask.State.OPEN).order_by("id")
    if bpmn_id:
        rows = rows.filter(bpmn_id=bpmn_id)
    return list(rows)


def open_task(instance: ProcessInstance, bpmn_id: str, group: str | None = None) -> HumanTask:
    rows = [t for t in open_tasks(instance, bpmn_id) if group is None or t.candidate_group == group]
    assert len(rows) == 1, f"expected one open {bpmn_id} ({group}), found {rows}"
    return rows[0]


def complete(
    instance: ProcessInstance, bpmn_id: str, actor: Any, group: str | None = None, **data: Any
) -> HumanTask:
    return engine.complete_task(open_task(instance, bpmn_id, group).task_id, actor=actor, data=data)


def feedback(
    instance: ProcessInstance,
    actor: Any,
    group: str,
    outcome: str,
    amount_fen: int = 0,
    note: str = "",
) -> HumanTask:
    """The agency of `group` hands its referral back with an outcome (办理并反馈)."""
    return complete(
        instance,
        "handle_referral",
        actor,
        group=group,
        outcome=outcome,
        amount_fen=amount_fen,
        note=note,
    )


def start_case(subject_id: int = 1, actor: Any = None) -> ProcessInstance:
    return engine.start_process(
        "one_door",
        subject_type="engine-test",
        subject_id=subject_id,
        data={"township": TOWNSHIP, "county": "130302"},
        actor=actor,
    )


def refer(instance: ProcessInstance, actor: Any, *referrals: dict[str, Any]) -> None:
    complete(instance, "review_application", actor, accepted=True)
    complete(instance, "split_case", actor, referrals=list(referrals))


@pytest.fixture
def sessions_as_deployed(settings: Any) -> None:
    """Sessions read from a cache, as a deployment with its Redis reads them (settings.py),
    here a local one: whether a Redis runs beside the tests does not change statement counts."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
