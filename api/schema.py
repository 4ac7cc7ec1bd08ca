"""The OpenAPI schema: how it describes our token authentication (drf-spectacular extension),
its post-processing hook, and the view that serves it."""

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
