from __future__ import annotations

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "onedoor.directory"
    label = "directory"
    verbose_name = "机构与人员"
