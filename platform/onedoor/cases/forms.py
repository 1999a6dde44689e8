"""Forms of the window, agency and coordinator pages; each task form maps to one service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division
from onedoor.households.idnumber import normalize, validate_id_number
from onedoor.households.models import Household, Member
from workflows.models import HumanTask

from . import clock, services
from .models import ApplicantNotice, Case, Referral


class IntakeForm(forms.Form):
    village = forms.ModelChoiceField(label=_("村（社区）"), queryset=Division.objects.none())
    address = forms.CharField(label=_("详细地址"), required=False, max_length=200)
    classification = forms.ChoiceField(
        label=_("家庭类别"), choices=Household.Classification.choices
    )
    monthly_income_yuan = forms.DecimalField(
        label=_("家庭月收入（元）"),
        min_value=Decimal(0),
        decimal_places=2,
        max_digits=12,
        initial=0,
    )
    channel = forms.ChoiceField(label=_("申请渠道"), choices=Case.Channel.choices)
    statement = forms.CharField(label=_("困难情况"), widget=forms.Textarea(attrs={"rows": 3}))
    items = forms.ModelMultipleChoiceField(
        label=_("申请事项"),
        queryset=Item.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(label=_("申请人同意向有关部门共享家庭信息"), required=False)

    def __init__(self, *args: Any, township: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Division.objects.filter(parent=township)  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号码"), max_length=20)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Member.Relation.choices)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    work_capacity = forms.ChoiceField(label=_("劳动能力"), choices=Member.WorkCapacity.choices)
    disability = forms.ChoiceField(label=_("残疾等级"), choices=Member.Disability.choices)
    serious_illness = forms.BooleanField(label=_("重特大疾病"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the table shows no <label>: name each input
            field.widget.attrs["aria-label"] = str(field.label)

    def clean_id_number(self) -> str:
        value = normalize(self.cleaned_data["id_number"])
        validate_id_number(value)
        return value


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        numbers = [f.cleaned_data["id_number"] for f in self.forms if f.cleaned_data]
        if len(numbers) != len(set(numbers)):
            raise forms.ValidationError(_("同一身份证号码不能登记两次"))
        heads = [f for f in self.forms if f.cleaned_data and f.cleaned_data["relation"] == "head"]
        if len(heads) != 1:
            raise forms.ValidationError(_("请登记且仅登记一名户主"))


# One row to start with; 增加成员 adds more (a blank extra row would fail validation, since its
# selects always submit a value).
MemberFormSet = formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=0, min_num=1, validate_min=True
)


def _agencies(county: Division | None) -> Any:
    return Agency.objects.filter(county=county)


class ReviewForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("审查结论"),
        choices=[("yes", _("予以受理")), ("no", _("不予受理"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("不予受理理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SplitForm(forms.Form):
    """One agency choice per requested item, pre-filled from the catalogue."""

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = _agencies(case.township.parent)
        for case_item in case.items.select_related("item"):
            default = agencies.filter(kind=case_item.item.agency_kind).first()
            self.fields[f"item_{case_item.item_id}"] = forms.ModelChoiceField(
                label=case_item.item.name,
                queryset=agencies,
                initial=default,
                required=False,
                empty_label=_("（不转办）"),
            )

    def choices(self) -> list[tuple[Item, Agency]]:
        picked = []
        for name, agency in self.cleaned_data.items():
            if agency is not None:
                picked.append((Item.objects.get(pk=int(name.removeprefix("item_"))), agency))
        return picked


class SignForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("签收意见"),
        choices=[("sign", _("签收")), ("return", _("退回窗口")), ("transfer", _("移交其他部门"))],
        widget=forms.RadioSelect,
    )
    transfer_to = forms.ModelChoiceField(
        label=_("移交至"), queryset=Agency.objects.none(), required=False
    )
    reason = forms.CharField(
        label=_("退回或移交理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["transfer_to"].queryset = _agencies(case.township.parent)  # type: ignore[attr-defined]


class HandleForm(forms.Form):
    """办理: feed back the result, or ask for an extension, or ask for missing materials."""

    handling = forms.ChoiceField(
        label=_("办理操作"),
        choices=[
            ("feedback", _("反馈办理结果")),
            ("extend", _("申请延期")),
            ("suspend", _("要求补正材料（暂停计时）")),
        ],
        initial="feedback",
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("办理结果"),
        required=False,
        choices=[("", "---------")]
        + [c for c in Referral.Outcome.choices if c[0] != Referral.Outcome.WITHDRAWN],
    )
    amount_yuan = forms.DecimalField(
        label=_("救助金额（元）"),
        required=False,
        min_value=Decimal(0),
        decimal_places=2,
        max_digits=12,
    )
    note = forms.CharField(
        label=_("办理说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    extension_days = forms.IntegerField(
        label=_("延长工作日数"), required=False, min_value=1, max_value=60
    )
    reason = forms.CharField(
        label=_("延期理由或需补正的材料"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        handling = data.get("handling")
        if handling == "feedback" and not data.get("outcome"):
            self.add_error("outcome", _("请选择办理结果"))
        if handling == "extend" and not data.get("extension_days"):
            self.add_error("extension_days", _("请填写延长的工作日数"))
        if handling in {"extend", "suspend"} and not (data.get("reason") or "").strip():
            self.add_error("reason", _("请填写延期理由或需补正的材料"))
        return data


def _handle(task: HumanTask, user: Any, d: dict[str, Any]) -> object:
    if d["handling"] == "extend":
        return clock.request_extension(
            task, actor=user, days=d["extension_days"], reason=d["reason"]
        )
    if d["handling"] == "suspend":
        return clock.request_materials(task, actor=user, materials=d["reason"])
    return services.give_feedback(
        task, actor=user, outcome=d["outcome"], amount_fen=_fen(d["amount_yuan"]), note=d["note"]
    )


class ExtensionDecisionForm(forms.Form):
    approved = forms.TypedChoiceField(
        label=_("延期审批"),
        choices=[("yes", _("准予延期")), ("no", _("不予延期"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MaterialsReceivedForm(forms.Form):
    received = forms.BooleanField(label=_("申请人已补齐材料，恢复部门办理计时"))
    note = forms.CharField(
        label=_("收到的材料"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SupervisionAnswerForm(forms.Form):
    answer = forms.CharField(label=_("逾期原因"), widget=forms.Textarea(attrs={"rows": 2}))
    promised_date = forms.DateField(
        label=_("承诺办结日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RerouteForm(forms.Form):
    to = forms.ModelChoiceField(
        label=_("改派至"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("（撤回该事项）"),
    )
    reason = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = _agencies(case.township.parent)  # type: ignore[attr-defined]


class NotifyForm(forms.Form):
    channel = forms.ChoiceField(label=_("告知方式"), choices=ApplicantNotice.Channel.choices)
    text = forms.CharField(label=_("告知内容"), widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(forms.Form):
    confirm = forms.BooleanField(label=_("各事项均已告知申请人，确认办结归档"))


class GenericTaskForm(forms.Form):
    approved = forms.TypedChoiceField(
        label=_("意见"),
        choices=[("yes", _("同意")), ("no", _("不同意"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SupervisionForm(forms.Form):
    text = forms.CharField(
        label=_("督办意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        initial=_("该事项已超过办理时限，请于2个工作日内办结并反馈。"),
    )


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


@dataclass(frozen=True)
class TaskAction:
    """How a BPMN user task is worked in the UI: its form and the service it calls."""

    form: type[forms.Form]
    perform: Callable[[HumanTask, Any, dict[str, Any]], object]
    needs_case: bool = False


TASK_ACTIONS: dict[str, TaskAction] = {
    "review_application": TaskAction(
        ReviewForm,
        lambda t, u, d: services.review_application(
            t, actor=u, accepted=d["accepted"], reason=d["reason"]
        ),
    ),
    "split_case": TaskAction(
        SplitForm, lambda t, u, d: services.refer_case(t, actor=u, choices=d["choices"]), True
    ),
    "sign_for_referral": TaskAction(
        SignForm,
        lambda t, u, d: services.sign_referral(
            t, actor=u, decision=d["decision"], reason=d["reason"], transfer_to=d["transfer_to"]
        ),
        True,
    ),
    "handle_referral": TaskAction(HandleForm, _handle),
    "approve_extension": TaskAction(
        ExtensionDecisionForm,
        lambda t, u, d: clock.decide_extension(t, actor=u, approved=d["approved"], note=d["note"]),
    ),
    "await_materials": TaskAction(
        MaterialsReceivedForm,
        lambda t, u, d: clock.receive_materials(t, actor=u, note=d["note"]),
    ),
    "reroute_referral": TaskAction(
        RerouteForm,
        lambda t, u, d: services.reroute_referral(t, actor=u, to=d["to"], reason=d["reason"]),
        True,
    ),
    "notify_applicant": TaskAction(
        NotifyForm,
        lambda t, u, d: services.notify_applicant(t, actor=u, channel=d["channel"], text=d["text"]),
    ),
    "close_case": TaskAction(CloseForm, lambda t, u, d: services.close_case(t, actor=u)),
}
# Any other user task (a step a county adds in its BPMN file) gets the generic form.
GENERIC_ACTION = TaskAction(
    GenericTaskForm,
    lambda t, u, d: services.complete_generic_task(
        t, actor=u, approved=d["approved"], note=d["note"]
    ),
)


def action_for(task: HumanTask) -> TaskAction:
    return TASK_ACTIONS.get(task.bpmn_id, GENERIC_ACTION)


def form_for(task: HumanTask, case: Case, data: Any = None) -> forms.Form:
    action = action_for(task)
    kwargs: dict[str, Any] = {"prefix": f"t{task.pk}"}
    if action.needs_case:
        kwargs["case"] = case
    return action.form(data, **kwargs)


def cleaned(form: forms.Form) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    if isinstance(form, SplitForm):
        data["choices"] = form.choices()
    return data
