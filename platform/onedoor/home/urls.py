from __future__ import annotations

from django.urls import path

from . import views

app_name = "home"
urlpatterns = [
    path("", views.start, name="start"),
    path("engine/", views.index, name="index"),
    path("engine/incidents/<int:pk>/retry/", views.retry_incident, name="retry_incident"),
]
