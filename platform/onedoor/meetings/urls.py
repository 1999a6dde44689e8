from __future__ import annotations

from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("meetings/", views.index, name="index"),
    path("meetings/members/", views.members, name="members"),
    path("meetings/plan/", views.plan, name="plan"),
    path("meetings/follow-ups/", views.follow_ups, name="follow_ups"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/topics/", views.add_topic, name="add_topic"),
    path("meetings/<int:pk>/topics/free/", views.add_free_topic, name="add_free_topic"),
    path("meetings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("meetings/<int:pk>/<str:name>.<str:fmt>", views.document, name="document"),
    path("meetings/topics/<int:pk>/", views.topic_detail, name="topic"),
    path("meetings/topics/<int:pk>/decisions/", views.add_decision, name="add_decision"),
    path("meetings/topics/<int:pk>/<str:change>/", views.change_topic, name="change_topic"),
    path("meetings/decisions/<int:pk>/remove/", views.remove_decision, name="remove_decision"),
    path("meetings/decisions/<int:pk>/done/", views.complete_decision, name="complete_decision"),
    path("meetings/tasks/<uuid:step>/", views.perform_task, name="task"),
    path("meetings/flag/<str:kind>/<int:pk>/", views.flag, name="flag"),
]
