"""Django's own words that this project translates itself into Brazilian Portuguese, listed so
that makemessages keeps their entries in locale/pt_BR (the project's catalogue is read before
Django's). Nothing here is called.

- The month names: Brazilian Portuguese writes them in lower case within a sentence ("agendado
  para 18 de dezembro de 2026"); Django's catalogue capitalises them, and every date drawn in
  words (DATE_FORMAT, "j de F de Y") showed "18 de Dezembro de 2026".
- The option of no choice in a select: see kam.apps (Django 6.1's label has no pt_BR)."""

from django.utils.translation import gettext_noop, pgettext_lazy

MONTHS = (
    gettext_noop("January"), gettext_noop("February"), gettext_noop("March"),
    gettext_noop("April"), gettext_noop("May"), gettext_noop("June"), gettext_noop("July"),
    gettext_noop("August"), gettext_noop("September"), gettext_noop("October"),
    gettext_noop("November"), gettext_noop("December"),
)  # fmt: skip

# The names as a date's own (the "E" format), which Django marks "alt. month".
MONTHS_ALT = (
    pgettext_lazy("alt. month", "January"), pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"), pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"), pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"), pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"), pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"), pgettext_lazy("alt. month", "December"),
)  # fmt: skip
