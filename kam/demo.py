"""Deterministic demo data for `manage.py seed_demo`: same rows however often it runs."""

from django.db import transaction

from kam.models import Role, User

DEMO_PASSWORD = "demo"  # noqa: S105 - demo data only, documented in README
DEMO_USERS = [
    ("kam@example.com", "Karina Almeida", Role.KAM, "pt-br"),
    ("kam2@example.com", "Rafael Souza", Role.KAM, "pt-br"),
    ("kam3@example.com", "Emily Carter", Role.KAM, "en"),
    ("leader@example.com", "Luciana Ferreira", Role.LEADER, "pt-br"),
    ("admin@example.com", "Alex Admin", Role.ADMIN, "en"),
]


@transaction.atomic
def demo_users_seed() -> dict[str, User]:
    users = {}
    for email, full_name, role, language in DEMO_USERS:
        user, created = User.objects.update_or_create(
            email=email,
            defaults={"full_name": full_name, "role": role},
            create_defaults={"full_name": full_name, "role": role, "language": language},
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[email] = user
    return users


@transaction.atomic
def demo_seed() -> dict[str, int]:
    users = demo_users_seed()
    return {"users": len(users)}
