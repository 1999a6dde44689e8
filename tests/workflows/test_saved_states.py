"""States stored by earlier versions of the engine keep loading, and their cases run to the end.

tests/workflows/states/ holds process instance rows' `serialized` bytes as the engine wrote
them at commit "tests: states saved by the engine as it was" (zlib of JSON, tasks in the
compact form of the time; one in SpiffWorkflow's own form, as rows were stored before that),
with the BPMN files they ran on and, per state, what that engine loaded from it in
SpiffWorkflow's own form (`*.expected.json.zlib`). manifest.json says each state's stage.
Never regenerate them with the current code: they stand for rows already in databases.
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
)
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import TaskState

from tests.conftest import refer, start_case
from workflows import engine
from workflows.definitions import deploy_files, latest_definition
from workflows.models import HumanTask, ProcessEvent, ProcessInstance
from workflows.projections import task_row
from workflows.runtime import EngineSubWorkflow, EngineWorkflow, spec_cache
from workflows.statecache import workflow_cache

pytestmark = pytest.mark.django_db

STATES = Path(__file__).parent / "states"
MANIFEST = json.loads((STATES / "manifest.json").read_text(encoding="utf-8"))
SAVED_AT = datetime.fromisoformat(MANIFEST["saved_at"])
REFERRALS = [
    {"item": "医疗救助", "agency": "health"},
    {"item": "教育救助", "agency": "education"},
]
# The form a clerk or an officer submits for each user task met on the way to the end.
ANSWERS: dict[str, dict[str, Any]] = {
    "review_application": {"accepted": True},
    "split_case": {"referrals": REFERRALS},
    "sign_for_referral": {"decision": "sign"},
    "approve_transfer": {"approved": True},
    "handle_referral": {"outcome": "granted", "amount_fen": 300, "note": ""},
    "notify_applicant": {"channel": "书面", "text": "已告知"},
    "close_case": {},
}
# The agencies that end up with the referrals (the test process's education referral is
# transferred to health).
AGENCIES = {
    "one_door.bpmn": ["health", "education"],
    "one_door_transfer_approval.bpmn": ["health", "housing"],
}
# Outcomes fed back before the state was saved, which the applicant must still be told.
FED_BACK = {
    "one_door_4_one_feedback.zlib": {"health": ("granted", 120000)},
    "one_door_5_to_notify.zlib": {"health": ("granted", 5000), "education": ("refused", 0)},
}


class OwnFormConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's own converter, the spec left out (the engine stores it by reference)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = BpmnWorkflowConverter.to_dict(self, workflow)
        del dct["spec"], dct["subprocess_specs"]
        return dct


def _own_form() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = OwnFormConverter
    registry = BpmnWorkflowSerializer.configure(config)
    OwnFormConverter(EngineWorkflow, registry, BpmnWorkflow.__name__)
    BpmnSubWorkflowConverter(EngineSubWorkflow, registry, BpmnSubWorkflow.__name__)
    return BpmnWorkflowSerializer(registry)


own_form = _own_form()


def restore_row(entry: dict[str, Any]) -> ProcessInstance:
    """The instance row as the database holds it, with the open task rows that were saved
    with it (the READY user tasks of its state, as every save writes them)."""
    deploy_files([STATES / entry["bpmn"]], replace=True)
    blob = (STATES / entry["state"]).read_bytes()
    instance = ProcessInstance.objects.create(
        definition=latest_definition("one_door"),  # both files are versions of one_door
        subject_type="saved-state",
        subject_id=entry["state"],
        serialized=blob,
        serializer_version=json.loads(zlib.decompress(blob))["serializer_version"],
    )
    workflow = engine.load(instance)
    now = SAVED_AT
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        task_row(instance, task, now).save()
    return instance


def work_to_the_end(instance: ProcessInstance, actor: Any) -> list[str]:
    """Complete whatever is open, as the people concerned would, until the case ends."""
    done: list[str] = []
    for _ in range(40):
        row = HumanTask.objects.filter(instance=instance, state="open").order_by("id").first()
        if row is None:
            break
        if row.bpmn_id == "notify_applicant":
            results = engine.task_data(row.task_id)["referral_results"]
            done.append(json.dumps(results, ensure_ascii=False, sort_keys=True))
        engine.complete_task(row.task_id, actor=actor, data=ANSWERS[row.bpmn_id])
        done.append(row.bpmn_id)
    return done


@pytest.fixture(autouse=True)
def _no_state_cache() -> Any:
    workflow_cache.clear()
    yield
    workflow_cache.clear()


@pytest.mark.parametrize("entry", MANIFEST["states"], ids=lambda e: e["state"])
def test_a_stored_state_loads_as_the_engine_that_saved_it_loaded_it(
    entry: dict[str, Any],
) -> None:
    with time_machine.travel(SAVED_AT + timedelta(hours=1), tick=False):
        instance = restore_row(entry)
        loaded = engine.load(instance)
    expected = zlib.decompress(
        (STATES / entry["state"].replace(".zlib", ".expected.json.zlib")).read_bytes()
    )
    assert json.loads(own_form.serialize_json(loaded)) == json.loads(expected)
    open_ids = sorted(HumanTask.objects.filter(instance=instance).values_list("bpmn_id", flat=True))
    assert open_ids == entry["open"]


@pytest.mark.parametrize("entry", MANIFEST["states"], ids=lambda e: e["state"])
def test_a_case_saved_by_an_earlier_engine_is_worked_to_its_end(
    entry: dict[str, Any], alice: Any
) -> None:
    with time_machine.travel(SAVED_AT + timedelta(hours=1), tick=False):
        instance = restore_row(entry)
        done = work_to_the_end(instance, alice)
    instance.refresh_from_db()
    assert instance.state == ProcessInstance.State.COMPLETED, done
    assert instance.end_event and done[-1] == "close_case"
    assert ProcessEvent.objects.filter(instance=instance, kind="completed").count() == 1
    # The applicant is told the outcome of every referral, the ones fed back before the save
    # as they were fed back.
    [told] = [json.loads(line) for line in done if line.startswith("[")]
    outcomes = {r["agency"]: (r["outcome"], r["amount_fen"]) for r in told}
    expected = {agency: ("granted", 300) for agency in AGENCIES[entry["bpmn"]]}
    expected.update(FED_BACK.get(entry["state"], {}))
    assert outcomes == expected


def test_referrals_created_before_a_restart_still_join(one_door: None, alice: Any) -> None:
    """A web worker that starts after a case was split parses the spec anew: the referrals
    made before must still be merged when they end, or the case never reaches the window."""
    case = start_case(1, alice)
    refer(case, alice, *REFERRALS)
    spec_cache.clear()  # what a new process has: nothing parsed, nothing cached
    workflow_cache.clear()
    done = work_to_the_end(case, alice)
    case.refresh_from_db()
    assert case.state == ProcessInstance.State.COMPLETED, done
    assert "notify_applicant" in done
