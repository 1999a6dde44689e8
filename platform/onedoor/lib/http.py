"""Requests as the views see them once signed in."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedRequest(HttpRequest):
    """A request past `login_required` or `access.require_role`: its user is signed in, so
    the services' `actor` (a `User`) is `request.user`. For the type checker only: Django
    builds the same HttpRequest."""

    user: User
