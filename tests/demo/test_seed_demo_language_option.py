"""seed_demo's language for one account (Plastiform, a Brazilian manufacturer): the
installation's (LANGUAGE_CODE) by default, or the one given with --language. Apart from
test_seed_demo_language.py, whose module-wide pt-BR demo would already hold the account."""

import re

from django.core.management import call_command

from accounts.models import Account
from demo import demo as demo_module

ENGLISH = re.compile(r"\b(the|with|for|and|to|of)\b")
PORTUGUESE = re.compile(r"\b(com|para|de|do|da|dos|das|na|nas|em|pelo|pela)\b")


def _share(pattern, texts) -> float:
    return sum(1 for text in texts if pattern.search(text)) / len(texts)


def _seed_one_account(monkeypatch, **options) -> Account:
    spec = next(s for s in demo_module.ACCOUNT_SPECS if s.key == "plastiform")
    monkeypatch.setattr(demo_module, "ACCOUNT_SPECS", [spec])
    assert not Account.objects.filter(external_id="demo-plastiform").exists()
    call_command("seed_demo", **options)
    return Account.objects.get(external_id="demo-plastiform")


def _summaries(account) -> list[str]:
    return list(account.interactions.values_list("summary", flat=True))


def test_an_english_installation_gets_an_english_demo(settings, monkeypatch, db):
    settings.LANGUAGE_CODE = "en"
    account = _seed_one_account(monkeypatch)
    assert account.industry == "Manufacturing"
    assert account.hq_country == "Brazil"
    assert _summaries(account) and _share(PORTUGUESE, _summaries(account)) == 0
    assert _share(ENGLISH, _summaries(account)) > 0.5
    titles = set(account.stakeholders.values_list("title", flat=True))
    assert not any(title.startswith("Diretor") for title in titles)


def test_the_language_option_overrides_the_installation_language(settings, monkeypatch, db):
    settings.LANGUAGE_CODE = "en"
    account = _seed_one_account(monkeypatch, language="pt-br")
    assert account.industry == "Indústria"
    assert account.hq_country == "Brasil"
    assert _summaries(account) and _share(ENGLISH, _summaries(account)) == 0
    assert any(
        title.startswith("Diretor")
        for title in account.stakeholders.values_list("title", flat=True)
    )
