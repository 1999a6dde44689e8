"""The sandbox holds at every place SpiffWorkflow evaluates Python: each escape is refused at
deploy, and a file stored past the deploy check still cannot escape when it runs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import translation

from tests.workflows import hostile
from workflows import engine
from workflows.definitions import DefinitionError, deploy_documents
from workflows.errors import EngineError
from workflows.models import HumanTask, ProcessDefinition
from workflows.runtime import RestrictedEnvironment

pytestmark = pytest.mark.django_db


def frame_walk_to(builtin_call: str) -> str:
    """The escape of issue 13: a generator's frame leads back to the real builtins."""
    return f"[x.gi_frame.f_back.f_back.f_builtins for x in [(y for y in [1])]][0]{builtin_call}"


def os_system(marker: Path) -> str:
    return frame_walk_to(f'["__import__"]("os").system("touch {marker}")')


def open_file(marker: Path) -> str:
    return frame_walk_to(f'["open"]("{marker}", "w")')


Build = Callable[[str], tuple[str, dict[str, str]]]

SITES: dict[str, Build] = {
    "script": lambda e: (hostile.script(e), {}),
    "pre_script": lambda e: (hostile.pre_script(e), {}),
    "post_script": lambda e: (hostile.pre_script(e, "postScript"), {}),
    "gateway_condition": lambda e: (hostile.gateway_condition(e), {}),
    "conditional_event": lambda e: (hostile.conditional_event(e), {}),
    "correlation": lambda e: (hostile.correlation(e), {}),
    "timer": lambda e: (hostile.timer("timeDate", e), {}),
    "loop_cardinality": lambda e: (hostile.multi_instance(cardinality=e), {}),
    "completion_condition": lambda e: (hostile.multi_instance(cardinality="2", completion=e), {}),
    "dmn_output_entry": lambda e: (
        hostile.business_rule(),
        {"hostile.dmn": hostile.dmn(output_entry=e)},
    ),
    "dmn_input_entry": lambda e: (
        hostile.business_rule(),
        {"hostile.dmn": hostile.dmn(input_entry=e)},
    ),
    "dmn_input_expression": lambda e: (
        hostile.business_rule(),
        {"hostile.dmn": hostile.dmn(input_expression=e)},
    ),
    "task_property": lambda e: (hostile.user_task_property(e), {}),
}


START_DATA = {"items": [1], "township": "x", "classification": "dibao"}


def store_bypassing_the_check(text: str, dmn: dict[str, str]) -> ProcessDefinition:
    """A definition row as a deploy from before the check (or a restore) could have left."""
    return ProcessDefinition.objects.create(
        process_id="hostile",
        version=1,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        filename="hostile.bpmn",
        source=text,
        dependencies=dmn,
    )


def assert_readable(message: str) -> None:
    for raw in ("Traceback", "0x", "<Element"):
        assert raw not in message


@pytest.mark.parametrize("site", sorted(SITES))
@pytest.mark.parametrize("escape", [os_system, open_file])
def test_an_escape_is_refused_at_deploy_naming_file_element_line_and_construct(
    db: None, tmp_path: Path, site: str, escape: Callable[[Path], str]
) -> None:
    marker = tmp_path / "escaped"
    text, dmn = SITES[site](escape(marker))
    with translation.override("en"), pytest.raises(DefinitionError) as exc:
        deploy_documents([("hostile.bpmn", text.encode())], dmn)
    error = exc.value
    assert error.filename in ("hostile.bpmn", "hostile.dmn")
    assert error.element and error.line
    assert "f_builtins" in error.reason and "internals" in error.reason
    assert_readable(str(error))
    assert ProcessDefinition.objects.exclude(filename="one_door.bpmn").count() == 0
    assert not marker.exists()


@pytest.mark.parametrize("site", sorted(SITES))
@pytest.mark.parametrize("escape", [os_system, open_file])
def test_a_file_stored_past_the_check_still_cannot_escape_when_it_runs(
    db: None, tmp_path: Path, site: str, escape: Callable[[Path], str]
) -> None:
    marker = tmp_path / "escaped"
    text, dmn = SITES[site](escape(marker))
    store_bypassing_the_check(text, dmn)
    with translation.override("en"):
        try:
            instance = engine.start_process(
                "hostile", subject_type="test", subject_id=1, data=START_DATA
            )
            for row in HumanTask.objects.filter(instance=instance, state=HumanTask.State.OPEN):
                engine.complete_task(row.task_id, actor=None, data={})  # a post-script runs
        except EngineError as exc:
            assert "f_builtins" in str(exc) and "refused" in str(exc)
            assert_readable(str(exc))
        else:
            # Only a task property is evaluated where a failure does not stop the process
            # (the inbox row says nobody may take it).
            assert site == "task_property"
            assert HumanTask.objects.get(instance=instance).candidate_group == ""
    assert not marker.exists()


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("(y for y in [1]).send", "generator"),
        ("len.x", "builtin_function_or_method"),
        ("township.upper.x", "function"),
    ],
)
def test_attributes_of_anything_but_plain_data_are_refused_at_run_time(
    source: str, reason: str
) -> None:
    # Names the compiler lets through: the run-time guard is a fence of its own.
    with translation.override("en"), pytest.raises(Exception, match=reason):
        RestrictedEnvironment().evaluate(source, {"township": "x"})


def test_task_data_cannot_bring_the_real_builtins_back() -> None:
    env = RestrictedEnvironment()
    with pytest.raises(Exception, match="open"):
        env.evaluate("open('/etc/passwd')", {"__builtins__": __builtins__})
    with pytest.raises(Exception, match="_getattr_"):
        env.evaluate("_getattr_", {})
