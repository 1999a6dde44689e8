"""The case's materials checklist and its scanned documents: tick, attach, download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onedoor.lib.http import AuthenticatedRequest

from . import materials
from .access import get_case_for_user, may_keep_materials, visible_materials
from .forms_actions import AttachmentForm, MaterialForm
from .models import Attachment
from .services import ActionError


def _errors(form: MaterialForm | AttachmentForm) -> str:
    return "; ".join(str(error) for errors in form.errors.values() for error in errors)


@login_required
@require_POST
def tick(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    if not may_keep_materials(request.user, case):
        raise PermissionDenied(_("Only the window keeps the materials of an open case"))
    form = MaterialForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct: %(errors)s") % {"errors": _errors(form)})
        return redirect("cases:case", case.pk)
    data = form.cleaned_data
    try:
        if data["received"]:
            materials.record_received(
                case,
                actor=request.user,
                name=data["name"],
                received_on=data["received_on"],
            )
            messages.success(request, _("“%(name)s” marked received") % {"name": data["name"]})
        else:
            materials.unrecord_received(case, actor=request.user, name=data["name"])
            messages.success(request, _("“%(name)s” marked not received") % {"name": data["name"]})
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect(f"/cases/{case.pk}/#materials")


@login_required
@require_POST
def attach(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    if not may_keep_materials(request.user, case):
        raise PermissionDenied(_("Only the window keeps the materials of an open case"))
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Please correct: %(errors)s") % {"errors": _errors(form)})
        return redirect(f"/cases/{case.pk}/#materials")
    try:
        attachment = materials.attach(
            case,
            actor=request.user,
            upload=form.cleaned_data["file"],
            material=form.cleaned_data["material"],
        )
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(name)s” attached") % {"name": attachment.original_name})
    return redirect(f"/cases/{case.pk}/#materials")


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    """A document, to those who may read its line of the checklist (404 to anyone else)."""
    attachment = Attachment.objects.filter(pk=pk).select_related("case").first()
    if attachment is None:
        raise Http404("no such attachment")
    case = get_case_for_user(request.user, attachment.case_id)
    lines = visible_materials(request.user, case, materials.checklist(case))
    if not any(attachment in line.attachments for line in lines):
        raise Http404("no such attachment")
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=attachment.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    return response
