from __future__ import annotations

from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "onedoor.households"
    label = "households"
    verbose_name = "困难家庭"
