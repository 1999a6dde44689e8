from __future__ import annotations

from django.urls import path

from . import views, views_versions

app_name = "home"
urlpatterns = [
    path("", views.start, name="start"),
    path("engine/", views.index, name="index"),
    path("engine/incidents/<int:pk>/retry/", views.retry_incident, name="retry_incident"),
    path("engine/processes/upload/", views_versions.process_upload, name="process_upload"),
    path(
        "engine/processes/<str:process_id>/",
        views_versions.process_versions,
        name="process_versions",
    ),
    path(
        "engine/processes/<str:process_id>/migrate/",
        views_versions.process_migrate,
        name="process_migrate",
    ),
    path(
        "engine/processes/<str:process_id>/diff/", views_versions.process_diff, name="process_diff"
    ),
]
