from __future__ import annotations

from django.urls import path

from . import views, views_process

app_name = "supervision"
urlpatterns = [
    path("supervision/", views.figures_page, name="figures"),
    path("supervision/export/<slug:table>.xlsx", views.export, name="export"),
    path("processes/", views_process.processes, name="processes"),
    path("processes/<str:process_id>/", views_process.process_load, name="process_load"),
    path("processes/<str:process_id>/tasks/", views_process.process_tasks, name="process_tasks"),
    path(
        "process-versions/<int:pk>/diagram/",
        views_process.definition_diagram,
        name="definition_diagram",
    ),
    path("supervision/agency/", views.agency_page, name="agency"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
]
