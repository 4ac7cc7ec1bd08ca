"""seed_demo writes its texts in the installation's language (issue 16, point 4): a Portuguese
installation gets a Portuguese demo, an English one an English demo. The seed's other tests
run with the default LANGUAGE_CODE (en); this one seeds a whole pt-BR installation through
the command (test_seed_demo_language_option.py seeds one account for the other cases)."""

import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from accounts.models import Account
from activities.models import QBR, ClientRequest, Commitment, Interaction
from plans.models import AccountPlan, Product

PORTUGUESE_INDUSTRIES = {
    "Indústria", "Varejo", "Saúde", "Logística", "Serviços financeiros", "Agronegócio",
    "Energia", "Tecnologia", "Telecomunicações",
}  # fmt: skip
ENGLISH_INDUSTRIES = {
    "Manufacturing", "Retail", "Healthcare", "Logistics", "Financial services", "Agribusiness",
    "Energy", "Technology", "Telecom",
}  # fmt: skip
# Words an English sentence can hardly do without and a Portuguese one never uses.
ENGLISH = re.compile(r"\b(the|with|for|and|to|of)\b")
PORTUGUESE = re.compile(r"\b(com|para|de|do|da|dos|das|na|nas|em|pelo|pela)\b")


def _texts():
    demo = Account.objects.filter(external_id__startswith="demo-")

    def column(model, field, **lookup):
        return list(model.objects.filter(**lookup).values_list(field, flat=True))

    return {
        "industries": set(demo.values_list("industry", flat=True)),
        "summaries": column(Interaction, "summary", account__in=demo),
        "commitments": column(Commitment, "title", account__in=demo),
        "agendas": column(QBR, "agenda", account__in=demo),
        "requests": column(ClientRequest, "subject", account__in=demo),
        "plans": column(AccountPlan, "swot_threats", account__in=demo),
        "products": set(Product.objects.values_list("name", flat=True)),
    }


def _share(pattern, texts) -> float:
    return sum(1 for text in texts if pattern.search(text)) / len(texts)


@pytest.fixture(scope="module")
def portuguese_demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(LANGUAGE_CODE="pt-br"),
    ):
        call_command("seed_demo")
        yield _texts()
        transaction.set_rollback(True)


def test_a_portuguese_installation_gets_a_portuguese_demo(portuguese_demo, db):
    texts = portuguese_demo
    assert texts["industries"] <= PORTUGUESE_INDUSTRIES
    assert "Assinatura da plataforma" in texts["products"]
    assert "Platform subscription" not in texts["products"]
    for kind in ("summaries", "commitments", "agendas", "requests", "plans"):
        assert texts[kind], kind
        assert _share(ENGLISH, texts[kind]) == 0, kind
        assert _share(PORTUGUESE, texts[kind]) > 0.5, kind
    # The example, as a KAM reads it under "Compromissos atrasados".
    assert "Share volume forecast for next quarter" not in texts["commitments"]
    assert "Reunião trimestral de negócios" in texts["agendas"]
