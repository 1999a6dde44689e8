from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "onedoor.households"
    label = "households"
    verbose_name = _("Households")
