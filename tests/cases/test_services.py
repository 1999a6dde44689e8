"""The one-door path through the domain services, with projections and audit."""

from __future__ import annotations

from typing import Any

import pytest

from onedoor.audit.models import AuditEvent
from onedoor.cases import registration, services, supervision
from onedoor.cases.models import ApplicantNotice, Case, Referral
from onedoor.directory.models import Agency

from .conftest import make_id_number, refer_all, register, task_of

pytestmark = pytest.mark.django_db


def test_registration_gives_a_reference_and_waits_for_review(alice) -> None:
    case = register(alice)
    assert case.reference.startswith("130302001-") and case.reference.endswith("-00001")
    assert (case.stage, case.stage_name) == ("review_application", "受理审查")
    assert case.household.members.count() == 2
    assert list(AuditEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "case.registered"
    ]


def test_a_registered_id_number_cannot_register_a_second_household(alice) -> None:
    register(alice, seq=1)
    with pytest.raises(services.ActionError, match="已登记"):
        register(alice, seq=1)
    assert Case.objects.count() == 1


def test_refusal_needs_a_reason_and_ends_with_a_written_notice(alice) -> None:
    case = register(alice)
    with pytest.raises(services.ActionError):
        services.review_application(
            task_of(case, "review_application"), actor=alice, accepted=False, reason=" "
        )
    services.review_application(
        task_of(case, "review_application"), actor=alice, accepted=False, reason="不符合条件"
    )
    case.refresh_from_db()
    assert (case.stage, case.stage_name) == ("application_refused", "不予受理")
    assert case.closed_at is not None
    notice = ApplicantNotice.objects.get(case=case)
    assert notice.kind == "refusal" and "不符合条件" in notice.text


def test_no_referral_without_the_applicants_consent(alice) -> None:
    case = register(alice, consent=False)
    services.review_application(task_of(case, "review_application"), actor=alice, accepted=True)
    with pytest.raises(services.ActionError, match="同意"):
        services.refer_case(
            task_of(case, "split_case"),
            actor=alice,
            choices=[
                (case.items.get(item__code="yiliao").item, Agency.objects.get(kind="medical"))
            ],
        )
    assert not Referral.objects.exists()


def test_two_agencies_in_parallel_and_the_case_closes_only_when_both_are_back(
    alice, bob, carol
) -> None:
    case = register(alice)
    refer_all(case, alice)
    case.refresh_from_db()
    assert case.stage_name == "部门协同办理"
    medical, education = (
        Referral.objects.get(agency__kind="medical"),
        Referral.objects.get(agency__kind="education"),
    )
    assert medical.step == "签收" and education.step == "签收"

    services.sign_referral(
        task_of(case, "sign_for_referral", medical.agency.code), actor=bob, decision="sign"
    )
    medical.refresh_from_db()
    assert (
        medical.step == "办理并反馈"
        and medical.due_at is not None
        and medical.signed_at is not None
    )
    services.give_feedback(
        task_of(case, "handle_referral", medical.agency.code),
        actor=bob,
        outcome="granted",
        amount_fen=150000,
        note="",
    )
    medical.refresh_from_db()
    assert not medical.is_open and medical.outcome == "granted"
    case.refresh_from_db()
    assert case.stage_name == "部门协同办理"  # education is not back yet

    services.sign_referral(
        task_of(case, "sign_for_referral", education.agency.code), actor=carol, decision="sign"
    )
    services.give_feedback(
        task_of(case, "handle_referral", education.agency.code),
        actor=carol,
        outcome="refused",
        amount_fen=None,
        note="不符合条件",
    )
    case.refresh_from_db()
    assert case.stage == "notify_applicant"
    services.notify_applicant(
        task_of(case, "notify_applicant"), actor=alice, channel="writing", text="医疗救助已批准"
    )
    services.close_case(task_of(case, "close_case"), actor=alice)
    case.refresh_from_db()
    assert (case.stage, case.closed_at is not None) == ("case_closed", True)


def test_return_and_reroute(alice, bob, carol) -> None:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    referral = Referral.objects.get()
    with pytest.raises(services.ActionError):
        services.sign_referral(
            task_of(case, "sign_for_referral"), actor=bob, decision="return", reason=""
        )
    services.sign_referral(
        task_of(case, "sign_for_referral"), actor=bob, decision="return", reason="非本部门职责"
    )
    referral.refresh_from_db()
    assert (referral.returns, referral.step) == (1, "退回件重新分办")
    services.reroute_referral(
        task_of(case, "reroute_referral"), actor=alice, to=Agency.objects.get(kind="health")
    )
    referral.refresh_from_db()
    assert referral.agency.kind == "health" and referral.step == "签收"


def _transferred_to_education(alice: Any, bob: Any) -> tuple[Case, Agency]:
    """A medical case Bob (medical security) transfers to education."""
    case = register(alice, "yiliao")
    refer_all(case, alice)
    education = Agency.objects.get(kind="education")
    services.sign_referral(
        task_of(case, "sign_for_referral"),
        actor=bob,
        decision="transfer",
        reason="属教育救助",
        transfer_to=education,
    )
    return case, education


def test_transfer_moves_the_referral_and_keeps_the_sender_informed(alice, bob, carol) -> None:
    case, education = _transferred_to_education(alice, bob)
    referral = Referral.objects.get()
    assert referral.agency == education and referral.transfers == 1
    assert task_of(case, "sign_for_referral").candidate_group == education.code


def test_every_service_call_writes_exactly_one_audit_event(alice, bob, dave) -> None:
    counts = []

    def count() -> int:
        return AuditEvent.objects.count()

    before = count()
    case = register(alice, "yiliao", seq=7)
    counts.append(count() - before)
    steps = [
        lambda: services.review_application(
            task_of(case, "review_application"), actor=alice, accepted=True
        ),
        lambda: services.refer_case(
            task_of(case, "split_case"),
            actor=alice,
            choices=[(case.items.get().item, Agency.objects.get(kind="medical"))],
        ),
        lambda: services.sign_referral(
            task_of(case, "sign_for_referral"), actor=bob, decision="sign"
        ),
        lambda: supervision.issue_supervision_notice(
            Referral.objects.get(), actor=dave, text="请加快办理"
        ),
        lambda: services.give_feedback(
            task_of(case, "handle_referral"), actor=bob, outcome="granted", amount_fen=1, note=""
        ),
        lambda: services.notify_applicant(
            task_of(case, "notify_applicant"), actor=alice, channel="phone", text="已获批"
        ),
        lambda: services.close_case(task_of(case, "close_case"), actor=alice),
    ]
    for step in steps:
        before = count()
        step()
        counts.append(count() - before)
    assert counts == [1] * 8
    events = AuditEvent.objects.filter(case=case)
    assert events.filter(
        action="referral.signed", actor=bob, actor_role="agency", actor_agency="130302-medical"
    ).exists()


def test_id_numbers_are_masked_in_the_audit_trail(alice) -> None:
    case = register(alice, seq=3)
    from onedoor.audit.actions import log_action

    event = log_action(
        "test.masking", actor=alice, case=case, data={"id_number": make_id_number(3)}
    )
    assert event.data["id_number"].count("*") == 10


def test_an_id_number_typed_differently_is_still_a_duplicate(alice) -> None:
    from onedoor.catalogue.models import Item
    from onedoor.directory.models import Division

    number = make_id_number(11)
    register(alice, seq=11)
    with pytest.raises(services.ActionError, match="已登记"):
        registration.register_application(
            actor=alice,
            township=Division.objects.get(code="130302001"),
            village=Division.objects.get(code="130302001001"),
            members=[
                registration.MemberData(
                    name="张三", id_number=f" {number.lower()} ", relation="head"
                )
            ],
            items=[Item.objects.get(code="yiliao")],
            channel=Case.Channel.WALK_IN,
            statement="",
            consent=True,
        )


def test_handovers_made_before_the_table_existed_are_filled_from_the_audit_trail(
    alice, bob
) -> None:
    from importlib import import_module

    from django.apps import apps

    from onedoor.cases.models import Handover

    migration = import_module("onedoor.cases.migrations.0006_handover")
    _transferred_to_education(alice, bob)
    fields = ("referral_id", "kind", "from_agency__kind", "to_agency__kind", "reason", "actor")
    made = list(Handover.objects.values_list(*fields))
    assert made == [
        (Referral.objects.get().pk, "transfer", "medical", "education", "属教育救助", bob.pk)
    ]
    Handover.objects.all().delete()
    migration.from_audit_trail(apps, None)
    assert list(Handover.objects.values_list(*fields)) == made
