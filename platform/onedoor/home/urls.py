from __future__ import annotations

from django.urls import path

from . import views

app_name = "home"
urlpatterns = [
    path("", views.start, name="start"),
    path("engine/", views.index, name="index"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/<int:pk>/read/", views.mark_read, name="mark_read"),
    path("audit/", views.audit_log, name="audit"),
]
