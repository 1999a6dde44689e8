"""Panels that apps above cases add to pages drawn below them, and facts they add to a
referral's page.

The inbox lists an agency's referrals, the board and the supervision figures a county's; the
joint conference gives agencies work too (decisions to carry out) and has figures of its own.
Cases and supervision must not import it, so each app registers a provider per page here at
start-up (its AppConfig.ready), and the page draws what the providers return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

INBOX = "inbox"  # an agency officer's /inbox/
BOARD = "board"  # the coordinator's and supervisor's board
FIGURES = "figures"  # the supervision figures page
PAGES = (INBOX, BOARD, FIGURES)


@dataclass(frozen=True)
class Panel:
    """A block of a page: a heading, a template that draws `rows`, and its counts."""

    title: str
    template: str
    rows: list[Any]
    open: int = 0
    overdue: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# provider(user, now) -> a panel, or None when the user has nothing of that kind.
PanelProvider = Callable[[Any, datetime], "Panel | None"]
PROVIDERS: dict[str, dict[str, PanelProvider]] = {page: {} for page in PAGES}


def register_panel(page: str, name: str, provider: PanelProvider) -> None:
    """Register (or replace, by name) a provider of a panel on one of PAGES."""
    PROVIDERS[page][name] = provider


def panels_for(page: str, user: Any, now: datetime) -> list[Panel]:
    found = (provider(user, now) for provider in PROVIDERS[page].values())
    return [panel for panel in found if panel is not None]


@dataclass(frozen=True)
class Fact:
    """A line an app above cases adds to a referral's facts: a template that draws `values`
    (given to it as `fact`), worked out by the view, not by a tag inside the template."""

    template: str
    values: dict[str, Any]


# provider(referral, request) -> a fact, or None when it has nothing to say of the referral.
FactProvider = Callable[[Any, Any], "Fact | None"]
REFERRAL_FACTS: dict[str, FactProvider] = {}


def register_referral_fact(name: str, provider: FactProvider) -> None:
    """Register (or replace, by name) a provider of a line of the referral page's facts."""
    REFERRAL_FACTS[name] = provider


def referral_facts(referral: Any, request: Any) -> list[Fact]:
    found = (provider(referral, request) for provider in REFERRAL_FACTS.values())
    return [fact for fact in found if fact is not None]
