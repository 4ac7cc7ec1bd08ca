"""Lists sorted by a column header: the one way a list page reads its `sort` parameter and draws
its sortable headers (the `sort_header` tag in kam_tags, templates/partials/sort_header.html).

A list declares its sort keys once, each with the order it stands for when ascending; `-key` is
the same order descending. The parameter is whitelisted: an unknown key is the list's default,
never an error. Every order ends with the list's tie-breakers (name, then id) so rows that tie
keep one order from page to page."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import F, OrderBy
from django.db.models.expressions import BaseExpression


@dataclass(frozen=True)
class SortKey:
    """One sortable column: what it orders by (ascending). NULLs last either way when the column
    may be empty; a column that never is sorts without the clause, so an index on it serves
    both directions."""

    expression: str | BaseExpression
    nullable: bool = True

    def order(self, descending: bool) -> OrderBy:
        expression = self.expression
        if isinstance(expression, str):
            expression = F(expression)
        nulls_last = True if self.nullable else None
        if descending:
            return expression.desc(nulls_last=nulls_last)
        return expression.asc(nulls_last=nulls_last)


@dataclass(frozen=True)
class Sort:
    """The order a list is shown in: `key` ascending, or descending when `descending`."""

    key: str
    descending: bool
    sorting: "Sorting"

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def order_by(self) -> list:
        order = [self.sorting.keys[self.key].order(self.descending)]
        return order + [tie for tie in self.sorting.tie_breakers if tie != self.key]

    def toggled(self, key: str) -> str:
        """The `sort` value a click on `key`'s header asks for: the other direction of the
        current key, else `key` in its first direction."""
        if key == self.key:
            return key if self.descending else f"-{key}"
        return f"-{key}" if key in self.sorting.descending_first else key


@dataclass(frozen=True)
class Sorting:
    """A list's sort keys. `descending_first`: keys whose first click sorts largest first
    (revenue, health: the figures people look for at the top)."""

    keys: Mapping[str, SortKey]
    default: str
    tie_breakers: Sequence[str] = ("name", "pk")
    descending_first: frozenset[str] = frozenset()

    def parse(self, value: object) -> Sort:
        """`value` (the `sort` parameter) as a Sort; anything not a known key is the default."""
        text = value if isinstance(value, str) else ""
        descending = text.startswith("-")
        key = text[1:] if descending else text
        if key not in self.keys:
            default = self.default
            descending = default.startswith("-")
            key = default.lstrip("-")
        return Sort(key=key, descending=descending, sorting=self)
