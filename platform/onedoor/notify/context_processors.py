"""The bell's count on every page, read only when the page shows the bell."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from notifications.models import Notification


def unread_count(user: Any) -> int:
    """The user's unread notifications: one count over the (recipient, unread) index."""
    return Notification.objects.filter(recipient_id=user.pk, unread=True).count()


def bell(request: HttpRequest) -> dict[str, Any]:
    """The count is part of the page (no request of its own when a page opens); the bell
    polls for changes every minute after that (templates/base.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": SimpleLazyObject(lambda: unread_count(user))}
