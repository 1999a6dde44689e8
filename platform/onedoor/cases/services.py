"""Every change to cases and referrals goes through a function here.

Each runs in one transaction, advances the process through the engine room, and writes
exactly one audit event; notifications follow from the audit event on commit.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.catalogue.models import Item
from onedoor.deadlines.workdays import working_days_between
from onedoor.directory.models import Agency
from workflows import engine
from workflows.models import HumanTask, ProcessInstance

from .models import (
    ApplicantNotice,
    Case,
    Handover,
    Referral,
    describe,
)

PROCESS_ID = "one_door"


class ActionError(Exception):
    """Input the action cannot accept; the message is shown to the user as it is."""


def lock_process(instance_id: int | None) -> None:
    """Take the process instance's row lock: the first statement of every action's transaction.

    One lock order everywhere: the engine and the timer sweeper lock the instance and then
    write the case's rows (referral projections, escalation levels, 督办). An action that
    wrote a referral first and locked the instance second deadlocked with a sweep firing
    that referral's timer (seen on PostgreSQL). Under the lock, the domain rows read next are
    the ones the last step left: the action sees what the sweep just did, or the sweep waits.
    """
    if instance_id is not None:
        # Only the lock: the engine reads the row (and its state) itself.
        list(
            ProcessInstance.objects.select_for_update()
            .filter(pk=instance_id)
            .values_list("pk", flat=True)
        )


def referral_process_id(referral: Referral) -> int | None:
    """The process instance that runs the referral: the one holding its open task (the case's
    one-door process, or the referral's own when it was made on a joint-conference decision),
    else the case's."""
    open_in = (
        HumanTask.objects.filter(pk=referral.current_task_id).values_list("instance_id", flat=True)
        if referral.current_task_id is not None
        else None
    )
    found = open_in.first() if open_in is not None else None
    if found is not None:
        return int(found)
    process_id: int | None = (
        Case.objects.filter(pk=referral.case_id).values_list("process_id", flat=True).get()
    )
    return process_id


def _complete(task: HumanTask, actor: User, data: dict[str, Any]) -> None:
    engine.complete_task(task.task_id, actor=actor, data=data)


def review_application(task: HumanTask, *, actor: User, accepted: bool, reason: str = "") -> Case:
    if not accepted and not reason.strip():
        raise ActionError(_("Refusing an application needs a reason"))
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        case = Case.objects.get(pk=int(task.subject_id))
        before = describe(case)
        _complete(task, actor, {"accepted": accepted, "refusal_reason": reason.strip()})
        case.refresh_from_db()
        log_action(
            "case.accepted" if accepted else "case.refused",
            actor=actor,
            case=case,
            before=before,
            after=describe(case),
            data={"reason": reason.strip()},
        )
    return case


def refer_case(task: HumanTask, *, actor: User, choices: list[tuple[Item, Agency]]) -> Case:
    """分办: send each requested item to an agency."""
    case = Case.objects.select_related("township").get(pk=int(task.subject_id))
    if not case.consent_to_share:
        raise ActionError(
            _(
                "The applicant has not yet agreed to share information with the agencies, "
                "so the case cannot be referred: record the consent on the case page "
                "(“Record consent”) once it is given, then refer the case"
            )
        )
    if not choices:
        raise ActionError(_("Refer at least one item"))
    county = case.township.parent
    for _item, agency in choices:
        if agency.county_id != (county.pk if county else None):
            raise ActionError(
                _("%(agency)s is not a member agency of this county") % {"agency": agency}
            )
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        # One INSERT for them all (Referral.save's township, given here).
        referrals = Referral.objects.bulk_create(
            Referral(case=case, township_id=case.township_id, item=item, agency=agency)
            for item, agency in choices
        )
        _complete(
            task,
            actor,
            {
                "referrals": [
                    {
                        "id": r.pk,
                        "item": r.item.name,
                        "item_code": r.item.code,
                        "agency": r.agency.code,
                    }
                    for r in referrals
                ]
            },
        )
        # Its township kept: the agencies' notifications name the case's county.
        case.refresh_from_db(from_queryset=Case.objects.select_related("township"))
        log_action(
            "case.referred",
            actor=actor,
            case=case,
            after={
                "referrals": [{"item": r.item.code, "agency": r.agency.code} for r in referrals]
            },
        )
    return case


def _with_relations() -> Any:
    """A referral with what its audit event and notifications read of it (the case with its
    township and county, the agency, the item): read in its one statement."""
    return Referral.objects.select_related("case__township__parent", "agency", "item")


def reread(referral: Referral) -> None:
    """The referral as the step left it (the projection moved its step, due time and maybe
    its agency), in one statement without joins: the case and item it was read with are kept
    (no step changes which case or item a referral is of; the case's own stage is as read
    before the step), its agency too unless the step moved it to another."""
    agency = referral.agency if Referral.agency.is_cached(referral) else None
    referral.refresh_from_db(fields=_OWN_FIELDS)
    if agency is not None and agency.pk == referral.agency_id:
        referral.agency = agency


# Every field of a referral's own row but what never changes once it is made.
_OWN_FIELDS = [
    f.name for f in Referral._meta.concrete_fields if f.name not in {"id", "case", "item"}
]


def _referral_of(task: HumanTask) -> Referral:
    rid = task.properties.get("referralId")
    referral = _with_relations().filter(pk=rid).first()
    if referral is None:
        raise ActionError(_("This task belongs to no referral"))
    return referral


def sign_referral(
    task: HumanTask,
    *,
    actor: User,
    decision: str,
    reason: str = "",
    transfer_to: Agency | None = None,
) -> Referral:
    """签收, or 退回 with a reason, or 移交 to the agency really responsible."""
    reason = reason.strip()
    if decision == "transfer" and transfer_to is None:
        raise ActionError(_("Choose the agency to transfer to"))
    if decision in {"return", "transfer"} and not reason:
        raise ActionError(_("Returning or transferring needs a reason"))
    if decision not in {"sign", "return", "transfer"}:
        raise ActionError(_("Invalid decision"))
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        referral = _referral_of(task)
        if (
            decision == "transfer"
            and transfer_to is not None
            and transfer_to.pk == referral.agency_id
        ):
            raise ActionError(_("A referral cannot be transferred to its own agency"))
        before = describe(referral)
        data: dict[str, Any] = {"decision": decision, "reason": reason}
        if decision == "transfer":
            assert transfer_to is not None
            data["transfer_to"] = transfer_to.code
            referral.transfers += 1
            referral.officer = None
        elif decision == "return":
            referral.returns += 1
            referral.officer = None
        else:
            referral.signed_at = timezone.now()
            referral.officer = actor
        referral.save(update_fields=["transfers", "returns", "signed_at", "officer"])
        if decision != "sign":
            # Credited to this agency, which the referral is about to leave.
            Handover.objects.create(
                referral=referral,
                kind=decision,
                from_agency_id=referral.agency_id,
                to_agency=transfer_to,
                reason=reason,
                actor=actor,
            )
        _complete(task, actor, data)
        reread(referral)
        action = {
            "sign": "referral.signed",
            "return": "referral.returned",
            "transfer": "referral.transferred",
        }[decision]
        log_action(
            action,
            actor=actor,
            referral=referral,
            before=before,
            after=describe(referral),
            data={"reason": reason},
        )
    return referral


def feedback_problem(item: Item, outcome: str, amount_fen: int | None, note: str) -> str | None:
    """What is missing from a 反馈 on `item`, in words for the officer (None: nothing).

    Granted help must be accountable: where the catalogue says the item pays money, the
    amount paid; where it gives a service or goods, a note of what was given."""
    if outcome not in Referral.Outcome.values or outcome == Referral.Outcome.WITHDRAWN:
        return _("Please choose the outcome")
    if outcome == Referral.Outcome.REFUSED and not note.strip():
        return _("Refusing assistance needs a reason")
    if outcome == Referral.Outcome.GRANTED:
        if item.pays_money and not amount_fen:
            return _("“%(item)s” pays money: granting it needs the amount granted") % {"item": item}
        if not item.pays_money and not note.strip():
            return _("“%(item)s” pays no money: granting it needs a note of what was given") % {
                "item": item
            }
    return None


def give_feedback(
    task: HumanTask, *, actor: User, outcome: str, amount_fen: int | None, note: str
) -> Referral:
    """反馈: the agency's result for the referral (final: the referral goes back to the
    window). What it must carry is `feedback_problem`'s to say."""
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        referral = _referral_of(task)
        problem = feedback_problem(referral.item, outcome, amount_fen, note)
        if problem:
            raise ActionError(problem)
        before = describe(referral)
        referral.outcome, referral.amount_fen, referral.note = outcome, amount_fen, note.strip()
        referral.feedback_at = timezone.now()
        county = referral.case.township.parent
        referral.working_days_taken = working_days_between(
            timezone.localdate(referral.referred_at),
            timezone.localdate(referral.feedback_at),
            county.code if county else "",
        )
        referral.save(
            update_fields=["outcome", "amount_fen", "note", "feedback_at", "working_days_taken"]
        )
        _complete(
            task,
            actor,
            {
                "handling": "feedback",
                "outcome": outcome,
                "amount_fen": amount_fen or 0,
                "note": note.strip(),
            },
        )
        reread(referral)
        log_action(
            "referral.feedback",
            actor=actor,
            referral=referral,
            before=before,
            after=describe(referral),
        )
    return referral


def reroute_referral(
    task: HumanTask, *, actor: User, to: Agency | None, reason: str = ""
) -> Referral:
    """The window re-routes a returned referral to another agency, or withdraws it (to=None)."""
    if to is None and not reason.strip():
        raise ActionError(_("Withdrawing an item needs a reason"))
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        referral = _referral_of(task)
        before = describe(referral)
        if to is None:
            referral.outcome = Referral.Outcome.WITHDRAWN
            referral.note = reason.strip()
            referral.save(update_fields=["outcome", "note"])
        _complete(task, actor, {"reroute_to": to.code if to else "", "reason": reason.strip()})
        reread(referral)
        log_action(
            "referral.rerouted" if to else "referral.withdrawn",
            actor=actor,
            referral=referral,
            before=before,
            after=describe(referral),
            data={"reason": reason.strip()},
        )
    return referral


def notify_applicant(task: HumanTask, *, actor: User, channel: str, text: str) -> Case:
    """告知: record how and what the household was told."""
    case = Case.objects.get(pk=int(task.subject_id))
    if not text.strip():
        raise ActionError(_("Please write what the applicant was told"))
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        notice = ApplicantNotice.objects.create(
            case=case, channel=channel, text=text.strip(), notified_by=actor
        )
        _complete(task, actor, {"channel": channel, "notice_id": notice.pk})
        log_action("case.notified", actor=actor, case=case, data={"channel": channel})
    return case


def close_case(task: HumanTask, *, actor: User) -> Case:
    """办结."""
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        case = Case.objects.get(pk=int(task.subject_id))
        before = describe(case)
        _complete(task, actor, {})
        case.refresh_from_db()
        log_action("case.closed", actor=actor, case=case, before=before, after=describe(case))
    return case


def complete_generic_task(task: HumanTask, *, actor: User, approved: bool, note: str) -> None:
    """A user task the platform has no special form for (a step added in the BPMN file)."""
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        _complete(task, actor, {"approved": approved, "note": note.strip()})
        log_action(
            "task.completed",
            actor=actor,
            case=Case.objects.get(pk=int(task.subject_id)),
            data={
                "task": task.bpmn_id,
                "name": task.name,
                "approved": approved,
                "note": note.strip(),
            },
        )
