"""Full-text search: how the stored search vectors are built and how a typed text becomes a
query. The global search (insights/search.py) reads the vectors of accounts, stakeholders,
plans, interactions and client requests; each model declares its vector with
`search_vector()` as a stored generated column with a GIN index.

Every text is indexed twice, with the two configurations of migration
`kam/0005_text_search_configurations`:

* `pt_unaccent`: Portuguese stemming and stop words after `unaccent`, so "contratos" finds
  "contrato" and "negociacao" finds "negociação";
* `simple_unaccent`: each word as written, accents removed, nothing dropped, so names
  ("Souza"), English words, e-mail addresses, tax ids and stop words inside names ("Banco
  do Brasil") match as typed.

A query ANDs its words; each word matches either form, and the last one is a prefix
(type-ahead) once it has `prefix_from` characters (two; three in long texts, see
insights/search.py): the prefix of its Portuguese stem."""

import re
from functools import reduce
from operator import and_

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

PORTUGUESE = "pt_unaccent"
SIMPLE = "simple_unaccent"

# Words of a query: letters and digits with the joiners of e-mail addresses, tax ids and
# hyphenated words. Anything else (tsquery operators, quotes, backslashes) separates words,
# so a typed text can never be a tsquery syntax error.
_WORD = re.compile(r"[\w@.+/-]+")
_EDGE = "@.+/-_"
MAX_WORDS = 8
MIN_LENGTH = 2

# ts_headline's markers: control characters no stored text contains, turned into <mark> after
# the text is escaped (the headline itself is the stored, unescaped text).
START, STOP = "\x02", "\x03"


def search_vector(*groups: tuple[str, tuple]) -> SearchVector:
    """The vector of a model: `groups` are (weight, field names or expressions); each group is
    indexed with both configurations under its weight (A: names and titles, B: secondary
    labels, C: short texts, D: long notes)."""
    parts = []
    for weight, fields in groups:
        for config in (PORTUGUESE, SIMPLE):
            parts.append(SearchVector(*fields, config=config, weight=weight))
    return reduce(lambda left, right: left + right, parts)


def query_words(text: str) -> list[str]:
    words = [word.strip(_EDGE) for word in _WORD.findall(text or "")]
    return [word for word in words if word][:MAX_WORDS]


def search_query(text: str, *, prefix_from: int = MIN_LENGTH) -> SearchQuery | None:
    """The tsquery for `text`, or None when there is nothing to look for (fewer than
    MIN_LENGTH characters of words). The last word is also a prefix when it has at least
    `prefix_from` characters."""
    words = query_words(text)
    if sum(len(word) for word in words) < MIN_LENGTH:
        return None
    terms = []
    for position, word in enumerate(words, start=1):
        typing = position == len(words) and len(word) >= prefix_from
        # Quoted, so the parser of each configuration splits it like the stored text. While
        # typing, the Portuguese stem is the prefix: it is a prefix of the word as written
        # too ("negoci" → negoc:* finds "negociações" in both forms), so a second prefix on
        # the `simple` form found nothing more and tripled the index scan (bench/README.md).
        terms.append(
            SearchQuery(
                f"'{word}'" + (":*" if typing else ""), config=PORTUGUESE, search_type="raw"
            )
            | SearchQuery(f"'{word}'", config=SIMPLE, search_type="raw")
        )
    return reduce(and_, terms)


def marked(headline: str) -> SafeString:
    """`headline` (ts_headline's output with START/STOP around the matches) as HTML:
    escaped, with <mark> around the matches."""
    escaped = conditional_escape(headline or "")
    return mark_safe(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308  # nosec B308 B703 - escaped above
