"""Pagination for long sorted lists (the accounts list at 20,000 accounts)."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class DeferredJoinPaginator(Paginator):
    """Finds the page's primary keys first, sorting only the narrow rows the filters and sort
    need, then fetches those rows with their select_related joins, in one statement:

        SELECT … FROM account JOIN owner … WHERE id IN
            (SELECT id FROM account WHERE <filters> ORDER BY <sort> LIMIT 25 OFFSET n)
        ORDER BY <sort>

    Paginating the joined query sorts every matching row in full width before the OFFSET,
    and a misestimated filter (a search matching half the accounts) can turn its joins into
    nested loops over every row, on every page; here only the ids are sorted and the joins touch
    the page's 25 rows (bench/README.md). Same rows, same order and number of queries as
    Paginator; querysets with annotations are paginated as Paginator does.

    `count`, when the caller knows it (the accounts list's from the dashboard's summary rows),
    replaces the COUNT statement."""

    def __init__(self, object_list, per_page, *, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return super().count

    def page(self, number):
        queryset = self.object_list
        if queryset.query.annotations or not queryset.query.order_by:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = queryset.values("pk")[bottom:top]
        rows = queryset.model._default_manager.filter(pk__in=ids)
        rows.query.select_related = queryset.query.select_related
        rows = rows.order_by(*queryset.query.order_by)
        return self._get_page(rows, number, self)
