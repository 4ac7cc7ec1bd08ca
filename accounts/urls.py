from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path(
        "accounts/<int:pk>/stakeholders/", views.account_stakeholders, name="account_stakeholders"
    ),
    path("accounts/<int:pk>/stakeholders/map.json", views.stakeholder_map, name="stakeholder_map"),
    path(
        "accounts/<int:pk>/stakeholders/<int:stakeholder_pk>/panel/",
        views.stakeholder_panel,
        name="stakeholder_panel",
    ),
    path(
        "accounts/<int:pk>/stakeholders/new/", views.stakeholder_create, name="stakeholder_create"
    ),
    path(
        "accounts/<int:pk>/stakeholders/<int:stakeholder_pk>/edit/",
        views.stakeholder_edit,
        name="stakeholder_edit",
    ),
    path("accounts/<int:pk>/ratings/", views.rating_set, name="rating_set"),
    path("accounts/<int:pk>/milestones/", views.milestone_create, name="milestone_create"),
    path("accounts/<int:pk>/satisfaction/", views.satisfaction_create, name="satisfaction_create"),
    path("accounts/tier-review/", views.tier_review, name="tier_review"),
    path("accounts/<int:pk>/tier-review/", views.tier_review_decide, name="tier_review_decide"),
    path("configuration/", views.configuration, name="configuration"),
    path("configuration/audit/", views.audit_log, name="audit_log"),
    path("configuration/calendars/", views.working_calendar_list, name="working_calendar_list"),
    path(
        "configuration/calendars/new/",
        views.working_calendar_create,
        name="working_calendar_create",
    ),
    path(
        "configuration/calendars/<int:pk>/",
        views.working_calendar_edit,
        name="working_calendar_edit",
    ),
    path(
        "configuration/calendars/<int:pk>/holidays/",
        views.company_holiday_add,
        name="company_holiday_add",
    ),
    path(
        "configuration/calendars/holidays/<int:holiday_pk>/delete/",
        views.company_holiday_delete,
        name="company_holiday_delete",
    ),
]
