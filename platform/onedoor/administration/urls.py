from __future__ import annotations

from django.urls import path

from . import views

app_name = "administration"
urlpatterns = [
    path("manage/", views.index, name="index"),
    path("manage/staff/", views.staff_list, name="staff_list"),
    path("manage/staff/new/", views.staff_new, name="staff_new"),
    path("manage/staff/<int:pk>/", views.staff_detail, name="staff"),
    path("manage/staff/<int:pk>/active/", views.staff_active, name="staff_active"),
    path("manage/staff/<int:pk>/password/", views.staff_password, name="staff_password"),
    path("manage/agencies/", views.agencies, name="agencies"),
    path("manage/agencies/<int:pk>/", views.agency_detail, name="agency"),
    path("manage/divisions/", views.divisions, name="divisions"),
    path("manage/items/", views.items, name="items"),
    path("manage/items/<int:pk>/", views.item_detail, name="item"),
    path("manage/divisions/<int:pk>/rename/", views.rename_division, name="rename_division"),
]
