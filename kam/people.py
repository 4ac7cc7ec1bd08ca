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
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.models import Role, User, user_choices
from kam.params import parse_int

# The most people one search answers: the first ones by name, and "more" says there are others.
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class PeopleScope:
    """`users(user)`: the people the scope offers `user`. `roles`: who may use it at all."""

    users: Callable[[User], QuerySet[User]]
    roles: tuple[str, ...] = tuple(Role.values)


_SCOPES: dict[str, PeopleScope] = {}


def register_scope(name: str, users: Callable[[User], QuerySet[User]], roles=None) -> None:
    _SCOPES[name] = PeopleScope(users, tuple(roles) if roles else tuple(Role.values))


def people_in_scope(name: str, user) -> QuerySet[User]:
    """The people scope `name` offers `user`; none when the scope is not `user`'s to use (an
    unknown scope is a programming error: KeyError)."""
    scope = _SCOPES[name]
    if user.role not in scope.roles:
        return User.objects.none()
    return scope.users(user)


def scope_known(name: str) -> bool:
    return name in _SCOPES


def scope_allowed(name: str, user) -> bool:
    return user.role in _SCOPES[name].roles


def people_matching(users: QuerySet[User], text: str) -> tuple[list[tuple[int, str]], bool]:
    """The first SEARCH_LIMIT of `users` by name whose name or e-mail contains every word of
    `text` (case and accents ignored), as (pk, name); and whether there are more."""
    for word in text.split()[:5]:
        users = users.filter(Q(full_name__unaccent__icontains=word) | Q(email__icontains=word))
    found = user_choices(users, limit=SEARCH_LIMIT + 1)
    return found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT


# The fixed scopes; accounts registers "owners" (accounts/apps.py).
register_scope("kams", lambda user: User.objects.filter(is_active=True, role=Role.KAM))
register_scope("active", lambda user: User.objects.filter(is_active=True))
register_scope("everyone", lambda user: User.objects.all(), roles=[Role.ADMIN])


class PeopleSelect(forms.Select):
    """The select of a field of people (PersonField, PeopleField): its options are the people
    chosen (one query for their names, none when nobody is), the others are found by the
    picker. Without JavaScript it keeps the current choice. Where the select is not drawn for
    a field: `empty_label`, the option of nobody (a field's own empty_label otherwise), and
    `names`, the chosen people's names when the caller has read them already."""

    def __init__(self, scope: str, attrs=None, empty_label=None, names=None):
        super().__init__(attrs)
        self.scope = scope
        self.empty_label = empty_label
        self.names = names or {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-people"] = reverse("people_search", args=[self.scope])
        context["widget"]["attrs"]["data-people-empty"] = str(_("No one found"))
        context["widget"]["attrs"]["data-people-more"] = str(
            _("More people match: type more of the name.")
        )
        return context

    def optgroups(self, name, value, attrs=None):
        ids = [number for number in (parse_int(str(v)) for v in value) if number is not None]
        missing = [pk for pk in ids if pk not in self.names]
        names = dict(self.names)
        if missing:
            names.update(user_choices(User.objects.filter(pk__in=missing)))
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


class PeopleSelectMultiple(PeopleSelect):
    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False


class _ScopedPeople:
    """A field of people of `scope`: `for_user(user)` sets whom it accepts (one query when
    cleaned), the people the picker's search answers that user."""

    def __init__(self, *, scope: str, attrs=None, **kwargs):
        kwargs.setdefault("queryset", User.objects.none())
        kwargs.setdefault("widget", self.widget_class(scope, attrs=attrs))
        super().__init__(**kwargs)
        self.scope = scope

    def for_user(self, user) -> None:
        self.queryset = people_in_scope(self.scope, user)


class PersonField(_ScopedPeople, forms.ModelChoiceField):
    """One person, drawn as a PeopleSelect."""

    widget_class = PeopleSelect


class PeopleField(_ScopedPeople, forms.ModelMultipleChoiceField):
    """Several people, drawn as a PeopleSelectMultiple."""

    widget_class = PeopleSelectMultiple
