"""Process definitions as a product: each process's versions (who deployed which file when,
its content hash, its instances), the diagram of each, the difference between two, and a new
version uploaded from the page with the difference previewed before it is deployed."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from onedoor.cases.access import (
    LANE_ROLES,
    engine_scope,
    may_deploy_processes,
    require_engine_admin,
)
from onedoor.lib.http import AuthenticatedRequest
from workflows.definitions import MAX_FILE_BYTES, DefinitionError, Preview, preview_documents
from workflows.migration import check_instance
from workflows.models import ProcessDefinition, ProcessInstance
from workflows.versions import diff_versions, diff_with_upload

from . import services
from .views import subject_link


def _lanes() -> dict[str, str]:
    """Lanes are named by role key in the files: the diagrams show the role's name."""
    return {lane: str(role.label) for lane, role in LANE_ROLES.items()}


def _versions(process_id: str) -> list[ProcessDefinition]:
    versions = list(
        ProcessDefinition.objects.filter(process_id=process_id)
        .select_related("deployed_by")
        .defer("source", "dependencies")
        .order_by("-version")
    )
    if not versions:
        raise Http404("process not deployed")
    return versions


def _version(process_id: str, number: Any) -> ProcessDefinition | None:
    text = str(number or "")
    if not text.isdigit() or len(text) > 9:
        return None
    return ProcessDefinition.objects.filter(process_id=process_id, version=int(text)).first()


@login_required
@require_GET
@require_engine_admin
def process_versions(request: HttpRequest, process_id: str) -> HttpResponse:
    """Every version of one process, newest first, with its instances in the user's scope."""
    versions = _versions(process_id)
    counts: dict[int, dict[str, int]] = {
        row["definition"]: {"running": row["running"], "completed": row["completed"]}
        for row in engine_scope(request.user)
        .instances()
        .filter(definition__process_id=process_id)
        .order_by()
        .values("definition")
        .annotate(
            running=Count("id", filter=Q(state=ProcessInstance.State.RUNNING)),
            completed=Count("id", filter=Q(state=ProcessInstance.State.COMPLETED)),
        )
    }
    shown = _version(process_id, request.GET.get("version")) or versions[0]
    return render(
        request,
        "home/process_versions.html",
        {
            "process_id": process_id,
            "rows": [
                {
                    "definition": d,
                    "running": counts.get(d.pk, {}).get("running", 0),
                    "completed": counts.get(d.pk, {}).get("completed", 0),
                }
                for d in versions
            ],
            "shown": shown,
            "latest": versions[0],
            "previous": versions[1] if len(versions) > 1 else None,
            "may_deploy": may_deploy_processes(request.user),
            "lanes": _lanes(),
        },
    )


@login_required
@require_GET
@require_engine_admin
def process_diff(request: HttpRequest, process_id: str) -> HttpResponse:
    """What changed from one version to another: listed, and marked on both diagrams."""
    versions = _versions(process_id)
    old = _version(process_id, request.GET.get("from"))
    new = _version(process_id, request.GET.get("to"))
    if old is None or new is None:
        messages.error(request, _("Choose two versions of this process to compare."))
        return redirect("home:process_versions", process_id=process_id)
    diff = diff_versions(old, new, _lanes())
    return render(
        request,
        "home/process_diff.html",
        {
            "process_id": process_id,
            "versions": versions,
            "diff": diff,
            "groups": diff.by_category(),
            "marks": diff.marks(),
            "lanes": _lanes(),
        },
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("BPMN file"))
    replace = forms.BooleanField(
        label=gettext_lazy("The file replaces the process of another file with the same id"),
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s bytes.") % {"limit": f"{MAX_FILE_BYTES:,}"}
            )
        return upload


def _require_deployer(request: HttpRequest) -> None:
    if not may_deploy_processes(request.user):
        raise PermissionDenied(
            _(
                "A new process version changes every county's new cases: only the platform's "
                "administrators can deploy one"
            )
        )


def _preview_context(previews: list[Preview]) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for preview in previews:
        diff = None
        if preview.latest is not None and not preview.unchanged:
            diff = diff_with_upload(preview.latest, preview.definition, preview.parsed, _lanes())
        shown.append(
            {
                "preview": preview,
                "diff": diff,
                "groups": diff.by_category() if diff else {},
                "marks": diff.marks() if diff else {"old": {}, "new": {}},
            }
        )
    return shown


@login_required
@require_http_methods(["GET", "POST"])
def process_upload(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a BPMN file: checked as deploy_processes checks it, the difference with the
    newest version shown, and deployed (audited) only when the administrator confirms."""
    _require_deployer(request)
    if request.method == "POST" and request.POST.get("confirm"):
        return _confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        name = str(upload.name)[:300]
        try:
            previews = preview_documents(
                [(name, content)], {}, replace=form.cleaned_data["replace"]
            )
        except DefinitionError as exc:
            form.add_error("file", str(exc))
        else:
            context.update(
                previews=_preview_context(previews),
                lanes=_lanes(),
                filename=name,
                content=base64.b64encode(content).decode(),
                replace=form.cleaned_data["replace"],
            )
            return render(request, "home/process_upload_preview.html", context)
    return render(request, "home/process_upload.html", context)


def _confirm(request: AuthenticatedRequest) -> HttpResponse:
    filename = request.POST.get("filename", "")[:300]
    try:
        content = base64.b64decode(request.POST.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        content = b""
    if not filename or not content:
        messages.error(request, _("The upload was incomplete; choose the file again."))
        return redirect("home:process_upload")
    try:
        results = services.deploy_uploaded(
            filename, content, actor=request.user, replace=request.POST.get("replace") == "1"
        )
    except DefinitionError as exc:
        messages.error(request, _("Deploy failed, nothing was stored: %(error)s") % {"error": exc})
        return redirect("home:process_upload")
    for result in results:
        d = result.definition
        if result.created:
            messages.success(
                request,
                _("%(process)s version %(version)s deployed: new cases take it.")
                % {"process": d.name or d.process_id, "version": d.version},
            )
        else:
            messages.info(
                request,
                _("%(process)s version %(version)s is this very file: nothing changed.")
                % {"process": d.name or d.process_id, "version": d.version},
            )
    return redirect("home:process_versions", process_id=results[0].definition.process_id)


# The dry run reads and moves each instance in memory (~10-30 ms each): a page shows the
# longest-running ones first, this many at a time.
DRY_RUN_LIMIT = 100


@login_required
@require_http_methods(["GET", "POST"])
def process_migrate(request: AuthenticatedRequest, process_id: str) -> HttpResponse:
    """Running instances of an older version: the dry run (can each move to the newest
    version, and why not), and the chosen ones moved (services.migrate_instances)."""
    _require_deployer(request)
    versions = _versions(process_id)
    target = versions[0]
    source = _version(process_id, request.GET.get("from") or request.POST.get("from"))
    if source is None or source.pk == target.pk:
        messages.error(request, _("Choose an older version whose running cases are to move."))
        return redirect("home:process_versions", process_id=process_id)
    running = (
        engine_scope(request.user)
        .instances()
        .filter(definition=source, state=ProcessInstance.State.RUNNING)
    )
    if request.method == "POST":
        chosen = [int(v) for v in request.POST.getlist("instance") if v.isdigit() and len(v) < 12]
        allowed = set(running.filter(pk__in=chosen).values_list("pk", flat=True))
        outcomes = services.migrate_instances(
            [pk for pk in chosen if pk in allowed], target, actor=request.user
        )
        moved = sum(1 for o in outcomes if o.moved)
        if moved:
            messages.success(
                request,
                _("%(count)s running cases moved to version %(version)s.")
                % {"count": moved, "version": target.version},
            )
        for outcome in outcomes:
            if not outcome.moved:
                messages.error(
                    request,
                    _("Instance %(id)s stays on its version: %(reasons)s")
                    % {"id": outcome.instance_id, "reasons": "；".join(outcome.reasons)},
                )
        if not outcomes:
            messages.error(request, _("No running case was chosen."))
        return redirect(
            f"{reverse('home:process_migrate', args=[process_id])}?from={source.version}"
        )
    total = running.count()
    instances = list(
        running.select_related("definition").order_by("created_at", "pk")[:DRY_RUN_LIMIT]
    )
    checks = [check_instance(instance, target) for instance in instances]
    return render(
        request,
        "home/process_migrate.html",
        {
            "process_id": process_id,
            "source": source,
            "target": target,
            "total": total,
            "rows": [{"check": c, "link": subject_link(c.instance)} for c in checks],
            "movable": sum(1 for c in checks if c.can_move),
        },
    )
