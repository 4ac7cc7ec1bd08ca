import re

from api.urls import router


def test_schema_is_public_openapi_3_with_every_resource(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for prefix, _viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in paths
        assert f"/api/v1/{prefix}/{{id}}/" in paths
    assert "/api/v1/portfolio/summary/" in paths
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["tokenAuth"]["description"],
    }
    # Operations are grouped by resource in the docs, not all under "v1".
    assert schema["paths"]["/api/v1/accounts/"]["get"]["tags"] == ["accounts"]


def test_docs_page_has_no_inline_script_or_style_and_no_outside_assets(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    assert all("src=" in attributes for attributes in scripts)
    assert "<style" not in html
    assert " style=" not in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), url
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    # The init script the page loads is served by the same view, as JavaScript.
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_updates_require_the_version_in_the_schema(client, db):
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name in ["PatchedAccountUpdateRequest", "PatchedPlanUpdateRequest",
                 "PatchedRiskUpdateRequest"]:  # fmt: skip
        assert schemas[name]["required"] == ["version"], name
    assert "required" not in schemas["PatchedStakeholderUpdateRequest"]
