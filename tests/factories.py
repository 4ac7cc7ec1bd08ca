from datetime import UTC

import factory

from kam.models import Role, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.KAM
    language = "en"
    password = factory.django.Password(PASSWORD)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Account"

    name = factory.Sequence(lambda n: f"Account {n:03d}")
    industry = "Manufacturing"
    owner = factory.SubFactory(UserFactory)
    currency = "BRL"
    status = "active"


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Stakeholder"

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    title = "Director"
    buying_role = "influencer"
    influence = 3
    stance = "neutral"


class RevenueRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.RevenueRecord"

    account = factory.SubFactory(AccountFactory)
    booked_on = factory.Faker("date_this_year")
    amount = 1000


class InteractionFactory(factory.django.DjangoModelFactory):
    """A bare Interaction row (no timeline entry, no last-touch update): for bulk data.
    Tests of behaviour go through activities.services.interaction_log instead."""

    class Meta:
        model = "activities.Interaction"

    account = factory.SubFactory(AccountFactory)
    kind = "meeting"
    occurred_at = factory.Faker("past_datetime", start_date="-60d", tzinfo=UTC)
    summary = factory.Sequence(lambda n: f"Interaction {n:03d}")
    logged_by = factory.SelfAttribute("account.owner")


class CommitmentFactory(factory.django.DjangoModelFactory):
    """An open commitment owned on our side by the account's owner unless told otherwise."""

    class Meta:
        model = "activities.Commitment"

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Commitment {n:03d}")
    owner_user = factory.SelfAttribute("account.owner")
    owner_stakeholder = None
    due_date = factory.Faker("date_between", start_date="-7d", end_date="+7d")
    created_by = factory.SelfAttribute("account.owner")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Milestone"

    account = factory.SubFactory(AccountFactory)
    happened_on = factory.Faker("date_this_year")
    title = factory.Sequence(lambda n: f"Milestone {n:03d}")
