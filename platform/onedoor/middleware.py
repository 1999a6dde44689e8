"""Answers to requests the views never see through: NUL bytes in input, a busy database.

Both answer with a page in the site's layout and the user's language, and nothing changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

NUL = "\x00"


def _has_nul(request: HttpRequest) -> bool:
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            if NUL in key or any(NUL in value for value in values):
                return True
    return NUL in request.path


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    try:
        # The layout's context processors read the database (the user's role, calendar gaps).
        from django.shortcuts import render

        return render(request, template, status=status)
    except DatabaseError:
        # The database is what failed: the same words without the layout.
        return HttpResponse(
            render_to_string("errors/plain.html", {"message": _("The system is busy")}),
            status=status,
        )


class RejectNulBytesMiddleware:
    """A NUL byte in any query or form value is refused before any view reads it.

    PostgreSQL cannot store or even compare a NUL in text (`/cases/?stage=%00` was a 500 from
    psycopg), and no honest form sends one: one check here covers every list filter, every
    form and the admin's filters and search, instead of each field re-checking.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return _page(request, "errors/bad_input.html", 400)
        return self.get_response(request)


class DatabaseBusyMiddleware:
    """A request that still meets a database error (a deadlock victim, SQLite's `database is
    locked`, a dropped connection) gets a page saying to try again, not a 500.

    Every action is one durable transaction, so when the error reaches here it has rolled
    back: nothing is half-done, and sending the form again is safe.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError):
            return None
        log.warning("database busy for %s %s: %s", request.method, request.path, exception)
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        response = _page(request, "errors/try_again.html", 503)
        response["Retry-After"] = "5"
        return response
