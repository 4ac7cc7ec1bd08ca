from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
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
    path("accounts/<int:pk>/timeline/", views.account_timeline, name="account_timeline"),
    path("accounts/<int:pk>/ratings/", views.rating_set, name="rating_set"),
    path("accounts/<int:pk>/milestones/", views.milestone_create, name="milestone_create"),
    path(
        "accounts/<int:pk>/health/recompute/", views.health_recompute_now, name="health_recompute"
    ),
    path("accounts/<int:pk>/satisfaction/", views.satisfaction_create, name="satisfaction_create"),
    path("accounts/tier-review/", views.tier_review, name="tier_review"),
    path("accounts/<int:pk>/tier-review/", views.tier_review_decide, name="tier_review_decide"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/<slug:table>.<str:fmt>", views.portfolio_export, name="portfolio_export"),
    path("configuration/", views.configuration, name="configuration"),
    path("configuration/exchange-rates/", views.exchange_rates, name="exchange_rates"),
    path(
        "configuration/exchange-rates/<int:rate_pk>/delete/",
        views.exchange_rate_delete,
        name="exchange_rate_delete",
    ),
]
