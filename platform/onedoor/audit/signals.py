"""What the audit log announces: apps above it (notifications) react without audit knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by log_actions inside the transaction that made the changes, with `events`: the
# AuditEvent rows just written. A receiver that has side effects defers them to on_commit.
events_logged = Signal()
