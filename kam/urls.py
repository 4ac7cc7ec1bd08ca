from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam import views
from kam.forms import EmailAuthenticationForm, PasswordResetForm

auth_urls = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    *auth_urls,
    path("healthz", views.healthz, name="healthz"),
    path("language/", views.set_language, name="set_language"),
    path("people/<slug:scope>/", views.people_search, name="people_search"),
    path("admin/", admin.site.urls),
    path("configuration/retention/", views.retention_policies_edit, name="retention_policies"),
    path("api/", include("api.urls")),
    path("", include("api.page_urls")),
    path("", include("activities.urls")),
    path("", include("accounts.urls")),
    path("", include("insights.urls")),
    path("", include("plans.urls")),
    path("", include("dataio.urls")),
    path("", include("capture.urls")),
]

handler400 = "kam.views.bad_request"
handler403 = "kam.views.permission_denied"
handler404 = "kam.views.page_not_found"
handler500 = "kam.views.server_error"
