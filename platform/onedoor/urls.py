from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# /admin/ is the platform administrators' (superusers): calendars, rules, the engine's tables.
admin.site.site_header = _("OneDoor platform administration")
admin.site.site_title = _("OneDoor platform administration")
admin.site.index_title = _("Platform data")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("onedoor.cases.urls")),
    path("", include("onedoor.home.urls")),
    path("", include("onedoor.supervision.urls")),
    path("", include("onedoor.notify.urls")),
    path("", include("onedoor.meetings.urls")),
    path("", include("onedoor.administration.urls")),
]
