"""Forms of the window, agency and coordinator pages; each task form maps to one service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division
from onedoor.inputs import (
    AMOUNT_MAX_YUAN,
    NOTE_MAX,
    IdChoiceField,
    yuan_field,
)
from onedoor.lib.money import fen_from_yuan, format_yuan
from workflows.models import HumanTask

from . import clock, services

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from .models import ApplicantNotice, Case, Referral


def _agencies(county: Division | None) -> Any:
    return Agency.objects.filter(county=county)


def _listed(field: forms.Field, rows: list[Any]) -> None:
    """Show a model choice's options from rows read once: a ModelChoiceField reads its
    queryset again each time it renders, and once more to decide its `required` attribute.
    A submitted id is still looked up in the field's queryset."""
    assert isinstance(field, forms.ModelChoiceField)
    empty = [] if field.empty_label is None else [("", field.empty_label)]
    field.choices = [*empty, *((row.pk, field.label_from_instance(row)) for row in rows)]


class ReviewForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("Review decision"),
        choices=[("yes", _("Accept")), ("no", _("Refuse"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Reason for refusing"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SplitForm(forms.Form):
    """One agency choice per requested item, pre-filled from the catalogue."""

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = _agencies(case.township.parent)
        listed = list(agencies)
        by_kind = {agency.kind: agency for agency in reversed(listed)}  # the first of a kind
        for case_item in case.items.select_related("item").prefetch_related("members"):
            default = by_kind.get(case_item.item.agency_kind)
            names = case_item.member_names
            self.fields[f"item_{case_item.item_id}"] = IdChoiceField(
                label=_("%(item)s (for %(names)s)") % {"item": case_item.item.name, "names": names}
                if names
                else case_item.item.name,
                queryset=agencies,
                initial=default,
                required=False,
                empty_label=_("(not referred)"),
            )
            _listed(self.fields[f"item_{case_item.item_id}"], listed)

    def choices(self) -> list[tuple[Item, Agency]]:
        picked = [
            (int(name.removeprefix("item_")), agency)
            for name, agency in self.cleaned_data.items()
            if agency is not None
        ]
        items = Item.objects.in_bulk([pk for pk, _agency in picked])  # one read for them all
        return [(items[pk], agency) for pk, agency in picked]


class SignForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision on the referral"),
        choices=[
            ("sign", _("Sign for")),
            ("return", _("Return to the window")),
            ("transfer", _("Transfer to another agency")),
        ],
        widget=forms.RadioSelect,
    )
    transfer_to = IdChoiceField(
        label=_("Transfer to"), queryset=Agency.objects.none(), required=False
    )
    reason = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Reason for returning or transferring"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = _agencies(case.township.parent)
        self.fields["transfer_to"].queryset = agencies  # type: ignore[attr-defined]
        if not self.is_bound:  # shown; a submitted form only looks its choice up
            _listed(self.fields["transfer_to"], list(agencies))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        # A transfer first needs to know where to: that is asked before any reason.
        if decision == "transfer" and data.get("transfer_to") is None:
            self.add_error("transfer_to", _("Choose the agency to transfer to"))
        elif decision in {"return", "transfer"} and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Returning or transferring needs a reason"))
        return data


class HandleForm(forms.Form):
    """办理: feed back the result, or ask for an extension, or ask for missing materials."""

    handling = forms.ChoiceField(
        label=_("Handling"),
        choices=[
            ("feedback", _("Report the outcome")),
            ("extend", _("Ask for an extension")),
            ("suspend", _("Ask for missing materials (the clock stops)")),
        ],
        initial="feedback",
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", "---------")]
        + [c for c in Referral.Outcome.choices if c[0] != Referral.Outcome.WITHDRAWN],
    )
    amount_yuan = yuan_field(_("Assistance amount (yuan)"), maximum=AMOUNT_MAX_YUAN, required=False)
    note = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Handling note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    extension_days = forms.IntegerField(
        label=_("Working days to add"), required=False, min_value=1, max_value=60
    )
    reason = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Reason for the extension, or the materials missing"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, item: Item | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        if item is not None:
            # Say up front what "granted" must carry for this item (services.feedback_problem).
            if item.pays_money:
                self.fields["amount_yuan"].help_text = _(
                    "This item pays money: if assistance is granted, give the amount"
                )
            else:
                self.fields["note"].help_text = _(
                    "This item pays no money: if assistance is granted, say what was given"
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        handling = data.get("handling")
        if handling == "feedback" and not data.get("outcome"):
            self.add_error("outcome", _("Please choose the outcome"))
        elif handling == "feedback" and self.item is not None and not self.errors:
            amount = data.get("amount_yuan")
            problem = services.feedback_problem(
                self.item,
                data["outcome"],
                None if amount is None else fen_from_yuan(amount),
                data.get("note") or "",
            )
            if problem:
                self.add_error(None, problem)
        if handling == "extend" and not data.get("extension_days"):
            self.add_error("extension_days", _("Please give the number of working days to add"))
        if handling in {"extend", "suspend"} and not (data.get("reason") or "").strip():
            self.add_error(
                "reason", _("Please give the reason for the extension, or the materials missing")
            )
        return data

    def confirmation(self) -> list[tuple[str, str]] | None:
        """The feedback is final (the referral goes back to the window): what the officer is
        about to send, for a confirmation step. None: the choice needs no confirming."""
        data = self.cleaned_data
        if data.get("handling") != "feedback":
            return None
        outcomes = dict(Referral.Outcome.choices)
        lines = [(str(self.fields["outcome"].label), str(outcomes[data["outcome"]]))]
        if self.item is not None:
            lines.insert(0, (str(_("Item")), str(self.item)))
        if data.get("amount_yuan") is not None:
            lines.append(
                (
                    str(self.fields["amount_yuan"].label),
                    format_yuan(fen_from_yuan(data["amount_yuan"])),
                )
            )
        if data.get("note"):
            lines.append((str(self.fields["note"].label), data["note"]))
        return lines


def _handle(task: HumanTask, user: Any, d: dict[str, Any]) -> object:
    if d["handling"] == "extend":
        return clock.request_extension(
            task, actor=user, days=d["extension_days"], reason=d["reason"]
        )
    if d["handling"] == "suspend":
        return clock.request_materials(task, actor=user, materials=d["reason"])
    return services.give_feedback(
        task,
        actor=user,
        outcome=d["outcome"],
        amount_fen=None if d["amount_yuan"] is None else fen_from_yuan(d["amount_yuan"]),
        note=d["note"],
    )


class ExtensionDecisionForm(forms.Form):
    approved = forms.TypedChoiceField(
        label=_("Extension decision"),
        choices=[("yes", _("Approve the extension")), ("no", _("Refuse the extension"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Decision remarks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MaterialsReceivedForm(forms.Form):
    received = forms.BooleanField(
        label=_("The applicant has supplied the materials: restart the agency's clock")
    )
    note = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Materials supplied"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RerouteForm(forms.Form):
    to = IdChoiceField(
        label=_("Re-route to"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("(withdraw this item)"),
    )
    reason = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = _agencies(case.township.parent)
        self.fields["to"].queryset = agencies  # type: ignore[attr-defined]
        if not self.is_bound:  # shown; a submitted form only looks its choice up
            _listed(self.fields["to"], list(agencies))


def _outcome_words(referral: Referral) -> str:
    """A referral's outcome as a notice tells it: the outcome, the amount, the agency's note."""
    words = referral.get_outcome_display() or str(_("not finished yet"))
    if referral.amount_fen:
        words += str(_(", %(amount)s")) % {"amount": format_yuan(referral.amount_fen)}
    if referral.note.strip():
        words += str(_("; %(note)s")) % {"note": referral.note.strip()}
    return words


def drafted_notice(case: Case) -> str:
    """The notice to the applicant as the outcomes read: one line per item, the agency, its
    outcome, the amount and the agency's note; the window edits it before it is recorded."""
    lines = [str(_("Your applications have been handled as follows:"))]
    referrals = case.referrals.select_related("agency", "item").order_by("pk")
    for n, referral in enumerate(referrals, start=1):
        line = _("%(n)s. %(item)s (%(agency)s): %(outcome)s") % {
            "n": n,
            "item": referral.item.name,
            "agency": referral.agency.name,
            "outcome": _outcome_words(referral),
        }
        lines.append(line)
    lines.append(
        str(_("For any question, please contact the social assistance window of %(township)s."))
        % {"township": case.township.name}
    )
    return "\n".join(lines)


class NotifyForm(forms.Form):
    channel = forms.ChoiceField(label=_("Notice channel"), choices=ApplicantNotice.Channel.choices)
    text = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Notice text"),
        help_text=_("Drafted from the agencies' outcomes: check and edit it before recording"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].initial = drafted_notice(case)


def drafted_referral_notice(case: Case, referral: Referral | None) -> str:
    """The notice of one referral's outcome, told on its own (a referral made on a
    joint-conference decision after the case's own notice went out)."""
    if referral is None:
        return drafted_notice(case)
    line = _("Your application for %(item)s (%(agency)s) has been handled: %(outcome)s") % {
        "item": referral.item.name,
        "agency": referral.agency.name,
        "outcome": _outcome_words(referral),
    }
    closing = str(
        _("For any question, please contact the social assistance window of %(township)s.")
    ) % {"township": case.township.name}
    return f"{line}\n{closing}"


class ReferralNotifyForm(NotifyForm):
    """告知 of one referral's outcome (its own notice step, `notify_household`)."""

    def __init__(
        self, *args: Any, case: Case, referral: Referral | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["text"].initial = drafted_referral_notice(case, referral)


class CloseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("The applicant has been told the outcome of every item: close and file the case")
    )


class GenericTaskForm(forms.Form):
    approved = forms.TypedChoiceField(
        label=_("Opinion"),
        choices=[("yes", _("Agree")), ("no", _("Disagree"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@dataclass(frozen=True)
class TaskAction:
    """How a BPMN user task is worked in the UI: its form and the service it calls."""

    form: type[forms.Form]
    perform: Callable[[HumanTask, Any, dict[str, Any]], object]
    needs_case: bool = False
    needs_item: bool = False  # the form is told its referral's catalogue item
    needs_referral: bool = False  # the form is told its referral
    # The message once it is done, naming what was done (from the cleaned data); None:
    # "“<task name>” done".
    done: Callable[[dict[str, Any]], StrOrPromise] | None = None

    def done_message(self, task: HumanTask, data: dict[str, Any]) -> str:
        if self.done is None:
            return _("“%(task)s” done") % {"task": task.name}
        return str(self.done(data))


def _signed(d: dict[str, Any]) -> StrOrPromise:
    if d["decision"] == "transfer":
        return _("Transferred to %(agency)s, which is to sign for it") % {
            "agency": d["transfer_to"]
        }
    if d["decision"] == "return":
        return _("Returned to the window, which will refer it again; it has left your inbox")
    return _("Signed for: the item is now yours to handle")


def _handled(d: dict[str, Any]) -> StrOrPromise:
    if d["handling"] == "extend":
        return _("Extension requested; the joint-conference office will decide")
    if d["handling"] == "suspend":
        return _("Missing materials requested from the applicant; the clock is stopped")
    return _("Outcome reported to the window")


TASK_ACTIONS: dict[str, TaskAction] = {
    "review_application": TaskAction(
        ReviewForm,
        lambda t, u, d: services.review_application(
            t, actor=u, accepted=d["accepted"], reason=d["reason"]
        ),
        done=lambda d: _("Application accepted") if d["accepted"] else _("Application refused"),
    ),
    "split_case": TaskAction(
        SplitForm,
        lambda t, u, d: services.refer_case(t, actor=u, choices=d["choices"]),
        True,
        done=lambda d: _("Items referred to the agencies"),
    ),
    "sign_for_referral": TaskAction(
        SignForm,
        lambda t, u, d: services.sign_referral(
            t, actor=u, decision=d["decision"], reason=d["reason"], transfer_to=d["transfer_to"]
        ),
        True,
        done=_signed,
    ),
    "handle_referral": TaskAction(HandleForm, _handle, needs_item=True, done=_handled),
    "approve_extension": TaskAction(
        ExtensionDecisionForm,
        lambda t, u, d: clock.decide_extension(t, actor=u, approved=d["approved"], note=d["note"]),
        done=lambda d: _("Extension approved") if d["approved"] else _("Extension refused"),
    ),
    "await_materials": TaskAction(
        MaterialsReceivedForm,
        lambda t, u, d: clock.receive_materials(t, actor=u, note=d["note"]),
        done=lambda d: _("Materials received; the agency's clock runs again"),
    ),
    "reroute_referral": TaskAction(
        RerouteForm,
        lambda t, u, d: services.reroute_referral(t, actor=u, to=d["to"], reason=d["reason"]),
        True,
        done=lambda d: (
            _("Referred again to %(agency)s") % {"agency": d["to"]}
            if d["to"]
            else _("Item withdrawn")
        ),
    ),
    "notify_applicant": TaskAction(
        NotifyForm,
        lambda t, u, d: services.notify_applicant(t, actor=u, channel=d["channel"], text=d["text"]),
        needs_case=True,
        done=lambda d: _("The notice to the applicant is recorded"),
    ),
    # The notice of a referral told on its own (the referral process of one_door.bpmn).
    "notify_household": TaskAction(
        ReferralNotifyForm,
        lambda t, u, d: services.notify_applicant(t, actor=u, channel=d["channel"], text=d["text"]),
        needs_case=True,
        needs_referral=True,
        done=lambda d: _("The notice to the applicant is recorded"),
    ),
    "close_case": TaskAction(
        CloseForm,
        lambda t, u, d: services.close_case(t, actor=u),
        done=lambda d: _("Case closed and filed"),
    ),
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


def form_for(
    task: HumanTask, case: Case, data: Any = None, *, referral: Referral | None = None
) -> forms.Form:
    """The task's form; `referral`: the task's own referral when the page read it already
    (with its item and agency), so that it is not read again."""
    action = action_for(task)
    kwargs: dict[str, Any] = {"prefix": f"t{task.pk}"}
    if action.needs_case:
        kwargs["case"] = case
    if action.needs_item or action.needs_referral:
        rid = _referral_id(task)
        if referral is None or referral.pk != rid or referral.case_id != case.pk:
            referral = (
                Referral.objects.filter(pk=rid, case=case).select_related("item", "agency").first()
                if rid is not None
                else None
            )
        if action.needs_item:
            kwargs["item"] = referral.item if referral else None
        if action.needs_referral:
            kwargs["referral"] = referral
    return action.form(data, **kwargs)


def reads_referral(task: HumanTask) -> bool:
    """Whether the task's form is told its referral (or its referral's item): the task POST
    then reads the referral with its case (access.get_task_to_work)."""
    action = action_for(task)
    return action.needs_item or action.needs_referral


def _referral_id(task: HumanTask) -> int | None:
    value = task.properties.get("referralId")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def confirmation_of(form: forms.Form) -> list[tuple[str, str]] | None:
    """What a valid task form is about to do, when that needs confirming first (see
    HandleForm.confirmation); None for forms that are sent as they are."""
    confirm = getattr(form, "confirmation", None)
    return confirm() if callable(confirm) else None


def cleaned(form: forms.Form) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    if isinstance(form, SplitForm):
        data["choices"] = form.choices()
    return data
