from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("configuration/", views.configuration, name="configuration"),
]
