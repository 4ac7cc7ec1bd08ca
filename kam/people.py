"""The one way a form offers people: a select that draws only the people chosen, which the
people picker (static/js/kam.js, with Tom Select) turns into a search box that asks
`people_search` (GET /people/<scope>/?q=) for the matching names.

A select of every KAM was 1,400 options at 100,000 accounts, drawn on every page that had one
(the accounts list had two): most of the list's time beyond its SQL, and the reason the
leader's pages grew more than 1.5× from 20,000 accounts (bench/README.md). Now a page draws
the chosen people only, and a search reads at most SEARCH_LIMIT of them.

A scope is a named set of people for a user (`register_scope`): what the form's field accepts
and what the search answers are the same queryset, so a search can never offer someone the
form would refuse, nor show a name the page would not. Apps register theirs in their
AppConfig.ready (accounts: the owners of the accounts a user sees)."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet, Value
from django.db.models.lookups import IContains
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.lookups import Unaccented
from kam.models import Role, User, user_choices
from kam.params import parse_int
from kam.search import query_words

# The most people one search answers: the first ones by name, and "more" says there are others.
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class PeopleScope:
    """`users(user)`: the people the scope offers `user`. `roles`: who may use it at all."""

    users: Callable[[User], QuerySet[User]]
    roles: tuple[str, ...]


_SCOPES: dict[str, PeopleScope] = {}


def register_scope(name: str, users: Callable[[User], QuerySet[User]], roles=None) -> None:
    """Scope `name`: `users(user)` for the users of `roles` (every role when None)."""
    if name in _SCOPES:
        raise ValueError(f"People scope {name!r} is registered already.")
    _SCOPES[name] = PeopleScope(users, tuple(Role.values if roles is None else roles))


def people_in_scope(name: str, user) -> QuerySet[User]:
    """The people scope `name` offers `user`; none when the scope is not `user`'s to use (an
    unknown scope is a programming error: KeyError)."""
    scope = _SCOPES[name]
    if user.role not in scope.roles:
        return User.objects.none()
    return scope.users(user)


def people_choosable(name: str, user, keep=()) -> QuerySet[User]:
    """What a field of people accepts: the people scope `name` offers `user`, and those of
    `keep` (ids, or a query of them): the people chosen before, who stay choosable once out of
    the scope (no longer active) instead of being dropped when the form is saved unchanged."""
    people = people_in_scope(name, user)
    if not isinstance(keep, QuerySet):
        keep = [pk for pk in keep if pk]
        if not keep:
            return people
    return people | User.objects.filter(pk__in=keep)


def people_to_search(name: str, user) -> QuerySet[User]:
    """people_in_scope for the search of a URL: an unknown scope is not found (Http404), one
    that is not `user`'s to use is refused (PermissionDenied)."""
    if name not in _SCOPES:
        raise Http404
    if user.role not in _SCOPES[name].roles:
        raise PermissionDenied
    return people_in_scope(name, user)


def people_matching(users: QuerySet[User], text: str) -> tuple[list[tuple[int, str]], bool]:
    """The first SEARCH_LIMIT of `users` by name whose name or e-mail contains every word of
    `text` (case ignored, and accents where PostgreSQL has `unaccent`: kam.lookups.Unaccented),
    as (pk, name); and whether there are more."""
    for word in query_words(text):
        name_contains = IContains(Unaccented(F("full_name")), Unaccented(Value(word)))
        users = users.filter(Q(name_contains) | Q(email__icontains=word))
    found = user_choices(users, limit=SEARCH_LIMIT + 1)
    return found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT


# The fixed scopes; accounts registers "owners" (accounts/apps.py).
register_scope("kams", lambda user: User.objects.filter(is_active=True, role=Role.KAM))
register_scope("active", lambda user: User.objects.filter(is_active=True))
register_scope("everyone", lambda user: User.objects.all(), roles=[Role.ADMIN])


class PeopleSelect(forms.Select):
    """The select of a field of people (a PersonField, or a model form's field given this widget):
    its options are the people chosen (one query for their names, none when nobody is), the
    others are found by the picker. Without JavaScript it keeps the current choice. A name is
    read from the field's queryset only, so a value sent from outside the scope is not drawn
    (nor named). Where the select is not drawn for a field: `empty_label`, the option of nobody
    (a field's own empty_label otherwise), and `names`, the chosen people's names as the caller
    checked them; without a field, no one else is drawn."""

    def __init__(self, scope: str, attrs=None, empty_label=None, names=None):
        super().__init__(attrs)
        self.scope = scope
        self.empty_label = empty_label
        self.names = names or {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-people"] = reverse("people_search", args=[self.scope])
        context["widget"]["attrs"]["data-people-empty"] = str(_("No one found"))
        context["widget"]["attrs"]["data-people-searching"] = str(_("Searching…"))
        context["widget"]["attrs"]["data-people-more"] = str(
            _("More people match: type more of the name.")
        )
        context["widget"]["attrs"]["data-people-failed"] = str(
            _("The search failed: reload the page and try again.")
        )
        context["widget"]["attrs"]["data-people-clear"] = str(_("Clear"))
        context["widget"]["attrs"]["data-people-remove"] = str(_("Remove"))
        return context

    def use_required_attribute(self, initial) -> bool:
        # Django's Select reads the first choice to decide, which for a field is a query of
        # the whole scope. The form checks a required field on the server; the picker's
        # search box is what the user fills in, not this select.
        return False

    def optgroups(self, name, value, attrs=None):
        ids = _chosen_ids(value)
        missing = [pk for pk in ids if pk not in self.names]
        names = dict(self.names)
        scope = getattr(self.choices, "queryset", None)  # the field's people, when drawn for one
        if missing and scope is not None:
            names.update(user_choices(scope.filter(pk__in=missing)))
        options = []
        empty_label = self.empty_label
        if empty_label is None:
            empty_label = getattr(getattr(self.choices, "field", None), "empty_label", None)
        if not self.allow_multiple_selected and empty_label is not None:
            options.append(self.create_option(name, "", empty_label, not ids, 0))
        for pk in ids:
            if pk in names:
                options.append(self.create_option(name, pk, names[pk], True, len(options)))
        return [(None, options, 0)]


class PeopleSelectMultiple(PeopleSelect, forms.SelectMultiple):
    """PeopleSelect for a field of several people (an account's team): no option of nobody."""


def _chosen_ids(value) -> list[int]:
    """The people ids of a field's value (one or a list, numbers or their text); others go."""
    values = value if isinstance(value, list | tuple) else [value]
    return [number for number in (parse_int(str(v)) for v in values) if number is not None]


def name_chosen_once(forms_of_a_set, field_name: str) -> None:
    """Name the people chosen in `field_name` across the forms of a formset by one query, so
    that no form's select reads its own (a query a row otherwise). Their fields share one
    scope: the names are read through the first form's queryset, as each select would."""
    fields = [form.fields[field_name] for form in forms_of_a_set]
    if not fields:
        return
    ids = {pk for form in forms_of_a_set for pk in _chosen_ids(form[field_name].value())}
    names = dict(user_choices(fields[0].queryset.filter(pk__in=ids))) if ids else {}
    for field in fields:
        field.widget.names = names


class PersonField(forms.ModelChoiceField):
    """One person of `scope`: `for_user(user)` sets whom it accepts (one query when cleaned),
    the people the picker's search answers that user. Drawn as a PeopleSelect."""

    def __init__(self, *, scope: str, attrs=None, **kwargs):
        kwargs.setdefault("queryset", User.objects.none())
        kwargs.setdefault("widget", PeopleSelect(scope, attrs=attrs))
        super().__init__(**kwargs)
        self.scope = scope

    def for_user(self, user, *, keep=()) -> None:
        """Accept the scope's people for `user`, and the person chosen before (`keep`, ids):
        people_choosable."""
        self.queryset = people_choosable(self.scope, user, keep)
