"""The signed-in user's notifications: the list, the bell's count, mark as read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from notifications.models import Notification

from onedoor.cases.access import get_notification_for_user
from onedoor.lib.redirects import safe_next

from .context_processors import unread_count


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notices = Notification.objects.filter(recipient=request.user).order_by("-timestamp")
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    return render(request, "notify/notifications.html", {"page": page})


@login_required
@require_GET
@vary_on_headers("HX-Request")
def bell(request: HttpRequest) -> HttpResponse:
    # The partial alone, without the page frame's context processors (navigation, role,
    # calendar): the poll costs the session, the user and one count.
    html = get_template("base.html#bell").render({"unread_count": unread_count(request.user)})
    return HttpResponse(html)


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_notification_for_user(request.user, pk)
    notification.mark_as_read()
    url = (notification.data or {}).get("url") if request.POST.get("follow") else None
    return redirect(safe_next(request, url, "notify:list"))
