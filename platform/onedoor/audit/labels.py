"""What each audit code means to the people reading a timeline."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

# A context of their own: the same English as a notification may read differently in Chinese
# (a timeline entry 申请延期 vs the coordinator's notice 部门申请延期).
ACTION_LABELS = {
    "case.registered": pgettext_lazy("audit action", "Application registered"),
    "case.accepted": pgettext_lazy("audit action", "Application accepted"),
    "case.refused": pgettext_lazy("audit action", "Application refused"),
    "case.referred": pgettext_lazy("audit action", "Items referred to agencies"),
    "case.notified": pgettext_lazy("audit action", "Applicant notified"),
    "case.closed": pgettext_lazy("audit action", "Case closed and filed"),
    "case.consent_recorded": pgettext_lazy("audit action", "Consent to share information recorded"),
    "household.updated": pgettext_lazy(
        "audit action", "Household income and circumstances updated"
    ),
    "household.member_updated": pgettext_lazy("audit action", "Household member updated"),
    "household.member_added": pgettext_lazy("audit action", "Household member added"),
    "case.step_overdue": pgettext_lazy("audit action", "Window step overdue"),
    "task.completed": pgettext_lazy("audit action", "Step completed"),
    "referral.signed": pgettext_lazy("audit action", "Signed for"),
    "referral.returned": pgettext_lazy("audit action", "Returned to the window"),
    "referral.transferred": pgettext_lazy("audit action", "Transferred to another agency"),
    "referral.rerouted": pgettext_lazy("audit action", "Referred again"),
    "referral.withdrawn": pgettext_lazy("audit action", "Item withdrawn"),
    "referral.feedback": pgettext_lazy("audit action", "Outcome reported"),
    "referral.reminder": pgettext_lazy("audit action", "Reminder before the due date"),
    "referral.overdue": pgettext_lazy("audit action", "Overdue: level-1 supervision"),
    "referral.escalated": pgettext_lazy("audit action", "Still overdue: level-2 supervision"),
    "referral.supervised": pgettext_lazy(
        "audit action", "Supervised by the joint-conference office"
    ),
    "referral.supervised_leader": pgettext_lazy(
        "audit action", "Level-2 supervision by the joint-conference office"
    ),
    "referral.supervision_answered": pgettext_lazy("audit action", "Supervision answered"),
    "referral.reassigned": pgettext_lazy("audit action", "Reassigned within the agency"),
    "referral.extension_requested": pgettext_lazy("audit action", "Extension requested"),
    "referral.extension_approved": pgettext_lazy("audit action", "Extension approved"),
    "referral.extension_refused": pgettext_lazy("audit action", "Extension refused"),
    "referral.materials_requested": pgettext_lazy(
        "audit action", "Missing materials requested, clock stopped"
    ),
    "referral.materials_received": pgettext_lazy(
        "audit action", "Materials received, clock resumed"
    ),
    "time_limit_rule.added": pgettext_lazy("audit action", "Time-limit rule added"),
    "time_limit_rule.changed": pgettext_lazy("audit action", "Time-limit rule changed"),
    "time_limit_rule.deleted": pgettext_lazy("audit action", "Time-limit rule deleted"),
    "calendar_day.added": pgettext_lazy("audit action", "Calendar adjustment added"),
    "calendar_day.changed": pgettext_lazy("audit action", "Calendar adjustment changed"),
    "calendar_day.deleted": pgettext_lazy("audit action", "Calendar adjustment deleted"),
    "calendar_year.added": pgettext_lazy("audit action", "Year calendar entered"),
    "calendar_year.changed": pgettext_lazy("audit action", "Year calendar changed"),
    "calendar_year.deleted": pgettext_lazy("audit action", "Year calendar deleted"),
    "case.material_received": pgettext_lazy("audit action", "Material received"),
    "case.material_unticked": pgettext_lazy("audit action", "Material marked not received"),
    "case.attachment_added": pgettext_lazy("audit action", "Scanned document attached"),
    "staff.created": pgettext_lazy("audit action", "Account created"),
    "staff.changed": pgettext_lazy("audit action", "Account's role or scope changed"),
    "staff.deactivated": pgettext_lazy("audit action", "Account deactivated"),
    "staff.activated": pgettext_lazy("audit action", "Account reactivated"),
    "staff.password_reset": pgettext_lazy("audit action", "Password reset"),
    "agency.created": pgettext_lazy("audit action", "Agency added"),
    "agency.changed": pgettext_lazy("audit action", "Agency details changed"),
    "item.changed": pgettext_lazy("audit action", "Catalogue item changed"),
    "division.created": pgettext_lazy("audit action", "Township or village added"),
    "division.renamed": pgettext_lazy("audit action", "Township or village renamed"),
    "process.incident_opened": pgettext_lazy(
        "audit action", "Automatic step failed repeatedly: incident opened"
    ),
    "process.incident_retried": pgettext_lazy("audit action", "Incident retried"),
    "process.deployed": pgettext_lazy("audit action", "Process version deployed"),
    "process.migrated": pgettext_lazy("audit action", "Moved to a new process version"),
}


def label_for(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
