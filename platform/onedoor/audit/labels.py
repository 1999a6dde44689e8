"""What each audit code means to the people reading a timeline."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "case.registered": _("登记申请"),
    "case.accepted": _("予以受理"),
    "case.refused": _("不予受理"),
    "case.referred": _("分办转办"),
    "case.notified": _("告知申请人"),
    "case.closed": _("办结归档"),
    "case.step_overdue": _("窗口环节逾期"),
    "task.completed": _("完成环节"),
    "referral.signed": _("签收"),
    "referral.returned": _("退回窗口"),
    "referral.transferred": _("移交其他部门"),
    "referral.rerouted": _("重新转办"),
    "referral.withdrawn": _("撤回事项"),
    "referral.feedback": _("反馈办理结果"),
    "referral.reminder": _("到期前催办"),
    "referral.overdue": _("逾期，一级督办"),
    "referral.escalated": _("逾期未办结，二级督办"),
    "referral.supervised": _("联席办督办"),
    "referral.supervision_answered": _("回复督办"),
    "referral.extension_requested": _("申请延期"),
    "referral.extension_approved": _("准予延期"),
    "referral.extension_refused": _("不予延期"),
    "referral.materials_requested": _("要求补正材料，暂停计时"),
    "referral.materials_received": _("补正材料已收到，恢复计时"),
    "time_limit_rule.added": _("新增时限规则"),
    "time_limit_rule.changed": _("修改时限规则"),
    "time_limit_rule.deleted": _("删除时限规则"),
    "calendar_day.added": _("新增日历调整"),
    "calendar_day.changed": _("修改日历调整"),
    "calendar_day.deleted": _("删除日历调整"),
    "calendar_year.added": _("录入年度日历"),
    "calendar_year.changed": _("修改年度日历"),
    "calendar_year.deleted": _("删除年度日历"),
}


def label_for(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
