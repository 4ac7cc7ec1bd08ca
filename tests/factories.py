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
