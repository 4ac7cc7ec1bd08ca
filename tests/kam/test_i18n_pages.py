"""Every page in Portuguese, as its users open it: none shows an English sentence of the
catalogue. The catalogue being complete (test_i18n.py) does not make a page Portuguese: a
string translated when a module is imported instead of when it is drawn, a template that
forgets {% translate %} around a label the catalogue also holds elsewhere, a value drawn from
an English constant, each shows English to a Portuguese reader. The walk opens each page of
the access matrix (tests/kam/test_access_matrix.py) that answers HTML, as a user allowed to
open it whose language is Brazilian Portuguese, and looks for each English sentence of the
catalogue (two words or more, not the same in Portuguese) in the page's text and in the
attributes a reader meets (title, aria-label, placeholder, alt)."""

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from django.urls import reverse

from tests.kam import test_access_matrix as matrix
from tests.kam.test_i18n import PO_FILE

scene = matrix.scene

READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
HTML_KINDS = {matrix.PUBLIC, matrix.PAGE, matrix.OBJECT, matrix.LEADER, matrix.ADMIN}


class PageText(HTMLParser):
    """What a reader meets of a page: its text, but scripts and styles, and the attributes
    they read."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        self.parts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def _english_sentences() -> list[str]:
    """The catalogue's English of two words or more whose Portuguese differs, placeholders
    and markup aside: what a Portuguese page should never show."""
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle, locale="pt_BR")
    sentences = set()
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        english, portuguese = str(message.id), str(message.string)
        if "%" in english or "{" in english or "<" in english or english == portuguese:
            continue
        english = " ".join(english.split())
        if len(english.split()) >= 2 and len(english) >= 10:
            sentences.add(english)
    return sorted(sentences, key=len, reverse=True)


ENGLISH = _english_sentences()
# The routes that answer a file or JSON, not a page (the test fails if one answers a page).
NOT_PAGES = {
    "export_table", "healthz", "import_rejects", "people_search", "portfolio_export",
    "qbr_prep_pdf", "stakeholder_map", "stakeholder_personal_data_json",
}  # fmt: skip
PAGES = sorted(
    name
    for name, route in matrix.ROUTES.items()
    if route.kind in HTML_KINDS and route.method == "get" and name not in NOT_PAGES
)


@pytest.mark.parametrize("name", PAGES)
def test_a_portuguese_reader_meets_no_english_sentence(
    name, scene, client, kam_user, leader, admin_user
):
    route = matrix.ROUTES[name]
    user = {matrix.LEADER: leader, matrix.ADMIN: admin_user}.get(route.kind, kam_user)
    user.language = "pt-br"
    user.save(update_fields=["language"])
    if route.kind != matrix.PUBLIC:
        client.force_login(user)
    else:
        client.cookies["django_language"] = "pt-br"
    url = reverse(name, kwargs=route.kwargs(scene)) + route.query(scene)
    response = client.get(url, follow=True)
    assert "html" in response.get("Content-Type", ""), f"{name} is not a page: add it to NOT_PAGES"
    reader = PageText()
    reader.feed(response.content.decode())
    text = reader.text()
    found = [sentence for sentence in ENGLISH if re.search(rf"\b{re.escape(sentence)}\b", text)]
    assert found == [], f"{name} ({url}) shows English to a Portuguese reader"
