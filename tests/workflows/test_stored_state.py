"""The stored state: SpiffWorkflow's own serialization without the spec, loading to the same
workflow, older compact rows rewritten into the form SpiffWorkflow's migrations know."""

from __future__ import annotations

import copy
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS

from tests.conftest import complete, feedback, refer, spiffworkflows_own, start_case
from workflows import compact, engine
from workflows.definitions import deploy_files
from workflows.models import ProcessInstance
from workflows.runtime import dump_state, load_state, serializer, spec_cache

pytestmark = pytest.mark.django_db

STATES = Path(__file__).parent / "states"
REFERRALS = (
    {"item": "医疗救助", "agency": "health"},
    {"item": "教育救助", "agency": "education"},
)


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


def spec_of(workflow: BpmnWorkflow) -> Any:
    return spec_cache.get(ProcessInstance.objects.get().definition_id)


def test_the_stages_are_the_cases_own(one_door: None, alice, bob, carol) -> None:
    sizes = [
        (stage, len(workflow.subprocesses)) for stage, workflow in case_stages(alice, bob, carol)
    ]
    assert sizes == [("started", 0), ("referred", 2), ("signed", 2), ("closed", 2)]


def test_a_saved_state_is_spiffworkflows_own_serialization_without_the_spec(
    one_door: None, alice, bob, carol
) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        ours = json.loads(zlib.decompress(dump_state(workflow)))
        theirs = json.loads(spiffworkflows_own.serialize_json(workflow))
        assert theirs.pop("spec")["name"] == "one_door", stage
        theirs.pop("subprocess_specs")
        assert ours == theirs, stage
        assert ours[serializer.VERSION_KEY] == serializer.VERSION


def test_a_state_without_its_spec_is_refused_plainly(one_door: None, alice) -> None:
    case = start_case(actor=alice)
    case.refresh_from_db()
    dct = json.loads(zlib.decompress(bytes(case.serialized)))
    serializer.migrate(dct)
    with pytest.raises(ValueError, match="pass spec="):
        serializer.from_dict(dct)


def test_a_state_loads_and_saves_to_the_same_bytes(one_door: None, alice, bob, carol) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        stored = dump_state(workflow)
        loaded = load_state(stored, spec_of(workflow))
        assert dump_state(loaded) == stored, stage
        assert {t.id: t.data for t in loaded.get_tasks()} == {
            t.id: t.data for t in workflow.get_tasks()
        }, stage


def test_a_state_in_spiffworkflows_own_form_is_not_rewritten_on_load(
    one_door: None, alice, bob, carol
) -> None:
    for stage, workflow in case_stages(alice, bob, carol):
        dct = json.loads(zlib.decompress(dump_state(workflow)))
        before = copy.deepcopy(dct)
        compact.expand(dct)
        assert dct == before, stage


def _compact_rows(bpmn: str | None = None) -> list[bytes]:
    """Rows saved in the compact form (tests/workflows/test_saved_states.py), of one file."""
    manifest = json.loads((STATES / "manifest.json").read_text(encoding="utf-8"))
    return [
        (STATES / entry["state"]).read_bytes()
        for entry in manifest["states"]
        if entry["form"] == "compact" and bpmn in (None, entry["bpmn"])
    ]


def test_compact_rows_expand_to_tasks_in_spiffworkflows_own_form() -> None:
    rows = _compact_rows()
    assert len(rows) >= 5
    for row in rows:
        dct = json.loads(zlib.decompress(row))
        compact.expand(dct)
        for workflow in [dct, *dct["subprocesses"].values()]:
            for key, task in workflow["tasks"].items():
                assert task["id"] == key and task["typename"] == "Task"
                assert set(task) == {
                    "id",
                    "parent",
                    "children",
                    "last_state_change",
                    "state",
                    "task_spec",
                    "triggered",
                    "internal_data",
                    "data",
                    "delta",
                    "typename",
                }
                # Every parent lists its child, as SpiffWorkflow's own form has it.
                if task["parent"] is not None:
                    assert key in workflow["tasks"][task["parent"]]["children"]


def test_an_older_version_stamp_hands_the_migrations_spiffworkflows_own_form(
    one_door: None, alice, bob, carol, monkeypatch
) -> None:
    seen: list[bool] = []

    def migration(dct: dict[str, Any]) -> None:
        workflows = [dct, *dct["subprocesses"].values()]
        seen.append(all("id" in t for w in workflows for t in w["tasks"].values()))

    monkeypatch.setitem(MIGRATIONS, "0.9-test", migration)
    *_, (_stage, workflow) = case_stages(alice, bob, carol)
    current = spec_of(workflow)
    # The compact rows were saved on the one-door file of their day (its referrals an embedded
    # subprocess), and load with its spec, as a stored row loads with its own version's.
    [saved_with] = deploy_files([STATES / "one_door.bpmn"])
    theirs = spec_cache.get(saved_with.definition.pk)
    rows = [(dump_state(workflow), current)]
    rows += [(row, theirs) for row in _compact_rows("one_door.bpmn")]
    for row, spec in rows:
        dct = json.loads(zlib.decompress(row))
        assert dct[serializer.VERSION_KEY] == serializer.VERSION
        dct[serializer.VERSION_KEY] = "0.9-test"
        older = zlib.compress(json.dumps(dct).encode())
        assert dump_state(load_state(older, spec)) == dump_state(load_state(row, spec))
    assert seen == [True] * len(rows)


def test_a_typed_value_in_task_data_is_restored_after_loading(
    one_door: None, alice, bob, carol
) -> None:
    _stage, workflow = next(s for s in case_stages(alice, bob, carol) if s[0] == "signed")
    task = next(t for t in workflow.get_tasks() if t.state == 64 and t.parent is not None)
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    task.data["checked_at"] = when
    loaded = load_state(dump_state(workflow), spec_of(workflow))
    assert loaded.get_task_from_id(task.id).data["checked_at"] == when
