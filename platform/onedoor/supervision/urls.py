from __future__ import annotations

from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("supervision/", views.figures_page, name="figures"),
    path("supervision/export/<slug:table>.xlsx", views.export, name="export"),
    path("supervision/agency/", views.agency_page, name="agency"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
]
