"""The OpenAPI schema, and what drf-spectacular cannot see by itself: our token
authentication, the filters' own schemas, `version` required on updates, every error
response; and the view that serves it."""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView

from kam.downloads import name_download


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from your profile page: "
            "`Authorization: Bearer kam_…`.",
        }


def version_required(result, generator, request, public):
    """drf-spectacular marks every field of a PATCH body optional; `version` is not (the view
    answers 400 without it), so the schema says so. Registered in POSTPROCESSING_HOOKS."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.startswith("Patched") and "version" in component.get("properties", {}):
            component["required"] = sorted({*component.get("required", []), "version"})
    return result


class FilterParameters(DjangoFilterExtension):
    """django-filter's query parameters, with the schema a filter declares for itself
    (`openapi_schema`: an id is an integer from 1, not any number)."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            parameter["schema"].update(getattr(filter_field, "openapi_schema", {}))
        return parameters


# --- error responses --------------------------------------------------------------------------

ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": "Messages by field: `{field: [message]}`; rules across fields under "
        "`non_field_errors`; rows of a list by index (`{next_steps: {0: {due_date: "
        "[message]}}}`). A request that could not be read at all: `{detail: message}`.",
        "additionalProperties": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "object"},
            ]
        },
    },
    "Conflict": {
        "type": "object",
        "properties": {"detail": {"type": "string"}, "current_version": {"type": "integer"}},
        "required": ["detail", "current_version"],
    },
}


def _response(description: str, component: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def _sends_version(operation: dict, components: dict) -> bool:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    name = body.get("schema", {}).get("$ref", "").rpartition("/")[2]
    return "version" in components.get(name, {}).get("properties", {})


def error_responses(result, generator, request, public):
    """Every error status each operation can answer, in the JSON the API answers it with
    (docs/api.md, "Responses and errors"), added here once instead of on each view: the
    schemathesis run in tests/api/test_schemathesis.py fails on any status not listed.
    Registered in POSTPROCESSING_HOOKS."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(ERROR_SCHEMAS)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            parameters = {p["name"] for p in operation.get("parameters", [])}
            writes = method in {"post", "put", "patch", "delete"}
            has_body = "requestBody" in operation
            errors = {
                "400": _response(
                    "Invalid input: a query parameter or field named with its messages, or a "
                    "request that could not be read.",
                    "FieldErrors",
                ),
                "401": _response("No credentials, or a revoked or unknown token.", "Error"),
                "406": _response("The Accept header asks for something other than JSON.", "Error"),
            }
            if writes:
                errors["403"] = _response(
                    "You see the account but may not make this change, or a session without "
                    "its CSRF token: `{field: [reason]}` or `{detail: reason}`; nothing is "
                    "written.",
                    "FieldErrors",
                )
            if "id" in parameters:
                errors["404"] = _response("No such row, or one you may not see.", "Error")
            elif "cursor" in parameters:
                errors["404"] = _response(
                    "Invalid cursor: follow the next and previous links as given.", "Error"
                )
            if method == "patch" and _sends_version(operation, components):
                errors["409"] = _response(
                    "Someone saved since you read `version`; nothing is written.", "Conflict"
                )
            if method in {"post", "patch"}:
                errors["413"] = _response(
                    "The body is over the upload limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB).",
                    "Error",
                )
            if has_body:
                errors["415"] = _response("The body is not `application/json`.", "Error")
            responses = operation.setdefault("responses", {})
            for status, response in errors.items():
                responses.setdefault(status, response)
            operation["responses"] = dict(sorted(responses.items()))
    return result


def empty_query_values(result, generator, request, public):
    """A query parameter sent empty (`?status=`) is read as not sent, as django-filter, the
    ordering and the pagination do: the schema says so (`allowEmptyValue`) for every optional
    one. Registered in POSTPROCESSING_HOOKS."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


class SchemaView(SpectacularAPIView):
    """`/api/schema/`. drf-spectacular puts `?version=` into the file name of a header it builds
    itself; any value used to go in as given (a quote smuggled a second file name in, a line
    break made a 500). Now only the versions in REST_FRAMEWORK["ALLOWED_VERSIONS"] are read,
    and the header is rebuilt by kam.downloads like every download's."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.has_header("Content-Disposition"):
            name_download(response, "kam-api", response.accepted_renderer.format, inline=True)
        return response
