"""The stored state: tasks in workflows.compact's form, states in SpiffWorkflow's own form
(everything stored before it) still loading, and the serializer's migrations still fed the
form they know."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from tests.conftest import complete, feedback, open_task, refer, start_case
from workflows import compact, engine
from workflows.models import HumanTask, ProcessInstance
from workflows.runtime import (
    EngineSubWorkflow,
    EngineWorkflow,
    dump_state,
    load_state,
    serializer,
    spec_cache,
)
from workflows.statecache import workflow_cache

pytestmark = pytest.mark.django_db

REFERRALS = (
    {"item": "医疗救助", "agency": "health"},
    {"item": "教育救助", "agency": "education"},
)


class SpiffOwnForm(BpmnWorkflowConverter):
    """How states were stored before workflows.compact: SpiffWorkflow's own converters,
    the spec left out."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = BpmnWorkflowConverter.to_dict(self, workflow)
        del dct["spec"], dct["subprocess_specs"]
        return dct


def _own_form_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpiffOwnForm
    registry = BpmnWorkflowSerializer.configure(config)
    # The engine's workflow classes (runtime.EngineWorkflow), as SpiffWorkflow's own.
    SpiffOwnForm(EngineWorkflow, registry, BpmnWorkflow.__name__)
    BpmnSubWorkflowConverter(EngineSubWorkflow, registry, BpmnSubWorkflow.__name__)
    return BpmnWorkflowSerializer(registry)


own_form = _own_form_serializer()


def dump_own_form(workflow: BpmnWorkflow) -> bytes:
    """What dump_state wrote before the compact form (same stamp, same compression)."""
    return zlib.compress(own_form.serialize_json(workflow).encode(), 1)


@pytest.fixture
def no_state_cache() -> Iterator[None]:
    workflow_cache.clear()
    yield
    workflow_cache.clear()


def case_stages(alice: Any, bob: Any, carol: Any) -> Iterator[tuple[str, BpmnWorkflow]]:
    """A one-door case's workflow after each step, referrals (subprocesses) included."""

    def stored() -> BpmnWorkflow:
        case.refresh_from_db()  # engine.load reads the state the object holds
        return engine.load(case)

    case = start_case(actor=alice)
    yield "started", stored()
    refer(case, alice, *REFERRALS)
    yield "referred", stored()
    complete(case, "sign_for_referral", bob, group="health", decision="sign")
    complete(case, "sign_for_referral", carol, group="education", decision="sign")
    yield "signed", stored()
    complete(case, "handle_referral", bob, group="health", outcome="granted", amount_fen=1, note="")
    feedback(case, carol, "education", "refused", 0, "无")
    complete(case, "notify_applicant", alice, channel="书面", text="已告知")
    complete(case, "close_case", alice)
    workflow = stored()
    assert case.state == ProcessInstance.State.COMPLETED
    yield "closed", workflow


def test_the_stages_are_the_cases_own(one_door: None, alice, bob, carol) -> None:
    sizes = [
        (stage, len(workflow.subprocesses)) for stage, workflow in case_stages(alice, bob, carol)
    ]
    assert sizes == [("started", 0), ("referred", 2), ("signed", 2), ("closed", 2)]


def spec_of(workflow: BpmnWorkflow) -> Any:
    return spec_cache.get(ProcessInstance.objects.get().definition_id)


def test_compact_tasks_expand_to_spiffworkflows_own_dict(one_door: None, alice, bob, carol) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        ours = serializer.to_dict(workflow)
        compact.expand(ours)
        assert ours == own_form.to_dict(workflow), stage


def test_the_compact_form_leaves_out_what_spiffworkflow_can_work_out(
    one_door: None, alice, bob, carol
) -> None:
    *_, (_stage, workflow) = case_stages(alice, bob, carol)
    ours = len(zlib.decompress(dump_state(workflow)))
    theirs = len(zlib.decompress(dump_own_form(workflow)))
    assert ours < 0.7 * theirs, (ours, theirs)


def test_a_state_loads_and_saves_to_the_same_bytes(one_door: None, alice, bob, carol) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        stored = dump_state(workflow)
        assert dump_state(load_state(stored, spec_of(workflow))) == stored, stage


def test_a_state_stored_in_spiffworkflows_own_form_loads_as_the_same_workflow(
    one_door: None, alice, bob, carol
) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        loaded = load_state(dump_own_form(workflow), spec_of(workflow))
        assert dump_state(loaded) == dump_state(workflow), stage
        assert {t.id: t.data for t in loaded.get_tasks()} == {
            t.id: t.data for t in workflow.get_tasks()
        }, stage


def test_a_case_stored_in_spiffworkflows_own_form_is_worked_to_its_end(
    one_door: None, alice, bob, carol, no_state_cache: None
) -> None:
    """A deployment's running cases were all saved before the compact form."""
    case = start_case(actor=alice)
    refer(case, alice, *REFERRALS)
    complete(case, "sign_for_referral", bob, group="health", decision="sign")
    case.refresh_from_db()
    old = dump_own_form(engine.load(case))
    ProcessInstance.objects.filter(pk=case.pk).update(serialized=old)
    workflow_cache.clear()

    complete(case, "sign_for_referral", carol, group="education", decision="sign")
    complete(case, "handle_referral", bob, group="health", outcome="granted", amount_fen=9, note="")
    feedback(case, carol, "education", "refused", 0, "无")
    notify = open_task(case, "notify_applicant")
    outcomes = {
        r["agency"]: r["outcome"] for r in engine.task_data(notify.task_id)["referral_results"]
    }
    assert outcomes == {"health": "granted", "education": "refused"}
    complete(case, "notify_applicant", alice, channel="书面", text="已告知")
    complete(case, "close_case", alice)
    case.refresh_from_db()
    assert case.state == ProcessInstance.State.COMPLETED
    assert not HumanTask.objects.filter(instance=case, state=HumanTask.State.OPEN).exists()


def test_an_older_version_stamp_hands_the_migrations_spiffworkflows_own_form(
    one_door: None, alice, bob, carol, monkeypatch
) -> None:
    seen: list[bool] = []

    def migration(dct: dict[str, Any]) -> None:
        workflows = [dct, *dct["subprocesses"].values()]
        seen.append(all("id" in t for w in workflows for t in w["tasks"].values()))

    monkeypatch.setitem(MIGRATIONS, "0.9-test", migration)
    for stage, workflow in case_stages(alice, bob, carol):
        dct = json.loads(zlib.decompress(dump_state(workflow)))
        assert dct[serializer.VERSION_KEY] == serializer.VERSION
        dct[serializer.VERSION_KEY] = "0.9-test"
        older = zlib.compress(json.dumps(dct).encode())
        assert dump_state(load_state(older, spec_of(workflow))) == dump_state(workflow), stage
    assert seen == [True] * 4


def test_the_saved_text_is_serialize_json_with_and_without_kept_fragments(
    one_door: None, alice, bob, carol
) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        full = serializer.serialize_json(workflow)
        assert compact.state_json(serializer, workflow) == full, stage  # fragments made
        assert compact.state_json(serializer, workflow) == full, stage  # fragments used


def test_a_finished_tasks_text_is_used_again_until_what_it_was_made_of_changes(
    one_door: None, alice, bob, carol
) -> None:
    _stage, workflow = next(s for s in case_stages(alice, bob, carol) if s[0] == "signed")
    compact.state_json(serializer, workflow)
    referral = next(iter(workflow.subprocesses.values()))
    finished = [t for t in referral.tasks.values() if t.state in (64, 256)]  # done, cancelled
    predicted = [t for t in referral.tasks.values() if t.state in (1, 2, 4)]  # maybe..future
    kept = {
        id(t)
        for t in referral.tasks.values()
        if (not t.data and not t.internal_data)
        or (t in finished and (t.parent is None or t.parent in finished))
    }
    assert set(referral.fragments) == kept
    assert len(finished) > 5 and len(predicted) > 5
    task = finished[-1]
    fragment = referral.fragments[id(task)]
    fragment.text = fragment.text.replace(task.task_spec.name, "KEPT-TEXT")
    assert "KEPT-TEXT" in compact.state_json(serializer, workflow)  # not made again

    task.last_state_change += 1  # as when SpiffWorkflow sets its state again
    text = compact.state_json(serializer, workflow)
    assert "KEPT-TEXT" not in text
    assert text == serializer.serialize_json(workflow)

    # A task without data is written with its parent's data names (its delta deletes them):
    # a name added to a parent still at work makes the child's text again.
    empty = next(t for t in predicted if t.parent.data and t.parent not in finished)
    compact.state_json(serializer, workflow)
    assert id(empty) in referral.fragments
    empty.parent.data["new_name"] = 1
    text = compact.state_json(serializer, workflow)
    assert text == serializer.serialize_json(workflow)
    assert '"new_name"' in referral.fragments[id(empty)].text


def test_a_workflow_whose_data_holds_a_placeholder_is_saved_in_full(
    one_door: None, alice, bob, carol
) -> None:
    _stage, workflow = next(case_stages(alice, bob, carol))
    workflow.data["trap"] = compact._TextMode.placeholder(0)
    assert compact.state_json(serializer, workflow) == serializer.serialize_json(workflow)


def _mappings(workflow: Any) -> list[Any]:
    return [workflow, *workflow.subprocesses.values()]


def test_a_stored_state_is_read_as_json_loads_reads_it_with_each_tasks_text(
    one_door: None, alice, bob, carol
) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        text = zlib.decompress(dump_state(workflow)).decode()
        dct = compact.parse_state(text)
        assert dct == json.loads(text), stage
        mappings = [dct["tasks"], *(sub["tasks"] for sub in dct["subprocesses"].values())]
        for tasks in mappings:
            assert isinstance(tasks, compact.TaskTexts), stage
            assert list(tasks.texts) == list(tasks)
            for key, part in tasks.texts.items():
                assert json.loads("{" + part + "}") == {key: tasks[key]}
            assert "{" + ", ".join(tasks.texts.values()) + "}" in text  # the very text


def test_a_state_in_another_layout_is_read_by_json_loads(one_door: None, alice, bob, carol) -> None:
    _stage, workflow = next(s for s in case_stages(alice, bob, carol) if s[0] == "signed")
    stored = dump_state(workflow)
    text = json.dumps(json.loads(zlib.decompress(stored)), indent=1)
    dct = compact.parse_state(text)
    assert dct == json.loads(text)
    assert not isinstance(dct["tasks"], compact.TaskTexts)
    loaded = load_state(zlib.compress(text.encode()), spec_of(workflow))
    assert all(not w.fragments for w in _mappings(loaded))
    assert dump_state(loaded) == stored
    with pytest.raises(json.JSONDecodeError):
        compact.parse_state(zlib.decompress(stored).decode()[:-1])


def test_a_loaded_state_keeps_its_tasks_texts_for_the_next_save(
    one_door: None, alice, bob, carol
) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        stored = dump_state(workflow)
        loaded = load_state(stored, spec_of(workflow))
        seeded = {id(w): dict(w.fragments) for w in _mappings(loaded)}
        for w in _mappings(loaded):
            w.fragments.clear()
        assert compact.state_json(serializer, loaded) == zlib.decompress(stored).decode()
        for w in _mappings(loaded):  # what a save of the loaded workflow keeps: the same
            assert set(w.fragments) == set(seeded[id(w)]), stage
            for key, fragment in seeded[id(w)].items():
                assert w.fragments[key].text == fragment.text, stage
                assert w.fragments[key].made_of == fragment.made_of, stage

    # The next save writes a kept text as it is, not made again.
    loaded = load_state(stored, spec_of(workflow))
    referral = next(iter(loaded.subprocesses.values()))
    key, fragment = next(iter(referral.fragments.items()))
    fragment.text = fragment.text.replace(fragment.task.task_spec.name, "KEPT-TEXT")
    assert "KEPT-TEXT" in compact.state_json(serializer, loaded)


def test_a_typed_value_in_task_data_is_restored_after_loading(
    one_door: None, alice, bob, carol
) -> None:
    _stage, workflow = next(s for s in case_stages(alice, bob, carol) if s[0] == "signed")
    task = next(t for t in workflow.get_tasks() if t.state == 64 and t.parent is not None)
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    task.data["checked_at"] = when
    for w in _mappings(workflow):  # a finished task's data is SpiffWorkflow's to change no more
        w.fragments.clear()
    loaded = load_state(dump_state(workflow), spec_of(workflow))
    assert loaded.get_task_from_id(task.id).data["checked_at"] == when


def test_a_task_whose_loaded_data_would_be_written_in_another_order_is_written_anew(
    one_door: None, alice, bob, carol
) -> None:
    """A delta does not say where among its parent's names a task had its own names: loaded,
    they come after the parent's. Such a task's stored text is not kept, so the next save
    still writes what serialize_json writes."""
    _stage, workflow = next(s for s in case_stages(alice, bob, carol) if s[0] == "signed")
    task = next(
        t
        for t in workflow.get_tasks()
        if t.state == 64 and t.parent is not None and t.parent.state == 64 and t.parent.data
    )
    name = next(iter(task.parent.data))
    task.data = {"new_first": 1, **task.data, name: "changed"}
    for w in _mappings(workflow):
        w.fragments.clear()
    loaded = load_state(dump_state(workflow), spec_of(workflow))
    again = loaded.get_task_from_id(task.id)
    assert list(again.data) != list(task.data)  # the same content in another order
    assert again.data == task.data
    assert all(id(again) not in w.fragments for w in _mappings(loaded))
    assert compact.state_json(serializer, loaded) == serializer.serialize_json(loaded)
