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
]
