"""A case on its process diagram: the page (or the case page's htmx section) and the diagram
XML of the definition version the case's process instance runs on."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from lxml import etree

from workflows.diagram import has_diagram
from workflows.models import ProcessDefinition

from .access import get_case_for_user
from .models import Case
from .process_state import case_process_state


def _definition(case: Case) -> ProcessDefinition | None:
    return case.process.definition if case.process is not None else None


@login_required
@require_GET
@vary_on_headers("HX-Request")
def case_process(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    definition = _definition(case)
    state = case_process_state(case, request.user) if definition is not None else None
    drawn = definition is not None and _is_drawn(definition)
    htmx = getattr(request, "htmx", False)
    template = "cases/process.html#diagram" if htmx else "cases/process.html"
    return render(
        request,
        template,
        {
            "case": case,
            "definition": definition,
            "drawn": drawn,
            "state": state,
            "state_json": state.as_json() if state is not None else None,
        },
    )


def _is_drawn(definition: ProcessDefinition) -> bool:
    try:
        root = etree.fromstring(
            definition.source.encode(), parser=etree.XMLParser(resolve_entities=False)
        )
    except etree.XMLSyntaxError:
        return False
    return has_diagram(root)


@login_required
@require_GET
def case_process_diagram(request: HttpRequest, pk: int) -> HttpResponse:
    """The BPMN document of the version this case runs on: immutable, so cached by its hash."""
    case = get_case_for_user(request.user, pk)
    definition = _definition(case)
    if definition is None:
        return HttpResponse(status=404)
    etag = f'"{definition.content_hash}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = HttpResponse(definition.source, content_type="application/xml; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=86400"
    # Opened directly, a BPMN file is an XML document: let nothing in it run.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Content-Disposition"] = f'inline; filename="{definition.filename}"'

    return response
