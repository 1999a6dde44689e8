"""Service-task handlers for the window's own steps (case.*)."""

from __future__ import annotations

from typing import Any

from workflows import handlers
from workflows.handlers import ServiceCall


@handlers.register("case.refused")
def refused(call: ServiceCall) -> dict[str, Any]:
    """The written refusal notice (不予受理告知) the window hands the applicant."""
    reason = str(call.params.get("reason") or "").strip()
    return {
        "notice": f"经审查，您的救助申请不予受理。理由：{reason or '未说明'}。"
        "如有异议，可依法申请行政复议或者提起行政诉讼。",
        "issued_at": call.now.isoformat(),
    }
