from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "onedoor.supervision"
    label = "supervision"
    verbose_name = _("Supervision figures")
