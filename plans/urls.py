from django.urls import path, register_converter

from plans import views


class PlanItemKindConverter:
    """The kinds of plan rows the URLs accept: /plans/<id>/objectives/new/ and so on."""

    regex = "|".join(views.ITEM_KINDS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PlanItemKindConverter, "plankind")

PLAN = "accounts/<int:pk>/plans/<int:plan_pk>/"
ITEM = PLAN + "<plankind:kind>/<int:item_pk>/"

urlpatterns = [
    path("accounts/<int:pk>/plan/", views.account_plan, name="account_plan"),
    path("accounts/<int:pk>/plans/new/", views.plan_create, name="plan_create"),
    path(PLAN, views.plan_detail, name="plan_detail"),
    path(PLAN + "edit/", views.plan_edit, name="plan_edit"),
    path(PLAN + "history/", views.plan_history_page, name="plan_history"),
    path(PLAN + "activate/", views.plan_activate, name="plan_activate"),
    path(PLAN + "archive/", views.plan_archive, name="plan_archive"),
    path(PLAN + "review/", views.plan_review, name="plan_review"),
    path(PLAN + "next-period/", views.plan_next_period, name="plan_next_period"),
    path(PLAN + "<plankind:kind>/new/", views.plan_item_create, name="plan_item_create"),
    path(ITEM + "edit/", views.plan_item_edit, name="plan_item_edit"),
    path(ITEM + "delete/", views.plan_item_delete, name="plan_item_delete"),
    path("accounts/<int:pk>/whitespace/", views.account_whitespace, name="account_whitespace"),
    path(
        "accounts/<int:pk>/whitespace/units/",
        views.business_unit_create,
        name="business_unit_create",
    ),
    path(
        "accounts/<int:pk>/whitespace/cells/",
        views.whitespace_cell_set,
        name="whitespace_cell_set",
    ),
    path(
        "accounts/<int:pk>/opportunities/",
        views.opportunity_board_page,
        name="opportunity_board",
    ),
    path(
        "accounts/<int:pk>/opportunities/<int:opportunity_pk>/move/",
        views.opportunity_move,
        name="opportunity_move",
    ),
    path("configuration/products/", views.product_list, name="product_list"),
]
