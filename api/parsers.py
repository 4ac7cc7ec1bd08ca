from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (the API's only one, DEFAULT_PARSER_CLASSES), refusing a body nested
    deeper than Python's parser recurses with the same 400 as any malformed JSON: a
    RecursionError would otherwise be a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from error
