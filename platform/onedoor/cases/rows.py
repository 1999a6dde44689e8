"""The rows of list pages, made once in the view as plain strings (issue 17).

A page of 50 rows drawn from model instances cost the template a `{% url %}`, two dates, a
`timesince`, translations and a lateness count per row, and the view a model instance per
joined table per row: ~60-80% of a list page's CPU. Here each row is read with `values()` and
every text the row shows is made in Python, so the template only places strings. The texts
are made by the same functions the template used (Django's date format, `timesince`,
`deadlines.words.lateness`, the same translations), so the page reads exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from html import escape
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext

from onedoor.deadlines import words

from . import supervision
from .models import Case

SENTINEL = 987654321


def e(value: Any) -> str:
    """`{{ value }}` with autoescaping, for a plain (unsafe) str or a number: what
    `conditional_escape` writes for them, without a template variable per cell."""
    return escape(str(value))


def address_of(name: str) -> Callable[[int], str]:
    """`pk -> reverse(name, args=[pk])`, reversed once per page rather than per row."""
    head, _sentinel, tail = reverse(name, args=[SENTINEL]).partition(str(SENTINEL))
    return lambda pk: f"{head}{pk}{tail}"


def day(value: datetime | None) -> str:
    """`{{ value|date:"Y-m-d" }}`, in the current time zone ("" for none): digits alone, the
    same in every language, so strftime writes them (a tenth of Django's date format)."""
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d")


def minute(value: datetime | None) -> str:
    """`{{ value|date:"Y-m-d H:i" }}`, in the current time zone ("" for none)."""
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class Lateness:
    """`deadlines.words.lateness` for many rows of one page: rows due on the same day, all
    past or all not, read the same, so each (day, past) is counted once."""

    def __init__(self, now: datetime, county: str) -> None:
        self.now = now
        self.county = county
        self.seen: dict[tuple[Any, bool], str] = {}

    def __call__(self, due_at: datetime | None) -> str:
        if due_at is None:
            return ""
        key = (timezone.localdate(due_at), due_at < self.now)
        text = self.seen.get(key)
        if text is None:
            text = self.seen[key] = words.lateness(due_at, self.now, self.county)
        return text


INBOX_FIELDS = (
    "pk",
    "case__reference",
    "case__applicant__name",
    "item__name",
    "case__township__name",
    "referred_at",
    "step",
    "due_at",
    "urgency",
    "notices",
    "unanswered",
)


def inbox_rows(rows: Iterable[dict[str, Any]], now: datetime, county: str) -> list[dict[str, Any]]:
    """The inbox's rows (ReferralQuerySet.inbox read with INBOX_FIELDS); `inbox_html` writes
    them."""
    href = address_of("cases:referral")
    lateness = Lateness(now, county)
    ago = gettext("%(ago)s ago")
    made = []
    for r in rows:
        unanswered = r["unanswered"]
        made.append(
            {
                "href": href(r["pk"]),
                "reference": r["case__reference"],
                "applicant": r["case__applicant__name"],
                "item": r["item__name"],
                "township": r["case__township__name"],
                "received": day(r["referred_at"]),
                "ago": ago % {"ago": timesince(r["referred_at"], now)},
                "step": r["step"],
                "due": day(r["due_at"]),
                "urgency": r["urgency"],
                "lateness": lateness(r["due_at"]) if r["urgency"] else "",
                "notices": r["notices"],
                "to_answer": ngettext("%(n)s to answer", "%(n)s to answer", unanswered)
                % {"n": unanswered}
                if unanswered
                else "",
            }
        )
    return made


def inbox_html(rows: Iterable[dict[str, Any]]) -> list[SafeString]:
    """Each inbox row (`inbox_rows`) as its `<tr>`, escaped as the template escaped it: the
    template placed 13 variables and 4 conditions per row, ~a quarter of the page's CPU."""
    made = []
    for r in rows:
        urgency = e(r["urgency"])
        due = e(r["due"] or "—")
        if r["urgency"]:
            due += f' <small class="{urgency}">{e(r["lateness"])}</small>'
        notices = ""
        if r["notices"]:
            notices = e(r["notices"])
            if r["to_answer"]:
                notices += f' <strong class="overdue">（{e(r["to_answer"])}）</strong>'
        made.append(
            mark_safe(  # noqa: S308 -- every value above is escaped
                f'<tr class="{urgency}">\n      <td><a class="ref" href="{e(r["href"])}">'
                f"{e(r['reference'])}</a></td><td>{e(r['applicant'])}</td><td>{e(r['item'])}</td>"
                f"<td>{e(r['township'])}</td><td>{e(r['received'])} <small>（{e(r['ago'])}）"
                f"</small></td><td>{e(r['step'])}</td><td>{due}</td><td>{notices}</td></tr>"
            )
        )
    return made


CASE_LIST_FIELDS = (
    "pk",
    "reference",
    "applicant__name",
    "household__village__name",
    "channel",
    "stage_name",
    "created_at",
)


def case_list_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The case list's rows (a Case queryset read with CASE_LIST_FIELDS)."""
    href = address_of("cases:case")
    channels = {value: str(label) for value, label in Case.Channel.choices}
    return [
        {
            "href": href(c["pk"]),
            "reference": c["reference"],
            "applicant": c["applicant__name"],
            "village": c["household__village__name"],
            "channel": channels.get(c["channel"], c["channel"]),
            "stage_name": c["stage_name"],
            "registered": minute(c["created_at"]),
        }
        for c in rows
    ]


def case_list_html(rows: Iterable[dict[str, Any]]) -> list[SafeString]:
    """Each case list row (`case_list_rows`) as its `<tr>`, escaped as the template did."""
    return [
        mark_safe(  # noqa: S308 -- every value is escaped
            f'<tr><td><a class="ref" href="{e(c["href"])}">{e(c["reference"])}</a></td>'
            f"<td>{e(c['applicant'])}</td><td>{e(c['village'])}</td><td>{e(c['channel'])}</td>"
            f"<td>{e(c['stage_name'])}</td><td>{e(c['registered'])}</td></tr>"
        )
        for c in rows
    ]


BOARD_FIELDS = (
    "pk",
    "case__reference",
    "item__name",
    "agency__name",
    "township__name",
    "township__parent__code",
    "due_at",
    "signed_at",
    "referred_at",
    "escalation_level",
    "notices",
    "unanswered",
)


def board_rows(rows: Iterable[dict[str, Any]], now: datetime, county: str) -> list[dict[str, Any]]:
    """The board's overdue referrals (read with BOARD_FIELDS and their notice counts), each
    with the 督办 its button sends: the remarks drafted at the level it goes at."""
    href = address_of("cases:referral")
    supervise = address_of("cases:supervise")
    lateness = Lateness(now, county)
    remarks: dict[tuple[Any, ...], str] = {}
    label = gettext("Supervise %(reference)s %(item)s")
    made = []
    for r in rows:
        due_at, level = r["due_at"], r["escalation_level"]
        # The same remarks for every row due on the same day, signed or not, since the same.
        key = (
            timezone.localdate(due_at) if due_at else None,
            due_at is not None and due_at < now,
            r["signed_at"] is None,
            timezone.localdate(r["referred_at"]),
            r["township__parent__code"],
        )
        drafted = remarks.get(key)
        if drafted is None:
            drafted = remarks[key] = supervision.remarks_for(
                due_at, r["signed_at"], r["referred_at"], r["township__parent__code"] or "", now
            )
        made.append(
            {
                "href": href(r["pk"]),
                "supervise": supervise(r["pk"]),
                "reference": r["case__reference"],
                "item": r["item__name"],
                "agency": r["agency__name"],
                "township": r["township__name"],
                "due": day(due_at),
                "lateness": lateness(due_at),
                "level": words.supervision_level(level) or "—",
                "notices": r["notices"],
                "unanswered": r["unanswered"],
                "drafted": drafted,
                "lowest": max(1, level),
                "label": label % {"reference": r["case__reference"], "item": r["item__name"]},
            }
        )
    return made


LISTED_FIELDS = ("pk", "case__reference", "item__name", "agency__name", "due_at", "handle_due_at")


def listed_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The board's short lists of referrals (read with LISTED_FIELDS): the extension requests
    awaiting a decision, the promises broken."""
    href = address_of("cases:referral")
    return [
        {
            "pk": r["pk"],
            "href": href(r["pk"]),
            "reference": r["case__reference"],
            "item": r["item__name"],
            "agency": r["agency__name"],
            "due": day(r["due_at"]),
            "handle_due": day(r["handle_due_at"]),
        }
        for r in rows
    ]


def pending_changes(rows: list[dict[str, Any]], changes: Iterable[Any]) -> None:
    """Each row's pending extension requests in words ("3 more working days: reason"), from
    the clock changes of those referrals still undecided (ClockChange, in their order)."""
    told: dict[int, list[str]] = {}
    for change in changes:
        told.setdefault(change.referral_id, []).append(
            ngettext(
                "%(days)s more working day: %(reason)s",
                "%(days)s more working days: %(reason)s",
                change.days,
            )
            % {"days": change.days, "reason": change.reason}
        )
    for row in rows:
        row["request"] = "".join(told.get(row["pk"], ()))
