"""Where to send the user back to after a POST: a page of this site, never another one."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, url: str | None, fallback: str) -> str:
    """`url` if it stays on this site (an open redirect otherwise), else `fallback` (a URL
    or a URL pattern name, as `redirect` takes)."""
    # A path on this site only: `redirect` would take any other word for a URL pattern name.
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return fallback
