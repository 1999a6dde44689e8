"""What the conference's audit codes mean on a timeline, added to the audit labels."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from onedoor.audit.labels import ACTION_LABELS

MEETING_LABELS = {
    "case.flagged_difficult": pgettext_lazy(
        "audit action", "Referred to the joint conference for study"
    ),
    "meeting.decision_applied": pgettext_lazy("audit action", "Joint conference decision"),
    "meeting.decision_reminder": pgettext_lazy(
        "audit action", "Joint conference decision due soon (reminder)"
    ),
    "meeting.decision_overdue": pgettext_lazy("audit action", "Joint conference decision overdue"),
    "meeting.decision_done": pgettext_lazy("audit action", "Joint conference decision carried out"),
    "meeting.decision_supervised": pgettext_lazy(
        "audit action", "Supervision notice on a joint conference decision"
    ),
    "meeting.decision_supervision_answered": pgettext_lazy(
        "audit action", "Supervision of a decision answered"
    ),
    "meeting.topic_proposed": pgettext_lazy("audit action", "Topic proposed by a member unit"),
    "meeting.proposal_accepted": pgettext_lazy("audit action", "Proposed topic accepted"),
    "meeting.proposal_declined": pgettext_lazy("audit action", "Proposed topic declined"),
    "conference.changed": pgettext_lazy("audit action", "Joint conference settings changed"),
    "conference.unit_changed": pgettext_lazy("audit action", "Member unit changed"),
    "conference.plenary_due": pgettext_lazy("audit action", "Reminder: no plenary for six months"),
    "meeting.planned": pgettext_lazy("audit action", "Meeting planned"),
    "meeting.topic_added": pgettext_lazy("audit action", "Topic added to the agenda"),
    "meeting.topic_removed": pgettext_lazy("audit action", "Topic removed from the agenda"),
    "meeting.agenda_submitted": pgettext_lazy("audit action", "Draft agenda sent out"),
    "meeting.position_submitted": pgettext_lazy("audit action", "Written position submitted"),
    "meeting.agenda_approved": pgettext_lazy("audit action", "Agenda approved"),
    "meeting.agenda_returned": pgettext_lazy("audit action", "Agenda sent back"),
    "meeting.held": pgettext_lazy("audit action", "Meeting held"),
    "meeting.minutes_submitted": pgettext_lazy("audit action", "Minutes submitted"),
    "meeting.minutes_issued": pgettext_lazy("audit action", "Minutes issued"),
    "meeting.minutes_returned": pgettext_lazy("audit action", "Minutes sent back"),
    "meeting.attendance": pgettext_lazy("audit action", "Attendance recorded"),
    "meeting.topic_noted": pgettext_lazy("audit action", "Note recorded on the topic"),
    "meeting.decision_recorded": pgettext_lazy("audit action", "Decision recorded"),
    "meeting.decision_removed": pgettext_lazy("audit action", "Decision removed"),
}
ACTION_LABELS.update(MEETING_LABELS)
