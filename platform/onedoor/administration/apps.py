from __future__ import annotations

from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "onedoor.administration"
    verbose_name = "County administration"
