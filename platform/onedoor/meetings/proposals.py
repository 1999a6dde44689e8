"""Free topics proposed by member units (成员单位提出议题): the liaison officer proposes a
policy question or a case with a reason; the office accepts it onto the candidates
(topics.py, rule 8) or declines it with a reason."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.cases.models import Case
from onedoor.cases.services import ActionError

from . import notify
from .models import MemberUnit, TopicProposal


def propose_topic(
    unit: MemberUnit,
    *,
    actor: User,
    kind: str,
    title: str,
    reason: str,
    case_reference: str = "",
) -> TopicProposal:
    """The unit's liaison officer proposes a topic; a case must be one the unit can see."""
    title, reason, case_reference = title.strip(), reason.strip(), case_reference.strip()
    if unit.liaison_id != getattr(actor, "pk", None) or not unit.active:
        raise ActionError(_("Only the unit's liaison officer proposes topics"))
    if kind not in TopicProposal.Kind.values:
        raise ActionError(_("Choose the kind of topic"))
    if not title:
        raise ActionError(_("Please give the topic a title"))
    if not reason:
        raise ActionError(_("Please say why the joint conference should discuss it"))
    case = None
    if kind == TopicProposal.Kind.CASE:
        if not case_reference:
            raise ActionError(_("Please give the reference of the case"))
        case = (
            Case.objects.visible_to(actor)
            .filter(reference=case_reference, township__parent=unit.conference.county)
            .first()
        )
        if case is None:
            raise ActionError(
                _("No case %(reference)s of your unit's was found") % {"reference": case_reference}
            )
    with transaction.atomic(durable=True):
        proposal = TopicProposal.objects.create(
            conference=unit.conference,
            agency=unit.agency,
            kind=kind,
            title=title[:200],
            reason=reason,
            case=case,
            proposed_by=actor,
        )
        log_action(
            "meeting.topic_proposed",
            actor=actor,
            case=case,
            data={"proposal": proposal.pk, "unit": unit.agency.code, "title": proposal.title},
        )
        notify.proposal_made(proposal)
    return proposal


def answer_proposal(
    proposal: TopicProposal, *, actor: User, accept: bool, reason: str
) -> TopicProposal:
    """The office accepts the proposal onto the candidate topics, or declines it with a reason."""
    reason = reason.strip()
    if not accept and not reason:
        raise ActionError(_("Please say why the topic is declined"))
    with transaction.atomic(durable=True):
        proposal = TopicProposal.objects.select_for_update(of=("self",)).get(pk=proposal.pk)
        if proposal.state != TopicProposal.State.PENDING:
            raise ActionError(
                _("This proposal was already answered by %(who)s") % {"who": proposal.answered_by}
            )
        proposal.state = TopicProposal.State.ACCEPTED if accept else TopicProposal.State.DECLINED
        proposal.answer = reason
        proposal.answered_by, proposal.answered_at = actor, timezone.now()
        proposal.save(update_fields=["state", "answer", "answered_by", "answered_at"])
        log_action(
            "meeting.proposal_accepted" if accept else "meeting.proposal_declined",
            actor=actor,
            case=proposal.case,
            data={"proposal": proposal.pk, "title": proposal.title, "reason": reason},
        )
        notify.proposal_answered(proposal)
    return proposal
