from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import views
from api.schema import SchemaView


class Router(DefaultRouter):
    include_root_view = True
    include_format_suffixes = False


router = Router(use_regex_path=False)
router.register("accounts", views.AccountViewSet, basename="account")
router.register("stakeholders", views.StakeholderViewSet, basename="stakeholder")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("qbrs", views.QBRViewSet, basename="qbr")
router.register("requests", views.ClientRequestViewSet, basename="request")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("objectives", views.ObjectiveViewSet, basename="objective")
router.register("opportunities", views.OpportunityViewSet, basename="opportunity")
router.register("risks", views.RiskViewSet, basename="risk")
router.register("health-scores", views.HealthScoreViewSet, basename="healthscore")
router.register("tier-changes", views.TierChangeViewSet, basename="tierchange")
router.register("playbooks", views.PlaybookViewSet, basename="playbook")


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its init script served as a file (no inline script, for the CSP) and
    assets from drf-spectacular-sidecar through our static files (no CDN)."""

    template_name = "api/swagger_ui.html"


urlpatterns = [
    path(
        "v1/portfolio/summary/", views.PortfolioSummaryView.as_view(), name="api_portfolio_summary"
    ),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="api_schema"),
    path("docs/", SwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]
