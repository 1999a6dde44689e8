"""Bounds: code that runs past its budget is stopped with a clear error, timers outside a sane
range and recursive call activities are refused at deploy, files and names have limits."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation

from tests.workflows import hostile
from workflows import engine
from workflows.definitions import DefinitionError, deploy_documents, deploy_files
from workflows.documents import MAX_FILE_BYTES
from workflows.errors import ProcessFailed
from workflows.models import ProcessDefinition, ProcessInstance

pytestmark = pytest.mark.django_db


APPENDED_TREE = (
    "x = [1]\nfor i in range(80):\n    y = []\n    y.append(x)\n    y.append(x)\n    x = y\n"
)


def deploy(text: str, dmn: dict[str, str] | None = None) -> None:
    deploy_documents([("bounded.bpmn", text.encode())], dmn or {})


def start(data: dict[str, object] | None = None) -> ProcessInstance:
    return engine.start_process("hostile", subject_type="test", subject_id=1, data=data)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (hostile.script("while True:\n    pass"), "ran past its"),
        (hostile.script("n = 0\nwhile n >= 0:\n    n = n + 1"), "ran past its"),
        (hostile.script("x = [1]\nfor i in range(100):\n    x = x + x"), "elements"),
        (hostile.script("x = [1]\nfor i in range(100):\n    x = [x, x]"), "elements"),
        (hostile.script("s = 'a' * 10 ** 10"), "10,000,000,000 elements"),
        (hostile.script("s = 'x'.ljust(10 ** 9)"), "elements"),
        (hostile.script("s = (1).to_bytes(10 ** 10, 'big')"), "elements"),
        (hostile.script("s = '%0999999999d' % 1"), "format width"),
        (hostile.gateway_condition("9 ** 9 ** 9 > 0"), "bits"),
        (hostile.gateway_condition("(1 << 10 ** 9) > 0"), "bits"),
        (
            hostile.script("f = lambda f, n: n and f(f, n - 1) + f(f, n - 1)\nx = f(f, 60)"),
            "ran past its",
        ),
        (hostile.script("def f(n):\n    return f(n + 1)\nx = f(0)"), "RecursionError"),
        (hostile.script("x = sum([[1]] * 1000, [])"), "numbers only"),
        # Shared trees that hashing, comparing or saving would walk for ever, in C:
        (hostile.script("t = (1,)\nfor i in range(80):\n    t = (t, t)\ns = {t}"), "elements"),
        (hostile.script(APPENDED_TREE + "t = tuple(x)\ns = {t}"), "elements"),
        (hostile.script(APPENDED_TREE + "z = sorted([x, x])"), "elements"),
        (hostile.script("x = []\nx.append(x)"), "elements"),
    ],
)
def test_code_that_runs_away_is_stopped_with_a_clear_error_and_nothing_is_saved(
    db: None, document: str, reason: str
) -> None:
    # None of these is refused at deploy: each is stopped when it runs ("ran past its" budget
    # of operations, or of time on a machine busy enough to be slower).
    deploy(document)
    began = time.monotonic()
    with translation.override("en"), pytest.raises(ProcessFailed) as exc:
        start()
    assert time.monotonic() - began < 30
    assert reason in str(exc.value)
    assert "“step”" in str(exc.value)
    assert ProcessInstance.objects.count() == 0


def test_a_bpmn_cycle_that_never_waits_is_stopped(db: None) -> None:
    deploy(hostile.loop("count < 10 ** 9"))
    began = time.monotonic()
    with translation.override("en"), pytest.raises(ProcessFailed, match="a loop"):
        start()
    assert time.monotonic() - began < 60
    assert ProcessInstance.objects.count() == 0


def test_a_bpmn_cycle_that_ends_runs_to_its_end(db: None) -> None:
    deploy(hostile.loop("count < 50"))
    instance = start()
    assert instance.state == ProcessInstance.State.COMPLETED
    [end] = [t for t in engine.load(instance).get_tasks() if t.task_spec.bpmn_id == "end"]
    assert end.data["count"] == 50


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("timeDuration", '"P999999999Y"', "longer than"),
        ("timeDuration", '"PT99999999999S"', "longer than"),
        ("timeDuration", '"three days"', "not an ISO 8601 duration"),
        ("timeCycle", '"R/PT0S"', "under one second"),
        ("timeCycle", '"R5/PT0.0001S"', "under one second"),
        ("timeCycle", '"R99999999/PT1H"', "repeats more than"),
        ("timeDate", '"9999-12-31T00:00:00"', "years from today"),
        ("timeDate", '"0001-01-01T00:00:00"', "years from today"),
        ("timeDate", '"yesterday"', "not an ISO 8601 date"),
    ],
)
def test_a_constant_timer_outside_a_sane_range_is_refused_at_deploy(
    db: None, kind: str, value: str, reason: str
) -> None:
    with translation.override("en"), pytest.raises(DefinitionError) as exc:
        deploy(hostile.timer(kind, value))
    assert reason in exc.value.reason
    assert exc.value.element.startswith("step") and exc.value.line
    assert ProcessDefinition.objects.exclude(filename="one_door.bpmn").count() == 0


def test_a_sane_constant_timer_deploys_and_waits(db: None) -> None:
    deploy(hostile.timer("timeDuration", '"PT1H"'))
    began = timezone.now()
    due = start().next_timer_at
    # It waits at the timer, due an hour from its start.
    assert due is not None
    assert began + timedelta(minutes=59) <= due <= timezone.now() + timedelta(minutes=61)


@pytest.mark.parametrize(
    ("value", "reason"),
    [("P999999999Y", "longer than"), ("P5000D", "longer than"), ("soon", "ISO")],
)
def test_a_computed_timer_outside_a_sane_range_fails_the_step(
    db: None, value: str, reason: str
) -> None:
    deploy(hostile.timer("timeDuration", "wait"))
    began = time.monotonic()
    with translation.override("en"), pytest.raises(ProcessFailed) as exc:
        start({"wait": value})
    assert time.monotonic() - began < 10
    assert reason in str(exc.value) and "“step”" in str(exc.value)


def test_a_computed_zero_period_cycle_fails_the_step(db: None) -> None:
    deploy(hostile.timer("timeCycle", "cycle"))
    with translation.override("en"), pytest.raises(ProcessFailed, match="under one second"):
        start({"cycle": "R/PT0S"})


@pytest.mark.parametrize(
    ("processes", "chain"),
    [
        (["hostile"], "hostile → hostile"),
        (["hostile", "helper"], "hostile → helper → hostile"),
        (["a", "b", "c"], "a → b → c → a"),
    ],
)
def test_a_call_activity_that_calls_its_own_process_is_refused_at_deploy(
    db: None, processes: list[str], chain: str
) -> None:
    with translation.override("en"), pytest.raises(DefinitionError) as exc:
        deploy(hostile.call_activity(processes))
    assert chain in exc.value.reason
    assert exc.value.element == f"{processes[-1]}_call (callActivity)" or exc.value.element
    assert exc.value.line


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(db: None, tmp_path: Path) -> None:
    big = tmp_path / "big.bpmn"
    padding = "<!--" + "x" * MAX_FILE_BYTES + "-->"
    big.write_text(hostile.script("x = 1").replace("<bpmn:process", padding + "<bpmn:process"))
    with translation.override("en"), pytest.raises(DefinitionError, match="the limit is"):
        deploy_files([big])
    with translation.override("en"), pytest.raises(DefinitionError, match="the limit is"):
        deploy_documents([("big.bpmn", big.read_bytes())], {})


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('id="hostile"', 'id="' + "p" * 201 + '"', "id is 201 characters"),
        ('id="step"', 'id="step" name="' + "名" * 201 + '"', "name is 201 characters"),
    ],
)
def test_a_name_too_long_to_store_is_refused_before_storing(
    db: None, old: str, new: str, reason: str
) -> None:
    text = hostile.script("x = 1").replace(old, new, 1)
    with translation.override("en"), pytest.raises(DefinitionError, match=reason):
        deploy(text)
    assert ProcessDefinition.objects.exclude(filename="one_door.bpmn").count() == 0


def test_a_file_name_too_long_to_store_is_refused(db: None) -> None:
    with translation.override("en"), pytest.raises(DefinitionError, match="file name is"):
        deploy_documents([("f" * 301 + ".bpmn", hostile.script("x = 1").encode())], {})


def test_a_computed_candidate_group_too_long_to_store_fails_the_step(db: None) -> None:
    deploy(hostile.user_task_property("'g' * 101"))
    with translation.override("en"), pytest.raises(ProcessFailed, match="the limit is 100"):
        start()
    assert ProcessInstance.objects.count() == 0
