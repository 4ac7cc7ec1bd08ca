"""Errors the services raise, as API responses: a Django ValidationError is a 400 with field
errors in DRF's shape; a stale `version` is a 409 with the version now saved."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.services import StaleEdit

# The services key next-step errors "next_steps-<index>-<field>" (a playbook's steps:
# "steps-<index>-<field>") for the web's formsets; the API keys them as DRF keys list items:
# {"next_steps": {index: {field: [...]}}}.
NEXT_STEP_KEY = re.compile(r"^(next_steps|steps)-(\d+)-(\w+)$")


def validation_detail(error: DjangoValidationError) -> dict | list:
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    detail: dict = {}
    for field, errors in error.error_dict.items():
        messages = [message for e in errors for message in e.messages]
        match = NEXT_STEP_KEY.match(field)
        if match:
            index, name = int(match[2]), match[3]
            rows = detail.setdefault(match[1], {})
            rows.setdefault(index, {}).setdefault(name, []).extend(messages)
        elif field == "__all__":
            detail.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).extend(messages)
        else:
            detail.setdefault(field, []).extend(messages)
    return detail


def exception_handler(exc, context):
    if isinstance(exc, StaleEdit):
        return Response(
            {
                "detail": _("Someone else saved this since you read it (now at version "
                            "%(version)s). Read it again, reapply your change and send that "
                            "version.") % {"version": exc.current.version},
                "current_version": exc.current.version,
            },
            status=status.HTTP_409_CONFLICT,
        )  # fmt: skip
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(validation_detail(exc))
    return drf_exception_handler(exc, context)
