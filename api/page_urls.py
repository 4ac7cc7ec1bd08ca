"""Web pages of the api app (outside /api/): the profile with the user's API tokens."""

from django.urls import path

from api import pages

urlpatterns = [
    path("profile/", pages.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", pages.api_token_revoke_view, name="api_token_revoke"),
]
