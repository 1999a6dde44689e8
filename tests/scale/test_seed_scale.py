"""seed_scale: clones of real one-door runs are realistic, consistent and stay workable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db.models import Max, Min
from django.utils import timezone

from onedoor.cases import services
from onedoor.cases.models import Case, Referral, SupervisionNotice
from onedoor.households.idnumber import validate_id_number
from onedoor.households.models import Member
from workflows import engine
from workflows.models import HumanTask, ProcessInstance
from workflows.projections import parse_timestamp
from workflows.runtime import load_state, spec_cache
from workflows.timers import fire_due_timers

from .conftest import CASES

pytestmark = pytest.mark.django_db


def officer_of(referral: Referral) -> Any:
    return get_user_model().objects.get(username=f"officer-{referral.agency.code}")


def test_it_makes_every_state_over_two_years(scale_data: dict[str, Any]) -> None:
    assert Case.objects.count() == CASES
    stages = set(Case.objects.values_list("stage", flat=True))
    assert {"case_closed", "application_refused", "review_application", "split_case"} <= stages
    assert {"referral_work", "notify_applicant", "close_case"} <= stages
    open_steps = set(
        Referral.objects.open().values_list("current_task__bpmn_id", flat=True).distinct()
    )
    assert {"sign_for_referral", "handle_referral", "approve_extension"} <= open_steps
    assert {"await_materials", "reroute_referral"} <= open_steps
    assert Referral.objects.filter(escalation_level=2).exists()
    assert Referral.objects.filter(returns__gt=0).exists()
    assert Referral.objects.filter(transfers__gt=0).exists()
    assert Referral.objects.overdue().exists()
    span = Case.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] - span["first"] > timedelta(days=600)
    assert span["last"] <= timezone.now()


def test_members_have_valid_unique_id_numbers(scale_data: dict[str, Any]) -> None:
    numbers = list(Member.objects.values_list("id_number", flat=True))
    assert len(numbers) == len(set(numbers))
    for number in numbers[:: max(1, len(numbers) // 500)]:
        validate_id_number(number)


def test_projections_agree_with_the_cloned_engine_state(scale_data: dict[str, Any]) -> None:
    """Open task rows are the state's READY user tasks; due dates were shifted alike in the
    projections and in the serialized task data the timers read."""
    running = ProcessInstance.objects.filter(state=ProcessInstance.State.RUNNING)[:150]
    assert running
    for instance in running:
        workflow = load_state(bytes(instance.serialized), spec_cache.get(instance.definition_id))
        ready = set(engine.ready_user_tasks(workflow))
        rows = set(
            HumanTask.objects.filter(instance=instance, state=HumanTask.State.OPEN).values_list(
                "task_id", flat=True
            )
        )
        assert ready == rows, instance.pk
    for referral in Referral.objects.filter(current_task__bpmn_id="handle_referral")[:50]:
        task = referral.current_task
        assert task is not None
        assert str(task.properties["referralId"]) == str(referral.pk)
        assert task.candidate_group == referral.agency.code
        clock = engine.task_data(task.task_id)["clock"]
        assert parse_timestamp(clock["due_at"]) == referral.due_at == task.due_at


def test_cloned_cases_can_be_worked_by_the_services(scale_data: dict[str, Any]) -> None:
    now = timezone.now()
    handling = Referral.objects.filter(
        current_task__bpmn_id="handle_referral", due_at__gt=now
    ).select_related("agency", "current_task")[0]
    assert handling.current_task is not None
    services.give_feedback(
        handling.current_task,
        actor=officer_of(handling),
        outcome="granted",
        amount_fen=50000,
        note="已救助",
    )
    handling.refresh_from_db()
    assert handling.current_task is None and handling.outcome == "granted"

    signing = Referral.objects.filter(current_task__bpmn_id="sign_for_referral").select_related(
        "agency", "current_task"
    )[0]
    assert signing.current_task is not None
    services.sign_referral(signing.current_task, actor=officer_of(signing), decision="sign")
    signing.refresh_from_db()
    assert signing.current_task is not None
    assert signing.current_task.bpmn_id == "handle_referral"

    case = Case.objects.filter(stage="review_application").select_related("township")[0]
    window = get_user_model().objects.get(username=f"window-{case.township.code}")
    task = HumanTask.objects.get(
        subject_type="case", subject_id=str(case.pk), state=HumanTask.State.OPEN
    )
    services.review_application(task, actor=window, accepted=True)
    case.refresh_from_db()
    assert case.stage == "split_case"


def test_cloned_timers_fire_on_their_own_referrals(scale_data: dict[str, Any]) -> None:
    """Months later every waiting timer is due: the real sweeper fires them all without a
    failure, and each 督办 it raises belongs to the case whose process raised it."""
    before = set(SupervisionNotice.objects.values_list("pk", flat=True))
    with time_machine.travel(timezone.now() + timedelta(days=90), tick=False):
        result = fire_due_timers()
    assert result.fired > 0 and result.failed == 0
    raised = SupervisionNotice.objects.exclude(pk__in=before).select_related("referral__case")
    assert raised.exists()
    for notice in raised[:100]:
        case = notice.referral.case
        assert case.process is not None
        assert case.process.subject_id == str(case.pk)
        assert notice.referral.is_open
