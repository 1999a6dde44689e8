"""The time-limit rules a county starts with (administrators edit them afterwards)."""

from __future__ import annotations

from datetime import date
from typing import Any

from onedoor.catalogue.models import Item

from .models import TimeLimitRule

PRACTICE = "县级惯例（无统一规定，管理员可调整）"
# The day the seeded rules take effect: before any case the demo back-dates.
EFFECTIVE_FROM = date(2020, 1, 1)

# General rules, used for every item that has none of its own (POLICY-NOTES.md).
GENERAL: list[dict[str, Any]] = [
    dict(
        step=TimeLimitRule.Step.ACCEPT,
        working_days=1,
        source="尖山区临时救助（地方示例）：受理1个工作日",
        source_level=TimeLimitRule.SourceLevel.EXAMPLE,
    ),
    dict(
        step=TimeLimitRule.Step.SIGN,
        working_days=2,
        source=PRACTICE,
        source_level=TimeLimitRule.SourceLevel.PRACTICE,
    ),
    dict(
        step=TimeLimitRule.Step.HANDLE,
        working_days=10,
        source=PRACTICE,
        source_level=TimeLimitRule.SourceLevel.PRACTICE,
    ),
    dict(
        step=TimeLimitRule.Step.NOTIFY,
        working_days=3,
        source="郑州中原区低保（地方示例）：3个工作日内书面告知",
        source_level=TimeLimitRule.SourceLevel.EXAMPLE,
    ),
]


def seed_time_limits(items: dict[str, dict[str, Any]]) -> None:
    """General rules plus each item's handling limit, keyed by item code (idempotent)."""
    for row in GENERAL:
        TimeLimitRule.objects.update_or_create(
            item=None,
            step=row["step"],
            effective_from=EFFECTIVE_FROM,
            defaults={k: v for k, v in row.items() if k != "step"},
        )
    for item in Item.objects.filter(code__in=items):
        row = items[item.code]
        if "handle_days" not in row:
            continue
        practice = row.get("limit_source", PRACTICE) == PRACTICE or "惯例" in row["limit_source"]
        TimeLimitRule.objects.update_or_create(
            item=item,
            step=TimeLimitRule.Step.HANDLE,
            effective_from=EFFECTIVE_FROM,
            defaults={
                "working_days": row["handle_days"],
                "max_extension_days": row.get("extension_days", 0),
                "source": row.get("limit_source", PRACTICE),
                # The seeded numbers are county practice or other places' examples
                # (POLICY-NOTES.md); a county's own document is entered as "local".
                "source_level": TimeLimitRule.SourceLevel.PRACTICE
                if practice
                else TimeLimitRule.SourceLevel.EXAMPLE,
            },
        )
