from __future__ import annotations

from django.urls import path

from . import views, views_agenda, views_followups, views_papers, views_proposals

app_name = "meetings"
urlpatterns = [
    path("meetings/", views.index, name="index"),
    path("meetings/members/", views.members, name="members"),
    path("meetings/plan/", views.plan, name="plan"),
    path("meetings/follow-ups/", views_followups.follow_ups, name="follow_ups"),
    path("meetings/proposals/", views_proposals.proposal_list, name="proposals"),
    path("meetings/proposals/new/", views_proposals.propose, name="propose"),
    path(
        "meetings/proposals/<int:pk>/answer/",
        views_proposals.answer_proposal,
        name="answer_proposal",
    ),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/topics/", views_agenda.add_topic, name="add_topic"),
    path("meetings/<int:pk>/topics/free/", views_agenda.add_free_topic, name="add_free_topic"),
    path("meetings/<int:pk>/attendance/", views_agenda.attendance, name="attendance"),
    path("meetings/<int:pk>/<str:name>.<str:fmt>", views.document, name="document"),
    path("meetings/decisions.xlsx", views_papers.decisions_export, name="decisions_export"),
    path("meetings/topics/<int:pk>/", views.topic_detail, name="topic"),
    path(
        "meetings/topics/<int:pk>/dossier.<str:fmt>",
        views_papers.dossier_document,
        name="dossier",
    ),
    path("meetings/topics/<int:pk>/decisions/", views_agenda.add_decision, name="add_decision"),
    path("meetings/topics/<int:pk>/<str:change>/", views_agenda.change_topic, name="change_topic"),
    path(
        "meetings/decisions/<int:pk>/remove/", views_agenda.remove_decision, name="remove_decision"
    ),
    path("meetings/decisions/<int:pk>/", views_followups.decision_detail, name="decision"),
    path(
        "meetings/decisions/<int:pk>/supervise/",
        views_followups.supervise_decision,
        name="supervise_decision",
    ),
    path(
        "meetings/notices/<int:pk>/answer/",
        views_followups.answer_decision_notice,
        name="answer_decision_notice",
    ),
    path(
        "meetings/decisions/<int:pk>/done/",
        views_followups.complete_decision,
        name="complete_decision",
    ),
    path("meetings/tasks/<uuid:step>/", views.perform_task, name="task"),
    path("meetings/flag/<str:kind>/<int:pk>/", views_followups.flag, name="flag"),
]
