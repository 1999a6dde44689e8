from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "onedoor.notify"
    # Not "notifications": that label belongs to django-notifications, whose models we use.
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from onedoor.audit.signals import events_logged

        from .rules import notify_logged

        # The audit log is written below every domain app and knows none of them; it
        # announces what it wrote, and notifications follow from the codes (rules.py).
        events_logged.connect(notify_logged, dispatch_uid="onedoor.notify")
