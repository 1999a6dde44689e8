from __future__ import annotations

from django.urls import path

from . import (
    views,
    views_agency,
    views_export,
    views_materials,
    views_papers,
    views_process,
    views_registry,
    views_search,
)

app_name = "cases"
urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/export.xlsx", views_export.case_list_export, name="export"),
    path("search/", views_search.search_page, name="search"),
    path("cases/new/", views.intake, name="intake"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("cases/<int:pk>/materials/", views_materials.tick, name="materials"),
    path("cases/<int:pk>/attachments/", views_materials.attach, name="attach"),
    path("attachments/<int:pk>/", views_materials.download, name="attachment"),
    path("notices/<int:pk>/letter/", views_papers.notice_letter, name="notice_letter"),
    path(
        "supervision-notices/<int:pk>/print/",
        views_papers.supervision_slip,
        name="supervision_slip",
    ),
    path("cases/<int:pk>/process/", views_process.case_process, name="process"),
    path(
        "cases/<int:pk>/process/diagram.bpmn",
        views_process.case_process_diagram,
        name="process_diagram",
    ),
    path("cases/<int:pk>/consent/", views_registry.record_consent, name="consent"),
    path("households/", views_registry.household_list, name="households"),
    path("households/<int:pk>/", views_registry.household_detail, name="household"),
    path("households/<int:pk>/apply/", views_registry.apply_again, name="apply_again"),
    path("households/<int:pk>/edit/", views_registry.edit_household, name="edit_household"),
    path("households/<int:pk>/members/new/", views_registry.add_member, name="add_member"),
    path("members/<int:pk>/edit/", views_registry.edit_member, name="edit_member"),
    path("tasks/<uuid:task_id>/", views.perform_task, name="task"),
    path("inbox/", views_agency.inbox, name="inbox"),
    path("referrals/<int:pk>/", views_agency.referral_detail, name="referral"),
    path("referrals/<int:pk>/slip/", views.referral_slip, name="slip"),
    path("referrals/<int:pk>/supervise/", views_agency.supervise, name="supervise"),
    path("notices/<int:pk>/answer/", views_agency.answer_notice, name="answer_notice"),
    path("referrals/<int:pk>/reassign/", views_agency.reassign, name="reassign"),
    path("board/", views_agency.board, name="board"),
]
