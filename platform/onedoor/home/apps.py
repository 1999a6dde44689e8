from __future__ import annotations

from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "onedoor.home"
    label = "home"
    verbose_name = "首页"
