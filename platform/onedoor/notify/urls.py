from __future__ import annotations

from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/<int:pk>/read/", views.mark_read, name="mark_read"),
]
