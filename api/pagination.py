from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Cursor pages (stable while rows are added) honouring `?ordering=`; `?page_size=` up to
    200."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = _("Invalid cursor: use the next or previous link as given.")

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor decodes to a position compared with the ordering column; a forged one of
        # the wrong type is an invalid cursor, not a server error.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError) as error:
            raise NotFound(self.invalid_cursor_message) from error

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise NotFound(self.invalid_cursor_message)
        return cursor
