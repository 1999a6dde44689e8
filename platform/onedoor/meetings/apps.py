from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "onedoor.meetings"
    label = "meetings"
    verbose_name = _("Joint conference")

    def ready(self) -> None:
        from . import handlers, labels, projection  # noqa: F401  (service tasks, labels, signal)
        from .access import register_engine_subjects
        from .effects import register as register_basis
        from .figures import register as register_figures
        from .followups import register as register_inbox

        register_engine_subjects()
        register_inbox()  # the unit's follow-ups beside its referrals in /inbox/
        register_figures()  # the conference's figures on the board and the supervision page
        register_basis()  # the decision a referral was made on, in the referral page's facts
