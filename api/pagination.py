import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from api.filters import WholeNumberField

BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}", re.ASCII)


class Cursor(CursorPagination):
    """Cursor pages (stable while rows are added) honouring `?ordering=`; `?page_size=` from 1
    to 200, anything else a 400 naming the parameter (DRF would quietly use the default)."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = _("Invalid cursor: use the next or previous link as given.")

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        field = WholeNumberField(min_value=1, max_value=self.max_page_size)
        try:
            return field.clean(raw)
        except ValidationError as error:
            raise exceptions.ValidationError(
                {self.page_size_query_param: error.messages}
            ) from error

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = str(_("Rows per page, 1 to 200 (default 50)."))
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor decodes to a position compared with the ordering column; a forged one of
        # the wrong type is an invalid cursor, not a server error.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError) as error:
            raise NotFound(self.invalid_cursor_message) from error

    def decode_cursor(self, request):
        # DRF's base64 decoding skips characters outside the alphabet: "%00" or "õ" would read
        # as the first page instead of the invalid cursor they are.
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded and not BASE64.fullmatch(encoded):
            raise NotFound(self.invalid_cursor_message)
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise NotFound(self.invalid_cursor_message)
        return cursor


class NewestFirstCursor(Cursor):
    """For lists without `?ordering=` (a row's sub-list, e.g. a playbook's firings): newest
    first by id."""

    def get_ordering(self, request, queryset, view):
        return ("-id",)
