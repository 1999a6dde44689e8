"""The difference between two versions of a process (workflows.versions), and deploy's
record of who deployed which file (the preview deploys nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import ONE_DOOR, TEST_BPMN
from workflows.definitions import DefinitionError, deploy_documents, preview_documents
from workflows.models import ProcessDefinition
from workflows.versions import ADDED, CHANGED, REMOVED, diff_versions

pytestmark = pytest.mark.django_db

VARIANT = TEST_BPMN / "one_door_section_review.bpmn"


def _deploy_variant(actor: Any = None) -> ProcessDefinition:
    # The variant's file stands in for one_door.bpmn (a county's edited copy of it).
    # The file holds one_door and the referral process it calls: one_door's version is compared.
    [result] = [
        r
        for r in deploy_documents([("one_door.bpmn", VARIANT.read_bytes())], {}, actor=actor)
        if r.definition.process_id == "one_door"
    ]
    assert result.created
    return result.definition


def _changes(diff: Any) -> set[tuple[str, str, str]]:
    return {(c.kind, c.category, c.element) for c in diff.changes}


def test_an_added_step_is_listed_with_its_flows_and_lane(one_door: None) -> None:
    old = ProcessDefinition.objects.filter(process_id="one_door").latest("version")
    new = _deploy_variant()
    diff = diff_versions(old, new)
    found = _changes(diff)
    assert (ADDED, "step", "section_review") in found
    assert (ADDED, "flow", "flow_to_split") in found
    # The acceptance flow now leads to the review, not to the split.
    assert (CHANGED, "flow", "flow_accepted") in found
    assert (CHANGED, "lane", "lane_window") in found
    assert (CHANGED, "step", "split_case") in found
    assert not any(kind == REMOVED for kind, _cat, _el in found)
    [lane] = [c for c in diff.changes if c.category == "lane"]
    assert "科长复核" in lane.detail
    marks = diff.marks()
    assert marks["new"]["section_review"] == ADDED
    assert marks["new"]["flow_accepted"] == CHANGED
    # Going back: the step is removed, marked on the old diagram (the variant's).
    back = diff_versions(new, old)
    assert (REMOVED, "step", "section_review") in _changes(back)
    assert back.marks()["old"]["section_review"] == REMOVED


def test_a_version_compared_with_itself_differs_in_nothing(one_door: None) -> None:
    old = ProcessDefinition.objects.filter(process_id="one_door").latest("version")
    assert diff_versions(old, old).identical


def test_timers_and_expressions_changed_are_listed(one_door: None) -> None:
    old = ProcessDefinition.objects.filter(process_id="one_door").latest("version")
    text = ONE_DOOR.read_text()
    assert "accepted == True" in text
    edited = text.replace("accepted == True", "accepted == True and True")
    [result] = [
        r
        for r in deploy_documents([("one_door.bpmn", edited.encode())], {})
        if r.definition.process_id == "one_door"
    ]
    diff = diff_versions(old, result.definition)
    [condition] = [c for c in diff.changes if c.category == "expression"]
    assert condition.element == "flow_accepted"
    assert "accepted == True and True" in condition.detail


def test_deploy_records_who_and_the_preview_stores_nothing(one_door: None) -> None:
    root = get_user_model().objects.create_superuser("root", password="x")
    before = ProcessDefinition.objects.count()
    [preview, _called] = preview_documents([("one_door.bpmn", VARIANT.read_bytes())], {})
    assert ProcessDefinition.objects.count() == before
    assert preview.latest is not None and not preview.unchanged
    assert preview.definition.version == preview.latest.version + 1
    new = _deploy_variant(actor=root)
    assert new.deployed_by == root
    # The same file again: unchanged, as deploy would answer.
    [again, _called] = preview_documents([("one_door.bpmn", VARIANT.read_bytes())], {})
    assert again.unchanged
    # Another file name for the same process id is refused, as deploy_processes refuses it.
    with pytest.raises(DefinitionError, match="--replace"):
        preview_documents([("other.bpmn", ONE_DOOR.read_bytes())], {})
