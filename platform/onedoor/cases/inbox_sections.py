"""More work for an agency's inbox, from the apps above cases.

The inbox lists the unit's referrals; other apps give agencies work too (the joint
conference's decisions to carry out). Cases must not import them, so each registers a
provider here at start-up (its AppConfig.ready), and the inbox draws what they return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class InboxSection:
    """A block of the inbox: a heading, a template that draws `rows`, and its counts."""

    title: str
    template: str
    rows: list[Any]
    open: int = 0
    overdue: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# provider(user, now) -> a section, or None when the user has nothing of that kind.
InboxProvider = Callable[[Any, datetime], "InboxSection | None"]
INBOX_PROVIDERS: dict[str, InboxProvider] = {}


def register_inbox_section(name: str, provider: InboxProvider) -> None:
    """Register (or replace, by name) a provider of an inbox section."""
    INBOX_PROVIDERS[name] = provider


def sections_for(user: Any, now: datetime) -> list[InboxSection]:
    found = (provider(user, now) for provider in INBOX_PROVIDERS.values())
    return [section for section in found if section is not None]
