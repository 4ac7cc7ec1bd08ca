"""The admin's revoke action goes through api.services.api_tokens_revoke (audited)."""

from django.urls import reverse

from api.models import ApiToken
from api.services import api_token_create
from kam.models import AuditEvent


def test_an_admin_revokes_a_leaked_token_and_the_audit_trail_says_so(
    client_for, admin_user, kam_user
):
    token, _secret = api_token_create(user=kam_user, name="laptop")
    already, _other = api_token_create(user=kam_user, name="old")
    ApiToken.objects.filter(pk=already.pk).update(revoked_at="2026-01-01T00:00:00Z")
    response = client_for(admin_user).post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk, already.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(object_type="api_token")
    assert (event.object_id, event.actor) == (token.pk, admin_user)
