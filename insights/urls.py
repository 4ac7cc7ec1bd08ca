from django.urls import path

from insights import list_views, playbook_views, privacy_views, views

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/bulk/", list_views.account_bulk, name="account_bulk"),
    path("accounts/views/", list_views.saved_view_create, name="saved_view_create"),
    path("accounts/views/<int:pk>/", list_views.saved_view_update, name="saved_view_update"),
    path("accounts/views/<int:pk>/delete/", list_views.saved_view_delete, name="saved_view_delete"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/timeline/", views.account_timeline, name="account_timeline"),
    path(
        "accounts/<int:pk>/health/recompute/", views.health_recompute_now, name="health_recompute"
    ),
    path(
        "accounts/<int:pk>/stakeholders/<int:stakeholder_pk>/personal-data/",
        privacy_views.stakeholder_personal_data_page,
        name="stakeholder_personal_data",
    ),
    path(
        "accounts/<int:pk>/stakeholders/<int:stakeholder_pk>/personal-data.json",
        privacy_views.stakeholder_personal_data_json,
        name="stakeholder_personal_data_json",
    ),
    path(
        "accounts/<int:pk>/stakeholders/<int:stakeholder_pk>/erase/",
        privacy_views.stakeholder_erase,
        name="stakeholder_erase",
    ),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("search/", views.search, name="search"),
    path("portfolio/<slug:table>.<str:fmt>", views.portfolio_export, name="portfolio_export"),
    path("configuration/exchange-rates/", views.exchange_rates, name="exchange_rates"),
    path(
        "configuration/exchange-rates/<int:rate_pk>/delete/",
        views.exchange_rate_delete,
        name="exchange_rate_delete",
    ),
    path("configuration/playbooks/", playbook_views.playbook_list, name="playbook_list"),
    path("configuration/playbooks/new/", playbook_views.playbook_create, name="playbook_create"),
    path("configuration/playbooks/<int:pk>/", playbook_views.playbook_edit, name="playbook_edit"),
    path(
        "configuration/playbooks/<int:pk>/toggle/",
        playbook_views.playbook_toggle,
        name="playbook_toggle",
    ),
    path("qbrs/<int:pk>/prep/", views.qbr_prep, name="qbr_prep"),
    path("qbrs/<int:pk>/prep.pdf", views.qbr_prep_pdf, name="qbr_prep_pdf"),
]
