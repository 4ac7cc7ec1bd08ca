from django.apps import apps
from django.core.management import call_command

from kam.models import User


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"kam", "accounts", "plans", "activities"}
    }


def test_seed_demo_twice_leaves_the_same_rows(db):
    call_command("seed_demo")
    first = _row_counts()
    call_command("seed_demo")
    assert _row_counts() == first
    assert first["kam.User"] == 5


def test_seed_demo_users_log_in_with_the_demo_password(db):
    call_command("seed_demo")
    for email, role in [
        ("kam@example.com", "kam"),
        ("leader@example.com", "leader"),
        ("admin@example.com", "admin"),
    ]:
        user = User.objects.get(email=email)
        assert user.role == role
        assert user.check_password("demo")
